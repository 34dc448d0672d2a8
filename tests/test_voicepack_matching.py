"""Voice packs matched by what was said: the headphone check's words, a doubtful match refused
until accepted, and a real voice (espeak-ng) unlike the sheet's at 1.3x its pace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from voicepack_takes import RATE_HZ, WordsEngine, build, speak

from sessiongen import pipeline, speech
from sessiongen.errors import SessiongenError
from sessiongen.settings import Settings
from sessiongen.voicepack import importing, sheet, store

SETTINGS = Settings(engine="fake")
TOLERANCE_S = 0.15
CHECK_SCRIPT = """---
id: vp-lr
title: Left Right
category: grounding
summary: A headphone check between two sentences.
duration: 1m
---
Here is a short check of your headphones.

[headphone-check]

Good. Now settle in for a moment.
"""


@pytest.fixture(autouse=True)
def words_engine(monkeypatch):
    monkeypatch.setitem(speech.ENGINES, "fake-words", WordsEngine)
    monkeypatch.delitem(speech._made, "fake-words", raising=False)


def make(tmp_path: Path, text: str | None = None, engine: str = "fake-words", settings: Settings = SETTINGS) -> store.Pack:
    path = Path(__file__).parent / "data" / "voicepack-script.md"
    if text is not None:
        path = tmp_path / "script.md"
        path.write_text(text)
    script = pipeline.load(str(path))
    pack = sheet.make_pack([script], [str(path)], speech.get_engine(engine), engine, settings, tmp_path / "cache", tmp_path / "pack")
    store.create(tmp_path / "pack", pack, sheet.html(pack, [script.meta.title]))
    return store.load(tmp_path / "pack")


def imported(tmp_path: Path, pack: store.Pack, take) -> tuple[store.Pack, importing.Report]:
    sf.write(tmp_path / "take.wav", take.samples, RATE_HZ)
    report = importing.import_takes(tmp_path / "pack", [tmp_path / "take.wav"], SETTINGS)
    return store.load(tmp_path / "pack"), report


def own(rec: dict | None, truth: tuple[float, float]) -> bool:
    return rec is not None and abs(rec["start_s"] - truth[0]) <= TOLERANCE_S and abs(rec["stop_s"] - truth[1]) <= TOLERANCE_S


def test_left_and_right_are_never_swapped(tmp_path):
    pack = make(tmp_path, CHECK_SCRIPT)
    left, right = (next(p.id for p in pack.phrases if p.text == w) for w in ("Left.", "Right."))
    assert abs(pack.phrase(left).expected_s - pack.phrase(right).expected_s) < 0.1  # both short, the same length
    take = build(pack.phrases, seed=4, silence_s=(0.4, 1.5))
    pack, _ = imported(tmp_path, pack, take)
    assert own(pack.recorded[left], take.truth[left]) and own(pack.recorded[right], take.truth[right])
    assert not pack.recorded[left]["match"]["check"] and not pack.recorded[right]["match"]["check"]
    for missing in (left, right):  # one of them not said: the other's audio is never used for it unmarked
        shutil.rmtree(tmp_path / "pack")
        pack = make(tmp_path, CHECK_SCRIPT)
        take = build(pack.phrases, seed=5, missing=missing, silence_s=(0.4, 1.5))
        pack, report = imported(tmp_path, pack, take)
        said = right if missing == left else left
        wrong = pack.recorded.get(missing)
        assert wrong is None or store.doubtful(wrong), (missing, wrong)
        assert own(pack.recorded.get(said), take.truth[said]) or store.doubtful(pack.recorded[said])
        assert wrong is not None or ("missing", missing) in {(p.kind, p.phrase) for p in report.problems}


def test_the_report_gives_each_phrase_its_confidence_and_place(tmp_path):
    pack = make(tmp_path)
    take = build(pack.phrases, seed=2, missing=5, retake=3, extra_after=7)
    pack, report = imported(tmp_path, pack, take)
    assert all(own(pack.recorded.get(k), t) for k, t in take.truth.items()), report.lines()
    lines = "\n".join(report.lines())
    assert lines.count("confidence") == len(take.truth) and "take.wav 0:" in lines
    rows = json.loads((tmp_path / "pack" / "report.json").read_text())["phrases"]
    assert all(0.0 <= r["recorded"]["match"]["confidence"] <= 1.0 for r in rows if r["recorded"])
    assert ">Match<" in (tmp_path / "pack" / "report.html").read_text()


def test_a_phrase_marked_check_is_refused_until_accepted(tmp_path, runner):
    from sessiongen.cli import cli

    pack = make(tmp_path)
    pack, _ = imported(tmp_path, pack, build(pack.phrases, seed=3))
    pack.recorded[6]["match"] = {**pack.recorded[6]["match"], "check": True}
    store.save(pack)
    script = pipeline.load(str(Path(__file__).parent / "data" / "voicepack-script.md"))
    settings = SETTINGS.but(voice_pack=str(pack.folder))
    with pytest.raises(SessiongenError, match="marked check.*voice-pack accept pack 6"):
        pipeline.prepare(script, {}, settings, tmp_path / "render-cache")
    allowed = pipeline.prepare(script, {}, settings.but(allow_synthetic=True), tmp_path / "render-cache")
    assert [s["phrase"] for s in allowed.voice_pack["synthetic"]] == [6]
    before = (tmp_path / "pack" / "pack.json").read_bytes()
    with pytest.raises(SessiongenError, match="no phrase 99.*nothing accepted"):
        store.accept(tmp_path / "pack", [6, 99])  # all or nothing
    assert (tmp_path / "pack" / "pack.json").read_bytes() == before
    done = runner.invoke(cli, ["voice-pack", "accept", str(tmp_path / "pack"), "6", "7"])
    assert done.exit_code == 0 and "accepted phrase 6" in done.output and "not marked check (nothing to accept): 7" in done.output
    assert store.load(tmp_path / "pack").recorded[6]["match"]["accepted"] is True
    assert pipeline.prepare(script, {}, settings, tmp_path / "render-cache").voice_pack["synthetic"] == []
    marked = store.load(tmp_path / "pack")
    marked.recorded[7]["match"] = {**marked.recorded[7]["match"], "check": True}
    store.save(marked)
    (tmp_path / "fixes").mkdir()  # recorded again as a numbered file: used, the others kept
    room = np.random.default_rng(1).standard_normal(int(0.6 * RATE_HZ)).astype(np.float32) * 0.002
    sf.write(tmp_path / "fixes" / "007.wav", np.concatenate([room, 0.4 * speak(marked.phrase(7).text), room]), RATE_HZ)
    importing.import_takes(tmp_path / "pack", [tmp_path / "fixes"], SETTINGS)
    again = store.load(tmp_path / "pack")
    assert again.recorded[7]["take"] == "007.wav" and not store.doubtful(again.recorded[7]) and again.recorded[6]["match"]["accepted"]


def _espeak_take(phrases, voice: str, rate_wpm: int, seed: int = 7):
    """The sheet read by espeak-ng in another voice: 1-2 s between phrases, noise and hum; truth."""
    engine = speech.raw_engine("pyttsx3")
    rng = np.random.default_rng(seed)
    from sessiongen.sound.audio import resample

    parts, truth, at = [np.zeros(2 * RATE_HZ, np.float32)], {}, 2.0
    for phrase in phrases:
        raw = engine.synthesize(phrase.text, engine.resolve_voice(voice, "en"), rate_wpm, 1.0)
        mono = resample(raw.samples[:, 0], raw.rate_hz, RATE_HZ)
        loud = np.flatnonzero(np.abs(mono) >= np.abs(mono).max() * 10 ** (-45 / 20))
        said = 0.4 * mono[loud[0] : loud[-1] + 1] / np.abs(mono).max()
        gap = np.zeros(int(rng.uniform(1.0, 2.0) * RATE_HZ), np.float32)
        truth[phrase.id] = (at, at + len(said) / RATE_HZ)
        parts += [said.astype(np.float32), gap]
        at += (len(said) + len(gap)) / RATE_HZ
    clean = np.concatenate(parts)
    t = np.arange(len(clean)) / RATE_HZ
    noise = rng.standard_normal(len(clean)) * 10 ** (-62 / 20) + 10 ** (-55 / 20) * np.sin(2 * np.pi * 50 * t)
    return (clean + noise).astype(np.float32), truth


@pytest.mark.e2e
def test_a_real_voice_unlike_the_sheets_at_a_faster_pace(tmp_path):
    """espeak-ng's en-gb reads the sheet; its en-us with the f3 variant records it at 1.3x the pace."""
    settings = Settings(engine="pyttsx3", voice="gmw/en")
    pack = make(tmp_path, CHECK_SCRIPT, engine="pyttsx3", settings=settings)
    samples, truth = _espeak_take(pack.phrases, "gmw/en-us+f3", int(settings.rate_wpm * 1.3))
    sf.write(tmp_path / "take.wav", samples, RATE_HZ)
    report = importing.import_takes(tmp_path / "pack", [tmp_path / "take.wav"], Settings())
    pack = store.load(tmp_path / "pack")
    reported = {(p.kind, p.phrase) for p in report.problems}
    for phrase in pack.phrases:  # its own audio, or a mark that says to listen, or reported missing: never wrong unmarked
        rec = pack.recorded.get(phrase.id)
        safe = store.doubtful(rec) if rec is not None else ("missing", phrase.id) in reported
        assert own(rec, truth[phrase.id]) or safe, (phrase.text, rec, truth[phrase.id], report.lines())
    assert sum(own(pack.recorded.get(k), t) for k, t in truth.items()) >= len(truth) - 1
