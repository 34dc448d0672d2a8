"""A user's audio file as the bed: a seamless loop, or seeded random segments of it.

Both are pure functions of absolute time, like every other source, so any window renders alone.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sessiongen.audio import loop_slice
from sessiongen.kweight import k_gain_of_loop

SEAM_S = 2.0  # crossfade where the loop's end meets its start
SEGMENT_S = 8.0  # with variation: each stretch plays from a random place in the file
MAX_FILE_S = 20 * 60.0


@lru_cache(maxsize=2)
def file_loop(path: str, rate_hz: int) -> np.ndarray:
    """The file as a seamless stereo loop, RMS 1: its end crossfades (equal power) into its start."""
    from sessiongen.useraudio import read_audio

    x = read_audio(path, rate_hz, max_duration_s=MAX_FILE_S).samples
    seam = min(int(SEAM_S * rate_hz), len(x) // 4)
    loop = x[: len(x) - seam].copy()
    theta = (np.arange(seam) + 0.5) / seam * (np.pi / 2)
    loop[:seam] = x[:seam] * np.sin(theta)[:, None] + x[len(x) - seam :] * np.cos(theta)[:, None]
    level = float(np.sqrt(np.mean(np.square(loop, dtype=np.float64))))
    return (loop / max(level, 1e-9)).astype(np.float32)


def file_bed(path: str, seed: int, start: int, frames: int, rate_hz: int, vary: bool = False) -> np.ndarray:
    loop = file_loop(path, rate_hz)
    if not vary:
        return loop_slice(loop, start, frames)
    return _varied(loop, seed, start, frames, rate_hz)


def _offset(seed: int, segment: int, length: int) -> int:
    return int(np.random.default_rng([seed, 0xBED, segment]).integers(length))


def _varied(loop: np.ndarray, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    """Segment k starts at k * SEGMENT_S and plays from a seeded random place; it fades in (equal
    power) over SEAM_S while segment k - 1 carries on and fades out."""
    seg, fade = int(SEGMENT_S * rate_hz), int(SEAM_S * rate_hz)
    out = np.zeros((frames, loop.shape[1]), dtype=np.float32)
    t = start + np.arange(frames)
    for k in range(max(0, start // seg - 1), (start + frames) // seg + 1):
        lo, hi = max(start, k * seg), min(start + frames, (k + 1) * seg + fade)
        if lo >= hi:
            continue
        u = t[lo - start : hi - start] - k * seg  # position within segment k
        part = loop_slice(loop, _offset(seed, k, len(loop)) + int(u[0]), hi - lo)
        rise = np.clip((u + 0.5) / fade, 0, 1) if k > 0 else np.ones(len(u))
        fall = np.clip(((seg + fade) - u - 0.5) / fade, 0, 1)
        out[lo - start : hi - start] += part * np.sin(0.5 * np.pi * np.minimum(rise, fall))[:, None].astype(np.float32)
    return out


@lru_cache(maxsize=4)
def k_power(path: str, rate_hz: int, mono: bool = False) -> float:
    """Mean K-weighted power of the file bed, summed over its channels or of the mono fold."""
    loop = file_loop(path, rate_hz)
    mixed = loop.mean(axis=1, keepdims=True) if mono else loop
    return float(np.mean(np.sum(np.square(mixed, dtype=np.float64), axis=1))) * k_gain_of_loop(mixed, rate_hz)
