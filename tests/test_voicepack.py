"""Voice packs: the sheet, importing a synthetic take (noise, hum, varied silences, a retake in
another voice, a missing and an extra phrase), levels against the synthetic clips, rendering."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import lameenc
import numpy as np
import pyebur128
import pytest
import soundfile as sf
from voicepack_takes import RATE_HZ, WordsEngine, build, speak

from sessiongen import pipeline
from sessiongen.errors import SessiongenError
from sessiongen.settings import Settings
from sessiongen.speech import get_engine
from sessiongen.speech.cache import PhraseCache
from sessiongen.speech.clips import Speaker
from sessiongen.voicepack import importing, sheet, store
from sessiongen.voicepack.phrases import pack_phrases

SCRIPT = Path(__file__).parent / "data" / "voicepack-script.md"
SETTINGS = Settings(engine="fake")
MATCH_TOLERANCE_S = 0.1
LEVEL_TOLERANCE_LU = 0.5


@pytest.fixture(autouse=True)
def words_engine(monkeypatch):
    """The sheet's synthetic voice says words (voicepack_takes.WordsEngine): takes are matched by them."""
    from sessiongen import speech

    monkeypatch.setitem(speech.ENGINES, "fake-words", WordsEngine)


def make_pack(folder: Path, tmp_path: Path, personal: str = "neutral") -> store.Pack:
    from sessiongen import speech

    speech.ENGINES["fake-words"] = WordsEngine
    script = pipeline.load(str(SCRIPT))
    pack = sheet.make_pack([script], [str(SCRIPT)], get_engine("fake-words"), "fake-words", SETTINGS, tmp_path / "cache", folder, personal)
    store.create(folder, pack, sheet.html(pack, [script.meta.title]))
    return store.load(folder)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A pack and the import of a take with phrase 4 missing, a remark after 6, phrase 2 said twice."""
    from fake_engine import FakeEngine

    from sessiongen import speech

    speech.ENGINES["fake"] = FakeEngine  # module scope: the autouse fixture is per test
    tmp = tmp_path_factory.mktemp("pack")
    pack = make_pack(tmp / "pack", tmp)
    take = build(pack.phrases, missing=4, extra_after=6, retake=2)
    sf.write(tmp / "take.wav", take.samples, RATE_HZ)
    report = importing.import_takes(tmp / "pack", [tmp / "take.wav"], SETTINGS)
    return tmp, store.load(tmp / "pack"), take, report


def test_the_sheet_numbers_every_phrase_and_marks_the_personal_ones(tmp_path):
    pack = make_pack(tmp_path / "pack", tmp_path)
    data = json.loads((tmp_path / "pack" / "pack.json").read_text())
    assert [p["id"] for p in data["phrases"]] == list(range(1, len(pack.phrases) + 1))
    personal = [p for p in data["phrases"] if p["personal"]]
    assert [p["text"] for p in personal] == ["Welcome.", "Notice your feet on the floor."]
    assert all(p["mode"] == "neutral" and "{" in p["template"] and len(p["text_sha256"]) == 64 for p in personal)
    assert all(p["expected_s"] > 0.3 for p in data["phrases"])
    page = (tmp_path / "pack" / "sheet.html").read_text()
    assert "about 2 seconds of silence" in page and "Breathe in." in page and "this version is used for every client" in page


def test_a_long_take_is_split_and_aligned_to_the_phrases(imported):
    _, pack, take, report = imported
    for phrase_id, (start_s, stop_s) in take.truth.items():
        rec = pack.recorded[phrase_id]
        assert abs(rec["start_s"] - start_s) < MATCH_TOLERANCE_S and abs(rec["stop_s"] - stop_s) < MATCH_TOLERANCE_S, phrase_id
    assert 4 not in pack.recorded
    kinds = {(p.kind, p.phrase) for p in report.problems}
    assert ("missing", 4) in kinds and ("retake", 2) in kinds
    extra = next(p for p in report.problems if p.kind == "extra")
    assert abs(extra.at_s - take.extra[0]) < MATCH_TOLERANCE_S
    assert not [p for p in report.problems if p.kind not in ("missing", "retake", "extra")], report.lines()
    assert (pack.folder / "report.html").read_text().count("not recorded") == 1
    assert json.loads((pack.folder / "report.json").read_text())["problems"]


def _lufs(mono: np.ndarray) -> float:
    meter = pyebur128.R128State(1, RATE_HZ, pyebur128.MeasurementMode.MODE_I)
    meter.add_frames(mono.astype(np.float64), len(mono))
    return pyebur128.get_loudness_global(meter)


def test_recorded_clips_sit_at_the_synthetic_clips_loudness_and_are_cleaner(imported, tmp_path):
    tmp, pack, _, _ = imported
    speaker = Speaker(get_engine("fake-words"), PhraseCache(tmp_path, RATE_HZ), SETTINGS)  # the pack's synthetic voice
    errors = []
    for phrase_id, rec in pack.recorded.items():
        text = pack.phrase(phrase_id).text
        recorded, _ = sf.read(store.clip_folder(pack.folder, RATE_HZ, SETTINGS.voice_rms_db) / f"{phrase_id:03d}.wav", dtype="float32")
        synthetic, _ = sf.read(speaker.clip(text).path, dtype="float32")
        error = _lufs(recorded) - _lufs(synthetic)
        errors.append((phrase_id, round(error, 2)))
        # a one-word clip (under 1 s) is little more than one 400 ms loudness block: a wider tolerance
        assert abs(error) < (LEVEL_TOLERANCE_LU if len(synthetic) > RATE_HZ else 2 * LEVEL_TOLERANCE_LU), errors
        assert rec["snr_db_after"] > rec["snr_db"] + 3.0, rec
    assert sum(abs(e) < LEVEL_TOLERANCE_LU for _, e in errors) >= len(errors) - 2, errors


def test_a_render_from_the_pack_refuses_missing_phrases_unless_allowed(imported, tmp_path):
    tmp, pack, _, _ = imported
    script = pipeline.load(str(SCRIPT))
    with pytest.raises(SessiongenError, match="not in the voice pack.*--allow-synthetic"):
        pipeline.prepare(script, {"name": "Sam"}, SETTINGS.but(voice_pack=str(pack.folder)), tmp_path)
    allowed = SETTINGS.but(voice_pack=str(pack.folder), allow_synthetic=True)
    prepared = pipeline.prepare(script, {"name": "Sam"}, allowed, tmp_path)
    assert [s["phrase"] for s in prepared.voice_pack["synthetic"]] == [4]
    assert prepared.voice_pack["personal_spoken_neutral"] == ["Welcome."]
    recorded = [c for c in prepared.clips.values() if c.text != pack.phrase(4).text]
    assert all(Path(c.path).parent.parent.parent == pack.folder for c in recorded)  # read from the pack, never copied
    cached = [p for p in tmp_path.rglob("*") if p.is_file()]  # the phrase cache of this render: phrase 4, named by a hash
    assert cached and all(len(p.stem) == 64 or p.name == "voices.json" for p in cached)
    delivery = pipeline.deliver(prepared, {"name": "Sam"}, allowed, tmp_path / "out.wav")
    assert delivery.manifest["voice_pack"]["synthetic"][0]["why"] == "not recorded"
    assert abs(delivery.manifest["loudness"]["voice_lufs"] - allowed.target_lufs) < 0.5


def _ffmpeg_on_path(tmp_path: Path, monkeypatch) -> bool:
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return False
    (tmp_path / "bin").mkdir()
    os.symlink(exe, tmp_path / "bin" / "ffmpeg")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return True


def _write(path: Path, mono: np.ndarray) -> None:
    if path.suffix == ".mp3":
        encoder = lameenc.Encoder()
        encoder.set_bit_rate(128), encoder.set_in_sample_rate(RATE_HZ), encoder.set_channels(1), encoder.set_quality(2)
        pcm = (np.clip(mono, -1, 1) * 32767).astype("<i2").tobytes()
        path.write_bytes(encoder.encode(pcm) + encoder.flush())
    elif path.suffix == ".m4a":
        wav = path.with_suffix(".tmp.wav")
        sf.write(wav, mono, RATE_HZ)
        subprocess.run([shutil.which("ffmpeg"), "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "128k", str(path)], check=True)
        wav.unlink()
    else:
        sf.write(path, mono, RATE_HZ)


def test_every_accepted_format_imports_from_a_numbered_folder(imported, tmp_path, monkeypatch):
    _, base, _, _ = imported
    shutil.copytree(base.folder, tmp_path / "pack")
    formats = [".wav", ".flac", ".ogg", ".mp3"] + ([".m4a"] if _ffmpeg_on_path(tmp_path, monkeypatch) else [])
    (tmp_path / "files").mkdir()
    rng = np.random.default_rng(3)
    for phrase, suffix in zip(base.phrases[3:], formats):  # phrase 4, the missing one, first
        room = rng.standard_normal(int(0.6 * RATE_HZ)).astype(np.float32) * 0.002
        _write(tmp_path / "files" / f"{phrase.id:03d}{suffix}", np.concatenate([room, 0.4 * speak(phrase.text), room]))
    report = importing.import_takes(tmp_path / "pack", [tmp_path / "files"], SETTINGS)
    pack = store.load(tmp_path / "pack")
    assert len(pack.recorded) == len(pack.phrases) and report.matched == len(pack.phrases)
    for phrase, suffix in zip(base.phrases[3:], formats):
        assert pack.recorded[phrase.id]["take"] == f"{phrase.id:03d}{suffix}"
        assert abs(pack.recorded[phrase.id]["duration_s"] - len(speak(phrase.text)) / RATE_HZ) < 0.15, suffix
    if ".m4a" not in formats:
        pytest.skip("no ffmpeg: M4A not tested")


def test_a_failed_import_leaves_the_pack_as_it_was(imported, tmp_path, monkeypatch):
    tmp, base, _, _ = imported
    shutil.copytree(base.folder, tmp_path / "pack")
    before = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "pack").rglob("*") if p.is_file()}
    (tmp_path / "bad.wav").write_bytes(b"RIFF not really audio")
    with pytest.raises(SessiongenError, match="bad.wav"):
        importing.import_takes(tmp_path / "pack", [tmp / "take.wav", tmp_path / "bad.wav"], SETTINGS)

    def stopped(*args):
        raise KeyboardInterrupt  # a stop half-way through cleaning: nothing of it is kept

    monkeypatch.setattr(importing, "clean", stopped)
    with pytest.raises(KeyboardInterrupt):
        importing.import_takes(tmp_path / "pack", [tmp / "take.wav"], SETTINGS)
    assert {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "pack").rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav", "pack"]


def test_the_cli_makes_shows_and_deletes_a_pack(runner, tmp_path):
    from sessiongen.cli import cli

    made = runner.invoke(cli, ["voice-pack", "sheet", str(SCRIPT), "-o", str(tmp_path / "pack"), "--engine", "fake"])
    assert made.exit_code == 0, made.output
    shown = runner.invoke(cli, ["voice-pack", "show", str(tmp_path / "pack")])
    assert "0 of 11 phrases recorded" in shown.output
    missing = runner.invoke(cli, ["voice-pack", "import", str(tmp_path / "pack"), str(tmp_path / "none.wav")])
    assert missing.exit_code == 1 and "no such take" in missing.output
    gone = runner.invoke(cli, ["voice-pack", "delete", str(tmp_path / "pack"), "--yes"])
    assert gone.exit_code == 0 and not (tmp_path / "pack").exists()
    not_a_pack = runner.invoke(cli, ["render", str(SCRIPT), "--voice-pack", str(tmp_path), "--engine", "fake"])
    assert not_a_pack.exit_code == 1 and "not a voice pack" in not_a_pack.output


def test_several_takes_in_order_import_like_one(imported, tmp_path):
    tmp, base, take, _ = imported
    shutil.copytree(base.folder, tmp_path / "pack")
    cut_s = (take.truth[6][1] + take.truth[7][0]) / 2  # in the silence before phrase 7
    cut = int(cut_s * RATE_HZ)
    sf.write(tmp_path / "part-1.ogg", take.samples[:cut], RATE_HZ)
    sf.write(tmp_path / "part-2.flac", take.samples[cut:], RATE_HZ)
    importing.import_takes(tmp_path / "pack", [tmp_path / "part-1.ogg", tmp_path / "part-2.flac"], SETTINGS)
    pack = store.load(tmp_path / "pack")
    assert pack.recorded.keys() == base.recorded.keys()
    assert (
        pack.recorded[7]["take"] == "part-2.flac"
        and abs(pack.recorded[7]["start_s"] - (take.truth[7][0] - cut / RATE_HZ)) < MATCH_TOLERANCE_S
    )


def test_clipped_short_quiet_and_noisy_phrases_are_reported_with_their_numbers(imported, tmp_path):
    _, base, _, _ = imported
    shutil.copytree(base.folder, tmp_path / "pack")
    (tmp_path / "fixes").mkdir()
    rng = np.random.default_rng(5)
    room = lambda level, n=int(0.8 * RATE_HZ): rng.standard_normal(n).astype(np.float32) * np.float32(level)  # noqa: E731
    words = base.phrase(4).text.split()
    voices = {
        2: np.clip(5.0 * speak(base.phrase(2).text), -1, 1),
        4: 0.3 * speak(" ".join(words[: len(words) // 3])),
        6: 0.004 * speak(base.phrase(6).text),
        7: 0.3 * speak(base.phrase(7).text),
    }
    levels = {2: 0.001, 4: 0.001, 6: 0.00002, 7: 0.02}
    for number, voice in voices.items():
        noise = room(levels[number])
        take = np.concatenate([noise, voice + (room(levels[number], len(voice)) if number == 7 else 0), noise])
        sf.write(tmp_path / "fixes" / f"phrase {number}.wav", take, RATE_HZ, subtype="FLOAT")
    report = importing.import_takes(tmp_path / "pack", [tmp_path / "fixes"], SETTINGS)
    kinds = {(p.kind, p.phrase) for p in report.problems}
    assert {("clipped", 2), ("short", 4), ("quiet", 6), ("noisy", 7)} <= kinds, report.lines()
    assert store.load(tmp_path / "pack").recorded[1] == base.recorded[1]  # the others kept


def test_a_changed_script_is_refused_then_allowed_and_listed(imported, tmp_path):
    _, pack, _, _ = imported
    changed = tmp_path / "changed.md"
    changed.write_text(SCRIPT.read_text().replace("Good. There is", "Good. Right now, there is"))
    settings = SETTINGS.but(voice_pack=str(pack.folder))
    script = pipeline.load(str(changed))
    with pytest.raises(SessiongenError, match="Right now, there is.*changed or added since the recording"):
        pipeline.prepare(script, {}, settings, tmp_path)
    prepared = pipeline.prepare(script, {}, settings.but(allow_synthetic=True), tmp_path)
    assert {s["text"][:16] for s in prepared.voice_pack["synthetic"]} == {"Let your shoulde", "Right now, there"}


def test_personal_phrases_can_be_left_to_the_synthetic_voice(tmp_path):
    folder = tmp_path / "pack"
    pack = make_pack(folder, tmp_path, personal="synthetic")
    take = build(pack.phrases)
    sf.write(tmp_path / "take.wav", take.samples, RATE_HZ)
    importing.import_takes(folder, [tmp_path / "take.wav"], SETTINGS)
    prepared = pipeline.prepare(pipeline.load(str(SCRIPT)), {"name": "Sam"}, SETTINGS.but(voice_pack=str(folder)), tmp_path)
    said = prepared.voice_pack["synthetic"]
    assert [s["phrase"] for s in said] == [1, 3] and "Sam" not in json.dumps(
        prepared.voice_pack
    )  # the manifest names the phrase, not the client
    assert any(c.text == "Welcome, Sam." for c in prepared.clips.values())


def test_a_profile_and_a_roster_name_the_pack(tmp_path):
    from sessiongen.options.profile import from_fields

    (tmp_path / "pack").mkdir()
    fields = from_fields({"voice_pack": str(tmp_path / "pack"), "allow_synthetic": "yes"}, "roster row 2").settings
    assert fields == {"voice_pack": str((tmp_path / "pack").resolve()), "allow_synthetic": True}
    with pytest.raises(SessiongenError, match="voice_pack must be a voice pack folder"):
        from_fields({"voice_pack": str(tmp_path / "nowhere")}, "roster row 3")


def test_a_sheet_takes_compositions_with_each_phrase_once(tmp_path):
    script = pipeline.load(f"{SCRIPT}+{SCRIPT}")
    phrases = pack_phrases([script, pipeline.load(str(SCRIPT))])
    assert len(phrases) == len({p.text for p in phrases}) == 12  # the composition's transition is a phrase too
    assert any(p.text.startswith("When you are ready, we will move") for p in phrases)
