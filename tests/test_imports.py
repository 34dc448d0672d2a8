"""Scripts from other speech tools (issue 29, items 1-2): SSML and the bracket pause forms become
our script; the planned pauses equal the source's to the millisecond; chapters only where the
source marks one; malformed, hostile or oversized input is one line with file:line:col."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessiongen.cli import cli
from sessiongen.script import imports, parser
from sessiongen.script.imports import sayas
from sessiongen.script.imports.writing import pause_text

DATA = Path(__file__).parent / "data" / "imports"
FAKE = ["--engine", "fake", "--no-cache"]

# The source's silences, worked out by hand from each file (chained breaks summed).
EXPECTED_PAUSES_S = {
    "polly-settling.ssml": [3.0, 30.0, 60.0, 1.5, 1.5],  # x-strong = 1.5 s
    "google-evening.ssml": [2.0, 4.0, 0.75, 10.0, 0.5],  # weak = 0.5 s
    "elevenlabs-v3.txt": [1.0, 3.0, 8.5],  # [short pause] 1 s, [long pause] 3 s; 2.5 s + 3 s + 3 s chained
    "meditation-generator.txt": [3.0, 20.0, 5.0, 2.0],
}


@pytest.fixture(autouse=True)
def phonemes_taken(monkeypatch):
    """The fake engine takes IPA like the neural voices, so the SSML <phoneme> examples plan."""
    import fake_engine

    monkeypatch.setattr(fake_engine.FakeEngine, "phoneme_input", True, raising=False)


def plan_json(path: Path, *extra: str) -> dict:
    result = CliRunner().invoke(cli, ["plan", str(path), "--json", *FAKE, *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def script_pauses_s(plan: dict) -> list[float]:
    """The pauses the script asked for: not the automatic rests, lead-in or tail (those have a text)."""
    return [e["duration_s"] for e in plan["events"] if e["kind"] == "pause" and "text" not in e]


def merged(pauses: list[float], plan: dict) -> list[float]:
    """Back-to-back pause events as one (a pause over 10 minutes is written as several)."""
    out, last_end = [], None
    for e in plan["events"]:
        if e["kind"] == "pause" and "text" not in e:
            if last_end is not None and abs(e["start_s"] - last_end) < 1e-9 and out:
                out[-1] = round(out[-1] + e["duration_s"], 3)
            else:
                out.append(e["duration_s"])
            last_end = e["start_s"] + e["duration_s"]
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED_PAUSES_S))
def test_planned_pauses_equal_the_source_to_the_millisecond(name):
    plan = plan_json(DATA / name)
    assert script_pauses_s(plan) == EXPECTED_PAUSES_S[name]
    assert plan["range_s"][0] == plan["range_s"][1]  # nothing elastic: no length asked for, none taken


def test_a_paragraph_is_a_chapter_only_where_the_source_marks_one():
    assert [c["title"] for c in plan_json(DATA / "polly-settling.ssml")["chapters"]] == ["Arriving", "Resting"]
    assert [c["title"] for c in plan_json(DATA / "meditation-generator.txt")["chapters"]] == ["meditation-generator"]


def test_import_writes_a_script_that_plans_the_same(tmp_path):
    out = tmp_path / "settling.md"
    result = CliRunner().invoke(cli, ["import", str(DATA / "polly-settling.ssml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "language: en-US" in text and "couch: settee" in text and "[pause 1m]" not in text
    assert "[pause 30s]" in text and "[pause 60s]" in text and "# Resting" in text
    said = result.stdout
    assert '3 chained pauses (<break time="10s"/> + <break time="10s"/> + <break time="10s"/>) -> [pause 30s]' in said
    assert "<amazon:breath" in said and "dropped with its content" in said
    assert (
        '<prosody rate="90%"> -> [pace 90%]' in said
        and "[pace 90%]\nThere is nothing you need to do here.\n[pause 1.5s]\n[pace off]" in text
    )
    assert "pronunciation 'couch: settee' (transcripts keep 'couch')" in said
    assert script_pauses_s(plan_json(out)) == EXPECTED_PAUSES_S["polly-settling.ssml"]
    assert plan_json(out)["events"] == plan_json(DATA / "polly-settling.ssml")["events"]


def test_phoneme_becomes_our_pronunciation_form_and_transcripts_keep_the_word():
    imported = imports.import_file(DATA / "google-evening.ssml")
    script = parser.parse_text(imported.text)
    assert dict(script.meta.pronunciations) == {"settle": "/ˈsɛtl̩/"}
    said = " ".join(n.text for n in script.nodes if hasattr(n, "text") and isinstance(n.text, str))
    assert "The word settle may help" in said and "December 7th, 2026" in said and "about 4 minutes" in said
    assert any("<audio" in n and "nothing is fetched" in n for n in imported.notes)
    assert any("<desc>" in n and "dropped with its content" in n for n in imported.notes)


def test_elevenlabs_audio_tags_are_dropped_and_said():
    imported = imports.import_file(DATA / "elevenlabs-v3.txt")
    assert "[calm]" not in imported.text and "sighs" not in imported.text
    assert sum("an audio tag" in n for n in imported.notes) == 3  # [calm], [softly], [sighs]


@pytest.mark.parametrize("command", ["render", "plan", "check"])
def test_render_plan_and_check_take_the_file_and_warn(command, tmp_path):
    args = {"render": ["-o", str(tmp_path / "x.wav"), "--sidecars", "none", *FAKE], "plan": FAKE, "check": []}[command]
    result = CliRunner().invoke(cli, [command, str(DATA / "meditation-generator.txt"), *args])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "meditation-generator.txt: read as brackets" in result.stderr
    assert "2 chained pauses ([PAUSE:10] + [PAUSE:10]) -> [pause 20s]" in result.stderr


def test_our_own_script_is_not_imported(tmp_path):
    own = tmp_path / "own.txt"
    own.write_text("Hello there. [pause 5s]\nRest now.\n", encoding="utf-8")
    assert parser.parse_file(own).notes == ()
    result = CliRunner().invoke(cli, ["import", str(own)])
    assert result.exit_code == 1 and "already a sessiongen script" in result.output


def test_chained_breaks_are_never_clamped():
    text = "<speak><p>Rest now.</p>" + '<break time="10s"/>' * 70 + "<p>Welcome back.</p></speak>"
    imported = imports.convert(text, "long.ssml")
    assert "[pause 600s]\n[pause 100s]" in imported.text
    assert pause_text(0.0015) == ["[pause 0.002s]"] and pause_text(1234.5) == ["[pause 600s]", "[pause 600s]", "[pause 34.5s]"]


def test_a_long_chain_plans_to_its_sum(tmp_path):
    source = tmp_path / "long.ssml"
    source.write_text("<speak><p>Rest now.</p>" + '<break time="10s"/>' * 70 + "<p>Welcome back.</p></speak>", encoding="utf-8")
    plan = plan_json(source)
    assert merged(script_pauses_s(plan), plan) == [700.0]


def one_line_error(tmp_path, name: str, text: str, command: str = "import") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, [command, str(path)] + (["--no-cache", "--engine", "fake"] if command == "plan" else []))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output.strip()


def test_malformed_input_is_one_line_with_file_line_col(tmp_path):
    message = one_line_error(tmp_path, "bad.ssml", '<speak>\n  <p>Hello <break time="3s"></p>\n</speak>\n')
    assert message.startswith("error: ") and "bad.ssml:2:" in message and "not well-formed SSML: mismatched tag" in message
    assert message.count("\n") == 0
    message = one_line_error(tmp_path, "time.ssml", '<speak>\n<break time="3 hours"/></speak>')
    assert "time.ssml:2:1: break time '3 hours' is not a length" in message
    message = one_line_error(tmp_path, "b.txt", "Hello.\nRest a while [pause:soon] now.\n")
    assert "b.txt:2:14: [pause:soon] is not a pause length" in message
    message = one_line_error(tmp_path, "plan.ssml", "<speak><p>Hi</p>", command="plan")
    assert "plan.ssml:1:" in message and "not well-formed SSML" in message


def test_entities_are_never_expanded(tmp_path):
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE speak [\n <!ENTITY a "haha">\n'
        + "".join(f' <!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
        + "]>\n<speak>&j;</speak>\n"
    )
    start = time.perf_counter()
    message = one_line_error(tmp_path, "laughs.ssml", laughs)
    assert time.perf_counter() - start < 2.0
    assert "laughs.ssml:2:" in message and "refused (nothing is expanded)" in message
    external = '<?xml version="1.0"?>\n<!DOCTYPE speak SYSTEM "http://example.org/x.dtd">\n<speak>Hi</speak>'
    assert "refused" in one_line_error(tmp_path, "external.ssml", external)


def test_nesting_and_size_are_bounded(tmp_path):
    deep = "<speak>" + "<prosody rate='slow'>" * 100 + "Hi" + "</prosody>" * 100 + "</speak>"
    assert "nested more than the limit of 64 elements deep" in one_line_error(tmp_path, "deep.ssml", deep)
    big = "<speak>" + "<s>Rest here.</s>" * 70_000 + "</speak>"
    assert "larger than the limit of 1,000,000 bytes" in one_line_error(tmp_path, "big.ssml", big)
    assert "root element must be <speak>" in one_line_error(tmp_path, "html.ssml", "<html><p>Hi</p></html>")


def test_say_as():
    assert sayas.words("3", "ordinal", "") == ("3rd", "'3rd'")
    assert sayas.words("12", "ordinal", "")[0] == "12th"
    assert sayas.words("555-0134", "telephone", "")[0] == "5 5 5 0 1 3 4"
    assert sayas.words("2026-12-07", "date", "")[0] == "December 7th, 2026"
    assert sayas.words("12/07", "date", "md")[0] == "December 7th"
    assert sayas.words("13/45/2026", "date", "mdy")[0] == "13/45/2026"  # not a date: left as written
    assert sayas.words("1200", "cardinal", "")[0] == "1200"


def test_text_that_looks_like_our_markup_is_spoken_as_text():
    imported = imports.convert("<speak><p>Write [bell] or {{ name }} or &lt;!-- that.</p></speak>", "t.ssml")
    script = parser.parse_text(imported.text)
    from sessiongen.script.personalise import personalise

    said = [n.text for n in personalise(script, {}).nodes if hasattr(n, "text") and isinstance(n.text, str)]
    assert said == ["Write [bell] or {{ name }} or < !-- that."]
