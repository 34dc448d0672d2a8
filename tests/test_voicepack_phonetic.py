"""Voice packs matched by phonetic content (voicepack/phonetic.py): which sheets are matched by
sound, how phones are compared, and a real voice unlike the sheet's, faster than it, telling two
neighbouring phrases of the same length apart by their words."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from sessiongen import pipeline, speech
from sessiongen.settings import Settings
from sessiongen.sound.audio import resample
from sessiongen.voicepack import importing, phonetic, sheet, store

RATE_HZ = 44_100
TOLERANCE_S = 0.15
HANDS, BREATH = "Notice the weight of your hands.", "Follow the path of your breath."
PAIR_SCRIPT = f"""---
id: vp-pair
title: Pair
category: grounding
summary: Two neighbouring phrases of one length.
duration: 1m
---
Welcome, and settle in for a moment.

{HANDS}

{BREATH}

Rest here for as long as you like.
"""
SPANISH = ["Bienvenida. Tómate un momento para llegar.", "Nota el peso de tus manos.", "Sigue el camino de tu respiración."]


def test_english_sheets_are_matched_by_sound_and_others_are_not():
    lexicon = phonetic.lexicon_for([HANDS, BREATH])
    assert lexicon is not None and lexicon.of(["hands"]) == ["HH", "AE", "N", "D", "Z"]
    assert "sorry" in lexicon.phones  # a remark is heard as one, not as the nearest phrase
    assert phonetic.lexicon_for(SPANISH) is None  # no Spanish model: the spectral comparison is used


def test_phones_tell_phrases_of_one_length_apart_and_a_stumble_is_half():
    lexicon = phonetic.lexicon_for([HANDS, BREATH])
    hands, breath = (lexicon.of(phonetic.words_in(t)) for t in (HANDS, BREATH))
    assert phonetic.distance(hands, hands) == (0.0, 0)
    assert phonetic.distance(hands, breath)[0] > 0.6
    assert 0.35 < phonetic.distance(hands[: len(hands) // 2], hands)[0] < 0.65
    assert phonetic.distance(hands[:-1], hands) == (1 / len(hands), 1)  # "hand": one sound missed


def _take(phrases, voice: str, rate_wpm: int, missing: int | None, seed: int):
    """The sheet read by espeak-ng in `voice`, a remark after the first phrase, `missing` left out;
    0.6-1.5 s between phrases, noise and hum. (samples, truth)"""
    engine = speech.raw_engine("pyttsx3")
    rng = np.random.default_rng(seed)

    def said(text: str) -> np.ndarray:
        raw = engine.synthesize(text, engine.resolve_voice(voice, "en"), rate_wpm, 1.0)
        mono = resample(raw.samples[:, 0], raw.rate_hz, RATE_HZ)
        loud = np.flatnonzero(np.abs(mono) >= np.abs(mono).max() * 10 ** (-45 / 20))
        return (0.4 * mono[loud[0] : loud[-1] + 1] / np.abs(mono).max()).astype(np.float32)

    parts, truth, at = [np.zeros(2 * RATE_HZ, np.float32)], {}, 2.0
    for n, phrase in enumerate(phrases):
        texts = [phrase.text] + (["Sorry, one moment."] if n == 0 else [])
        for text in texts if phrase.id != missing else []:
            audio = said(text)
            if text == phrase.text:
                truth[phrase.id] = (at, at + len(audio) / RATE_HZ)
            gap = np.zeros(int(rng.uniform(0.6, 1.5) * RATE_HZ), np.float32)
            parts += [audio, gap]
            at += (len(audio) + len(gap)) / RATE_HZ
    clean = np.concatenate(parts)
    t = np.arange(len(clean)) / RATE_HZ
    noise = rng.standard_normal(len(clean)) * 10 ** (-62 / 20) + 10 ** (-55 / 20) * np.sin(2 * np.pi * 50 * t)
    return (clean + noise).astype(np.float32), truth


@pytest.mark.e2e
@pytest.mark.parametrize("left_out", [None, HANDS, BREATH])
def test_neighbours_of_one_length_get_their_own_audio_from_another_voice_at_a_faster_pace(tmp_path, left_out):
    """The sheet in espeak-ng's en-gb; the take in its en-us f3 variant (a female voice) at 1.3x
    the sheet's pace. Lengths cannot tell the two middle phrases apart: their words must."""
    settings = Settings(engine="pyttsx3", voice="gmw/en")
    (tmp_path / "pair.md").write_text(PAIR_SCRIPT)
    script = pipeline.load(str(tmp_path / "pair.md"))
    pack = sheet.make_pack([script], ["pair.md"], speech.get_engine("pyttsx3"), "pyttsx3", settings, tmp_path / "cache", tmp_path / "pack")
    store.create(tmp_path / "pack", pack, sheet.html(pack, [script.meta.title]))
    hands, breath = (next(p for p in pack.phrases if p.text == t) for t in (HANDS, BREATH))
    assert abs(hands.expected_s - breath.expected_s) < 0.3
    missing = {None: None, HANDS: hands.id, BREATH: breath.id}[left_out]
    samples, truth = _take(pack.phrases, "gmw/en-us+f3", int(settings.rate_wpm * 1.3), missing, seed=3)
    sf.write(tmp_path / "take.wav", samples, RATE_HZ)
    report = importing.import_takes(tmp_path / "pack", [tmp_path / "take.wav"], Settings())
    pack = store.load(tmp_path / "pack")
    for phrase_id, (start_s, stop_s) in truth.items():  # each its own audio, matched by sound
        rec = pack.recorded[phrase_id]
        assert abs(rec["start_s"] - start_s) <= TOLERANCE_S and abs(rec["stop_s"] - stop_s) <= TOLERANCE_S, (phrase_id, rec, report.lines())
        assert rec["match"]["by"] == "phonetic"
        # "breath" is heard as "hands" after "of your" by this voice (the sheet's word order pulls
        # it), so BREATH may be marked check against HANDS; every other phrase is sure
        assert not rec["match"]["check"] or phrase_id == breath.id, (phrase_id, rec["match"])
    for phrase in (hands, breath):
        if phrase.id in truth:
            heard = pack.recorded[phrase.id]["match"]["heard"].split()
            assert len(set(phonetic.words_in(phrase.text)) & set(heard)) >= 4, heard
    if missing is not None:
        assert missing not in pack.recorded and ("missing", missing) in {(p.kind, p.phrase) for p in report.problems}


def test_a_phrase_with_sound_left_out_close_beside_it_is_marked():
    """A part after a comma heard too poorly to count is left out as extra: the phrase it was cut
    from is doubtful (ragged), a phrase with a long silence before the extra is not."""
    from sessiongen.voicepack import split

    found = [
        split.Island(0, 0, 100, 0.3),
        split.Island(0, 130, 180, 2.5),
        split.Island(0, 430, 500, 2.5),
        split.Island(0, 750, 800, np.inf),
    ]
    aligned = split.Alignment([(0, 0), (2, 2), (3, 3)], [[], [], []], [1])
    assert split._ragged(found, aligned) == {0}
