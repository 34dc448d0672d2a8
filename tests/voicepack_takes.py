"""Synthetic takes for the voice-pack tests: the sheet spoken by a fake engine that says words
(WordsEngine), with room noise, 50 Hz hum, silences of varied length, a retake in another voice,
a missing and an extra phrase."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from fake_engine import RATE_HZ as ENGINE_RATE_HZ
from fake_engine import FakeEngine, expected_duration_s

from sessiongen.sound.audio import Audio, resample

RATE_HZ = 44_100
EXTRA_TEXT = "Sorry, one moment please."


@dataclass
class Take:
    samples: np.ndarray
    truth: dict[int, tuple[float, float]] = field(default_factory=dict)  # phrase id -> the kept take's (start, stop) s
    retaken: dict[int, tuple[float, float]] = field(default_factory=dict)  # the first, replaced take
    extra: tuple[float, float] | None = None


class WordsEngine(FakeEngine):
    """The fake engine, saying words: each word is a few vowel-like sounds (formants from a hash
    of its letters, the same in every voice), on the voice's own pitch and vocal-tract length, so
    what is said can be told apart by its spectrum, as with real speech. Lengths as FakeEngine's."""

    name = "fake-words"

    def identity(self) -> str:
        return "fake-words:1"

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        self.calls.append(text)
        words = text.split() or [text]
        per_word = int(expected_duration_s(text, rate_wpm) * ENGINE_RATE_HZ) // len(words)
        pitch_hz = {"fake/en": 120.0, "fake/en-us": 165.0}.get(voice, 140.0)
        tract = {"fake/en": 1.0, "fake/en-us": 1.03}.get(voice, 1.04)
        pieces = [_word(word, per_word, pitch_hz, tract) for word in words]
        padding = np.zeros(int(0.1 * ENGINE_RATE_HZ))
        return Audio((0.3 * volume * np.concatenate([padding, *pieces, padding])).astype(np.float32)[:, None], ENGINE_RATE_HZ)


def _word(word: str, frames: int, pitch_hz: float, tract: float) -> np.ndarray:
    letters = "".join(c for c in word.lower() if c.isalpha()) or word
    units = [letters[n : n + 2] for n in range(0, len(letters), 2)][:4]
    out = []
    for n, unit in enumerate(units):
        length = frames // len(units) + (frames % len(units) if n == len(units) - 1 else 0)
        seed = hashlib.sha256(unit.encode()).digest()
        formants = tract * np.array([300 + seed[0] / 255 * 600, 900 + seed[1] / 255 * 1500, 2400 + seed[2] / 255 * 1000])
        t = np.arange(length) / ENGINE_RATE_HZ
        harmonics = np.arange(1, int(5000 / pitch_hz) + 1) * pitch_hz
        gains = np.exp(-(((harmonics[:, None] - formants[None, :]) / 120.0) ** 2)).sum(axis=1) + 0.02
        sound = (gains[:, None] * np.sin(2 * np.pi * harmonics[:, None] * t[None, :])).sum(axis=0)
        ramp = np.minimum(1.0, np.minimum(np.arange(length), np.arange(length)[::-1]) / (0.015 * ENGINE_RATE_HZ))
        out.append(sound * (0.5 + 0.5 * ramp) / max(np.abs(sound).max(), 1e-9))
    return np.concatenate(out) if out else np.zeros(frames)


def speak(text: str, voice: str = "fake/en", rate_wpm: int = 105) -> np.ndarray:
    raw = WordsEngine().synthesize(text, voice, rate_wpm, 1.0)
    mono = resample(raw.samples[:, 0], raw.rate_hz, RATE_HZ)
    loud = np.flatnonzero(np.abs(mono) > 1e-3)
    return mono[loud[0] : loud[-1] + 1]


def build(
    phrases,
    seed: int = 1,
    missing: int | None = None,
    extra_after: int | None = None,
    retake: int | None = None,
    noise_db: float = -58.0,
    hum_db: float = -52.0,
    comma_gap_s: tuple[float, float] = (0.3, 0.5),
    silence_s: tuple[float, float] = (1.2, 3.0),
) -> Take:
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
