"""Synthetic takes for the voice-pack tests: the sheet spoken by the fake engine, with room noise,
50 Hz hum, silences of varied length, a retake in another voice, a missing and an extra phrase."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from fake_engine import FakeEngine

from sessiongen.sound.audio import resample

RATE_HZ = 44_100
EXTRA_TEXT = "Sorry, one moment please."


@dataclass
class Take:
    samples: np.ndarray
    truth: dict[int, tuple[float, float]] = field(default_factory=dict)  # phrase id -> the kept take's (start, stop) s
    retaken: dict[int, tuple[float, float]] = field(default_factory=dict)  # the first, replaced take
    extra: tuple[float, float] | None = None


def speak(text: str, voice: str = "fake/en", rate_wpm: int = 105) -> np.ndarray:
    raw = FakeEngine().synthesize(text, voice, rate_wpm, 1.0)
    mono = resample(raw.samples[:, 0], raw.rate_hz, RATE_HZ)
    loud = np.flatnonzero(np.abs(mono) > 1e-3)
    return mono[loud[0] : loud[-1] + 1]


def build(phrases, seed: int = 1, missing: int | None = None, extra_after: int | None = None, retake: int | None = None,
          noise_db: float = -58.0, hum_db: float = -52.0, comma_gap_s: tuple[float, float] = (0.3, 0.5),
          silence_s: tuple[float, float] = (1.2, 3.0)) -> Take:
    """The take, with its truth. Levels vary by ±4 dB phrase to phrase; phrases of more than eight
    words have a comma's pause in the middle (a doubtful split), of a length in `comma_gap_s`;
    the silences between phrases are in `silence_s`."""
    rng = np.random.default_rng(seed)
    parts, take, at = [np.zeros(int(3.0 * RATE_HZ), np.float32)], Take(np.zeros(0)), 3.0

    def say(text: str, voice: str = "fake/en") -> tuple[float, float]:
        nonlocal at
        words = text.split()
        if len(words) > 8:
            half = len(words) // 2
            gap = np.zeros(int(rng.uniform(*comma_gap_s) * RATE_HZ), np.float32)
            voice_part = np.concatenate([speak(" ".join(words[:half]), voice), gap, speak(" ".join(words[half:]), voice)])
        else:
            voice_part = speak(text, voice)
        voice_part = voice_part * np.float32(10 ** (rng.uniform(-4, 4) / 20) * 0.5)
        start = at
        silence = np.zeros(int(rng.uniform(*silence_s) * RATE_HZ), np.float32)
        parts.extend([voice_part, silence])
        at += (len(voice_part) + len(silence)) / RATE_HZ
        return start, start + len(voice_part) / RATE_HZ

    for phrase in phrases:
        if phrase.id == missing:
            continue
        if phrase.id == retake:
            take.retaken[phrase.id] = say(phrase.text, "fake/en-us")
        take.truth[phrase.id] = say(phrase.text)
        if phrase.id == extra_after:
            take.extra = say(EXTRA_TEXT, "fake/en-us")
    clean = np.concatenate(parts)
    t = np.arange(len(clean)) / RATE_HZ
    noise = rng.standard_normal(len(clean)).astype(np.float32) * np.float32(10 ** (noise_db / 20))
    hum = (np.sqrt(2) * 10 ** (hum_db / 20) * (np.sin(2 * np.pi * 50 * t) + 0.3 * np.sin(2 * np.pi * 150 * t))).astype(np.float32)
    take.samples = (clean + noise + hum).astype(np.float32)
    return take
