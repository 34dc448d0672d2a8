"""Audio as plain data: float32 samples shaped (frames, channels), and small helpers on them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

SILENCE_DB = -120.0


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, (frames, channels)
    rate_hz: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz


def db_to_gain(level_db: float) -> float:
    return float(10.0 ** (level_db / 20.0))


def gain_to_db(gain: float) -> float:
    return 20.0 * float(np.log10(max(gain, 1e-12)))


def rms_db(samples: np.ndarray) -> float:
    if samples.size == 0:
        return SILENCE_DB
    return gain_to_db(float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))))


def peak_db(samples: np.ndarray) -> float:
    return gain_to_db(float(np.max(np.abs(samples)))) if samples.size else SILENCE_DB


def to_mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    return samples if samples.ndim == 1 else samples.mean(axis=1, dtype=np.float32)


def resample(mono: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Band-limited resampling; the result has exactly ceil(n * to / from) frames."""
    if from_hz == to_hz:
        return mono.astype(np.float32, copy=False)
    frames = -(-len(mono) * to_hz // from_hz)
    out = soxr.resample(mono.astype(np.float32, copy=False), from_hz, to_hz, quality="HQ")
    return fit_length(out, frames)


def fit_length(samples: np.ndarray, frames: int) -> np.ndarray:
    if len(samples) >= frames:
        return samples[:frames]
    pad = [(0, frames - len(samples))] + [(0, 0)] * (samples.ndim - 1)
    return np.pad(samples, pad)


def raised_cosine(n: int) -> np.ndarray:
    """A 0 -> 1 ramp of n samples with zero slope at both ends."""
    if n <= 0:
        return np.ones(0, dtype=np.float32)
    return (0.5 - 0.5 * np.cos(np.pi * (np.arange(n, dtype=np.float64) + 0.5) / n)).astype(np.float32)


def loop_slice(loop: np.ndarray, start: int, frames: int) -> np.ndarray:
    """`frames` samples of a loop from absolute position `start`, wrapping around, by slicing."""
    out = np.empty((frames,) + loop.shape[1:], dtype=loop.dtype)
    pos, done = start % len(loop), 0
    while done < frames:
        n = min(frames - done, len(loop) - pos)
        out[done : done + n] = loop[pos : pos + n]
        done, pos = done + n, 0
    return out
