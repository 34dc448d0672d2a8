"""Ambience beds from seamless noise loops: no filter state, so any window renders on its own.

Each channel sums two loops of different lengths made by shaping a random spectrum; a loop made
that way is periodic by construction (no seam), and the pair repeats only after many hours.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sessiongen.catalog import BEDS

# ~23.8 s and ~31.0 s at 44.1 kHz: coprime, so the pair repeats only after about a year, and
# both are products of small primes, so their FFTs are fast.
LOOP_FRAMES = (2**20, 3**7 * 5**4)
HIGHPASS_HZ = 25.0


def _shape(name: str, freqs_hz: np.ndarray) -> np.ndarray:
    f = np.maximum(freqs_hz, 1.0)
    highpass = 1.0 / np.sqrt(1.0 + (HIGHPASS_HZ / f) ** 4)
    slope = {"white": 0.0, "pink": 0.5, "brown": 1.0}[name]
    lowpass = 1.0 / np.sqrt(1.0 + (f / 12000.0) ** 4) if name == "white" else 1.0
    return highpass * lowpass / f**slope


@lru_cache(maxsize=8)
def _loop(name: str, seed: int, channel: int, which: int, rate_hz: int) -> np.ndarray:
    frames = LOOP_FRAMES[which]
    rng = np.random.default_rng([seed, channel, which, sum(map(ord, name))])
    freqs_hz = np.fft.rfftfreq(frames, 1.0 / rate_hz)
    spectrum = (rng.standard_normal(len(freqs_hz)) + 1j * rng.standard_normal(len(freqs_hz))) * _shape(name, freqs_hz)
    spectrum[0] = 0.0
    loop = np.fft.irfft(spectrum, n=frames)
    return (loop / np.sqrt(np.mean(loop**2))).astype(np.float32)


def _take(loop: np.ndarray, start: int, frames: int) -> np.ndarray:
    """frames samples of a loop from absolute position start, wrapping around, by slicing."""
    out = np.empty((frames,) + loop.shape[1:], dtype=loop.dtype)
    pos, done = start % len(loop), 0
    while done < frames:
        n = min(frames - done, len(loop) - pos)
        out[done : done + n] = loop[pos : pos + n]
        done, pos = done + n, 0
    return out


def noise(name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    """(frames, 2) of bed `name` from absolute frame `start`, RMS about 1 in each channel."""
    out = np.empty((frames, 2), dtype=np.float32)
    for channel in range(2):
        a = _take(_loop(name, seed, channel, 0, rate_hz), start, frames)
        b = _take(_loop(name, seed, channel, 1, rate_hz), start, frames)
        np.add(a, b, out=out[:, channel])
    out *= np.float32(np.sqrt(0.5))
    return out


SEAM_S = 2.0
MAX_FILE_S = 20 * 60.0


def is_named(bed: str) -> bool:
    return bed in BEDS


@lru_cache(maxsize=2)
def file_loop(path: str, rate_hz: int) -> np.ndarray:
    """A user's audio file as a seamless stereo loop: its end crossfades into its start."""
    from sessiongen.useraudio import read_audio

    audio = read_audio(path, rate_hz, max_duration_s=MAX_FILE_S)
    x = audio.samples
    seam = min(int(SEAM_S * rate_hz), len(x) // 4)
    loop = x[: len(x) - seam].copy()
    theta = (np.arange(seam) + 0.5) / seam * (np.pi / 2)
    loop[:seam] = x[:seam] * np.sin(theta)[:, None] + x[len(x) - seam :] * np.cos(theta)[:, None]
    level = float(np.sqrt(np.mean(np.square(loop, dtype=np.float64))))
    return (loop / max(level, 1e-9)).astype(np.float32)


def bed(name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    """(frames, 2) of a named bed or a user's file, from absolute frame `start`."""
    if is_named(name):
        return noise(name, seed, start, frames, rate_hz)
    return _take(file_loop(name, rate_hz), start, frames)
