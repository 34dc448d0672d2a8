"""The command line through Click's CliRunner: output, exit codes and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from helpers import script_text

from sessiongen.cli import cli

FAKE = ["--engine", "fake"]


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "calm.md"
    path.write_text(
        script_text(
            "# Start\nWelcome{% if name %}, {{ name }}{% endif %}.\n[pause 2s]\n[bls 4s]\n# End\nGoodbye.\n",
            duration="30s",
            extra='variables:\n  name: ""\n',
        ),
        encoding="utf-8",
    )
    return path


def test_every_command_has_help(runner):
    def walk(group, prefix):
        for name, command in group.commands.items():
            result = runner.invoke(cli, prefix + [name, "--help"])
            assert result.exit_code == 0, name
            assert command.help, f"{name} has no help text"
            if hasattr(command, "commands"):
                walk(command, prefix + [name])

    walk(cli, [])


def test_render_wav_matches_the_plan(runner, script, tmp_path):
    out = tmp_path / "calm.wav"
    plan = runner.invoke(cli, ["plan", str(script), "--json", "--var", "name=Sam", *FAKE])
    assert plan.exit_code == 0, plan.output
    planned = json.loads(plan.stdout)
    result = runner.invoke(cli, ["render", str(script), "-o", str(out), "--var", "name=Sam", *FAKE])
    assert result.exit_code == 0, result.output
    audio, rate = sf.read(out)
    assert rate == 44_100 and audio.shape[1] == 2
    assert len(audio) / rate == pytest.approx(planned["duration_s"], abs=1e-3)
    assert 20 * np.log10(np.abs(audio).max()) <= -1.0
    assert sf.info(str(out)).subtype == "PCM_16"


def test_render_json_statistics(runner, script, tmp_path):
    result = runner.invoke(cli, ["render", str(script), "-o", str(tmp_path / "x.wav"), "--json", *FAKE])
    stats = json.loads(result.stdout)
    assert stats["output"]["duration_s"] == pytest.approx(sf.info(str(tmp_path / "x.wav")).duration, abs=1e-3)
    assert stats["output"]["format"] == "wav" and len(stats["chapters"]) == 2
    assert {"integrated_lufs", "true_peak_dbtp", "max_momentary_lufs", "gain_db"} <= set(stats["loudness"])
    assert {"phrases_synthesised", "phrases_cached"} <= set(stats["speech"])
    assert stats["loudness"]["mode"] == "voice" and stats["loudness"]["voice_lufs"] == pytest.approx(-16.0, abs=0.05)
    assert stats["loudness"]["integrated_lufs"] < -16.0  # the pauses and the quieter bed bring the programme under the voice


def test_second_render_synthesises_nothing(runner, script, tmp_path, fake_engine):
    args = ["render", str(script), "-o", str(tmp_path / "a.wav"), "--json", "--var", "name=Robin", *FAKE]
    first = json.loads(runner.invoke(cli, args).stdout)["speech"]
    calls = len(fake_engine.calls)
    second = json.loads(runner.invoke(cli, args).stdout)["speech"]
    assert first["phrases_synthesised"] > 0
    assert second["phrases_synthesised"] == 0 and len(fake_engine.calls) == calls


def test_a_cached_render_does_not_need_the_engine(runner, script, tmp_path, fake_engine, monkeypatch):
    args = ["render", str(script), "-o", str(tmp_path / "a.wav"), "--var", "name=Robin", *FAKE]
    assert runner.invoke(cli, args).exit_code == 0

    def unavailable(*_):
        raise AssertionError("the engine was asked for something a warm cache already knows")

    monkeypatch.setattr(fake_engine, "resolve_voice", unavailable)  # the voice's id is remembered with the phrases
    monkeypatch.setattr(fake_engine, "synthesize", unavailable)
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output


def test_a_remembered_voice_is_kept_per_engine_and_request(tmp_path):
    from sessiongen.speech.cache import PhraseCache

    cache = PhraseCache(tmp_path / "not-yet", 44_100)  # made on the first write
    assert cache.resolved_voice("fake:1", None) is None
    cache.remember_voice("fake:1", None, "fake/en")
    cache.remember_voice("fake:1", "en-us", "fake/en-us")
    assert cache.resolved_voice("fake:1", None) == "fake/en"
    assert cache.resolved_voice("fake:1", "en-us") == "fake/en-us"
    assert cache.resolved_voice("fake:2", None) is None  # another engine (or version) resolves afresh
    (tmp_path / "not-yet" / "voices.json").write_text("{not json")
    assert cache.resolved_voice("fake:1", None) is None  # a damaged file is ignored, not an error
    blocked = PhraseCache(tmp_path / "not-yet" / "voices.json" / "below-a-file", 44_100)
    blocked.remember_voice("fake:1", None, "fake/en")  # cannot be written there: no error either


def test_no_cache_synthesises_again(runner, script, tmp_path, fake_engine):
    args = ["render", str(script), "-o", str(tmp_path / "a.wav"), *FAKE]
    runner.invoke(cli, args)
    calls = len(fake_engine.calls)
    runner.invoke(cli, args + ["--no-cache"])
    assert len(fake_engine.calls) > calls


def test_default_output_is_named_after_technique_and_name(runner, script, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render", str(script), "--var", "name=Sam O'Neil", *FAKE])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "output" / "test-session-sam-o-neil.mp3").is_file()


def test_plan_text_lists_chapters_and_events(runner, script):
    result = runner.invoke(cli, ["plan", str(script), *FAKE])
    assert result.exit_code == 0
    assert "# Start" in result.output and "# End" in result.output and "bls" in result.output


def test_check_reports_location_and_line_and_exits_1(runner, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(script_text("Hello.\n[pause 5 sconds]\n"), encoding="utf-8")
    result = runner.invoke(cli, ["check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:9:1: unexpected 'sconds' in [pause]" in result.output
    assert "    [pause 5 sconds]" in result.output


def test_check_passes_good_scripts(runner, script):
    result = runner.invoke(cli, ["check", str(script)])
    assert result.exit_code == 0 and "OK" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["render", "no-such-technique"], "no technique 'no-such-technique'"),
        (["render", "safe-plase"], "(did you mean 'safe-place'"),
        (["render", "missing.md"], "missing.md: no such file"),
        (["render", "{script}", "--var", "nmae=Sam"], "unknown variable 'nmae' (did you mean 'name'?)"),
        (["render", "{script}", "--voice", "klingon"], "unknown voice 'klingon'"),
        (["render", "{script}", "--rate", "1000"], "--rate must be from 60 to 400, not 1000"),
        (["render", "{script}", "--pause-scale", "5"], "--pause-scale must be from 0.5 to 2, not 5"),
        (["render", "{script}", "--profile", "{tmp}/missing.yaml"], "missing.yaml: no such profile"),
        (["render", "{script}", "--minutes", "90"], "out of reach for this script"),
        (["render", "{script}", "-o", "{tmp}/x.aiff"], "unknown output format 'aiff'"),
    ],
)
def test_user_errors_are_one_line_exit_1_and_leave_no_file(runner, script, tmp_path, args, message):
    args = [a.format(script=script, tmp=tmp_path) for a in args]
    before = set(tmp_path.rglob("*"))
    result = runner.invoke(cli, args + FAKE)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert set(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("args", [["render"], ["render", "x", "--var", "novalue"], ["nonsense"]])
def test_usage_errors_exit_2(runner, args):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rate", "fast"], "--rate must be a whole number from 60 to 400"),
        (["--ambience", "rian"], "--ambience must be a bed name, an audio file or none (did you mean 'rain'?)"),
        (["--bls-tone", "kazoo"], "--bls-tone must be one of sine, chime"),
    ],
)
def test_a_bad_value_is_one_line_and_exit_1_as_in_a_profile(runner, tmp_path, args, message):
    """A value is checked by the option specification, so the command line says what a profile would."""
    result = runner.invoke(cli, ["render", "box-breathing", "-o", str(tmp_path / "x.wav"), *FAKE, *args])
    assert result.exit_code == 1 and message in result.output and len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_bad_script_renders_nothing_and_names_the_problem(runner, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(script_text("[bls 30s rate=2.5]\n"), encoding="utf-8")
    result = runner.invoke(cli, ["render", str(bad), "-o", str(tmp_path / "x.mp3"), *FAKE])
    assert result.exit_code == 1
    assert "rate 2.5 is above the cap of 2 cycles per second" in result.output
    assert not (tmp_path / "x.mp3").exists()


def test_techniques_lists_the_library(runner):
    result = runner.invoke(cli, ["techniques", "--json"])
    rows = json.loads(result.stdout)
    ids = {r["id"] for r in rows}
    assert {"safe-place", "box-breathing"} <= ids
    assert all({"id", "title", "category", "duration_s"} <= set(r) for r in rows)


def test_voices_json(runner):
    result = runner.invoke(cli, ["voices", "--json", *FAKE])
    assert json.loads(result.stdout)[0] == {
        "id": "fake/en",
        "name": "Fake English",
        "engine": "fake",
        "language": "en",
        "languages": ["en"],
        "gender": "",
        "quality": "",
        "sample_rate_hz": 0,
        "location": "",
    }


def test_ambience_file_and_none(runner, script, tmp_path):
    bed = tmp_path / "bed.wav"
    sf.write(bed, 0.1 * np.random.default_rng(0).standard_normal((44_100 * 3, 2)), 44_100)
    for choice in (str(bed), "none", "pink"):
        result = runner.invoke(cli, ["plan", str(script), "--json", "--ambience", choice, *FAKE])
        assert result.exit_code == 0, result.output
        beds = [e.get("bed") for e in json.loads(result.stdout)["events"] if e["kind"] == "ambience"]
        assert beds == ([] if choice == "none" else [str(bed.resolve()) if choice == str(bed) else choice])


def test_render_report_and_plan_png(runner, script, tmp_path):
    out = tmp_path / "calm.mp3"
    result = runner.invoke(cli, ["render", str(script), "-o", str(out), "--report", *FAKE])
    assert result.exit_code == 0, result.output
    page, image = tmp_path / "calm.html", tmp_path / "calm.timeline.png"
    assert page.is_file() and image.read_bytes().startswith(b"\x89PNG")
    assert "calm.mp3" in page.read_text(encoding="utf-8")
    drawn = tmp_path / "plan.png"
    assert runner.invoke(cli, ["plan", str(script), "--png", str(drawn), *FAKE]).exit_code == 0
    assert drawn.read_bytes().startswith(b"\x89PNG")


def test_batch_writes_a_review_page_per_recording_and_an_index(runner, script, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"client_id,technique\nc-1,{script}\nc-2,{script}\n", encoding="utf-8")
    result = runner.invoke(cli, ["batch", str(roster), "-o", str(tmp_path / "out"), "--workers", "1", *FAKE])
    assert result.exit_code == 0, result.output
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (tmp_path / "out").glob("*.html") if p.name != "index.html")
    assert len(pages) == 2 and all(name in index for name in pages)


def test_output_into_a_missing_folder_makes_it(runner, script, tmp_path):
    out = tmp_path / "new" / "deeper" / "out.wav"
    result = runner.invoke(cli, ["render", str(script), "-o", str(out), "--engine", "fake"])
    assert result.exit_code == 0, result.output
    assert out.is_file()
