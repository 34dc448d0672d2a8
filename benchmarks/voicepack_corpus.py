"""A corpus of takes read by real voices other than the sheet's, for measuring the voice-pack
matcher (benchmarks/voicepack_content.py). The tests do not use it.

A take reads the sheet in order in one voice at one pace, with: silences of 0.4-3 s between
phrases; a pause of 0.3-0.9 s at each comma (the parts spoken apart); one phrase left out; a few
phrases stumbled (the first half said), then a remark ("Sorry, again.") and the whole phrase
said again; a remark on its own; levels varying ±4 dB; room noise and 50 Hz hum. The truth kept
is where the last take of each phrase lies (its first and last sample above -45 dB of its peak).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from sessiongen.sound.audio import resample

RATE_HZ = 44_100
REMARKS = ["Sorry, again.", "Sorry, let me say that again.", "Hang on, one more time."]
ASIDE = "Okay, where was I. Right, the next one."


@dataclass
class Take:
    samples: np.ndarray
    truth: dict[int, tuple[float, float]] = field(default_factory=dict)
    retaken: set[int] = field(default_factory=set)
    missing: int | None = None


def spoken(engine, voice: str, text: str, rate_wpm: int) -> np.ndarray:
    raw = engine.synthesize(text, voice, rate_wpm, 1.0)
    mono = resample(raw.samples.mean(axis=1).astype(np.float32), raw.rate_hz, RATE_HZ)
    loud = np.flatnonzero(np.abs(mono) >= np.abs(mono).max() * 10 ** (-45 / 20))
    return mono[loud[0] : loud[-1] + 1] / np.abs(mono).max()


def parts_of(text: str) -> list[str]:
    return [p for p in re.split(r"(?<=,)\s+", text) if p.strip()]


def build(
    phrases, engine, voice: str, pace: float, seed: int, sheet_wpm: int = 105, noise_db: float = -60.0, hum_db: float = -55.0
) -> Take:
    rng = np.random.default_rng(seed)
    rate = int(round(sheet_wpm * pace))
    ids = [p.id for p in phrases]
    take = Take(np.zeros(0), missing=int(rng.choice(ids[1:-1])))
    stumbles = set(rng.choice([i for i in ids if i != take.missing], size=max(1, len(ids) // 15), replace=False).tolist())
    aside_after = int(rng.choice(ids))
    out, at = [np.zeros(int(rng.uniform(3, 5) * RATE_HZ), np.float32)], 0.0
    at = len(out[0]) / RATE_HZ

    def say(text: str, whole: bool = True) -> tuple[float, float]:
        nonlocal at
        pieces = []
        for n, part in enumerate(parts_of(text) if whole else [text]):
            if n:
                pieces.append(np.zeros(int(rng.uniform(0.3, 0.9) * RATE_HZ), np.float32))
            pieces.append(spoken(engine, voice, part, rate))
        voice_part = np.concatenate(pieces) * np.float32(0.5 * 10 ** (rng.uniform(-4, 4) / 20))
        gap = np.zeros(int(rng.uniform(0.4, 3.0) * RATE_HZ), np.float32)
        out.extend([voice_part, gap])
        start = at
        at += (len(voice_part) + len(gap)) / RATE_HZ
        return start, start + len(voice_part) / RATE_HZ

    for phrase in phrases:
        if phrase.id == take.missing:
            continue
        if phrase.id in stumbles:
            words = phrase.text.split()
            say(" ".join(words[: max(1, len(words) // 2)]), whole=False)
            say(str(rng.choice(REMARKS)), whole=False)
            take.retaken.add(phrase.id)
        take.truth[phrase.id] = say(phrase.text)
        if phrase.id == aside_after:
            say(ASIDE, whole=False)
    clean = np.concatenate(out)
    t = np.arange(len(clean)) / RATE_HZ
    noise = rng.standard_normal(len(clean)).astype(np.float32) * np.float32(10 ** (noise_db / 20))
    hum = (np.sqrt(2) * 10 ** (hum_db / 20) * (np.sin(2 * np.pi * 50 * t) + 0.3 * np.sin(2 * np.pi * 150 * t))).astype(np.float32)
    take.samples = (clean + noise + hum).astype(np.float32)
    return take
