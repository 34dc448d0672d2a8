"""A user's audio file as the bed: a seamless loop, or seeded random segments of it.

Both are pure functions of absolute time, like every other source, so any window renders alone.
The file is decoded only as far as the session needs (its length, and SEAM_S for the loop's seam),
at most MAX_FILE_S, into a loop kept on disk (loopfile.py): memory does not grow with either.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sessiongen.sound.beds.loopfile import CHANNELS, SEAM_S, LoopFile, build_loop
from sessiongen.sound.kweight import k_gain_of_loop

SEGMENT_S = 8.0  # with variation: each stretch plays from a random place in the file
MAX_FILE_S = 20 * 60.0
MARGIN_S = 0.5  # decoded beyond the session and the seam, so the loop never wraps within it


def decode_limit_s(rate_hz: int, session_frames: int | None) -> float:
    """How much of the file a session of `session_frames` needs decoded (None: as much as a bed may be)."""
    if session_frames is None:
        return MAX_FILE_S
    return min(MAX_FILE_S, session_frames / rate_hz + SEAM_S + MARGIN_S)


@lru_cache(maxsize=2)
def file_loop(path: str, rate_hz: int, session_frames: int | None = None) -> LoopFile:
    """The file as a seamless stereo loop, RMS 1: its end crossfades (equal power) into its start.
    Decoded only as far as a session of `session_frames` needs; with variation, its random
    stretches come from that part of the file."""
    from sessiongen.sound.useraudio import stream_audio

    return build_loop(stream_audio(path, rate_hz, decode_limit_s(rate_hz, session_frames)), rate_hz, path)


def file_bed(
    path: str, seed: int, start: int, frames: int, rate_hz: int, vary: bool = False, session_frames: int | None = None
) -> np.ndarray:
    loop = file_loop(path, rate_hz, session_frames)
    if not vary:
        return loop.read(start, frames)
    return _varied(loop, seed, start, frames, rate_hz)


def _offset(seed: int, segment: int, length: int) -> int:
    return int(np.random.default_rng([seed, 0xBED, segment]).integers(length))


def _varied(loop: LoopFile, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    """Segment k starts at k * SEGMENT_S and plays from a seeded random place; it fades in (equal
    power) over SEAM_S while segment k - 1 carries on and fades out."""
    seg, fade = int(SEGMENT_S * rate_hz), int(SEAM_S * rate_hz)
    out = np.zeros((frames, CHANNELS), dtype=np.float32)
    t = start + np.arange(frames)
    for k in range(max(0, start // seg - 1), (start + frames) // seg + 1):
        lo, hi = max(start, k * seg), min(start + frames, (k + 1) * seg + fade)
        if lo >= hi:
            continue
        u = t[lo - start : hi - start] - k * seg  # position within segment k
        part = loop.read(_offset(seed, k, len(loop)) + int(u[0]), hi - lo)
        rise = np.clip((u + 0.5) / fade, 0, 1) if k > 0 else np.ones(len(u))
        fall = np.clip(((seg + fade) - u - 0.5) / fade, 0, 1)
        out[lo - start : hi - start] += part * np.sin(0.5 * np.pi * np.minimum(rise, fall))[:, None].astype(np.float32)
    return out


def k_power(
    path: str, seed: int, t: np.ndarray, rate_hz: int, vary: bool = False, mono: bool = False, session_frames: int | None = None
) -> np.ndarray:
    """K-weighted power of the file bed around frame positions t, summed over its channels or of
    the mono fold: the loop's power in 10 ms bins at the place each position plays (and, with
    variation, of the two segments crossfading there) times the loop's K-gain."""
    bins, gain = _bin_power(path, rate_hz, mono, session_frames)
    length = len(file_loop(path, rate_hz, session_frames))

    def at(position) -> np.ndarray:  # the loop's power where absolute position `position` plays
        return bins[np.minimum((np.asarray(position, dtype=np.int64) % length) // POWER_BIN, len(bins) - 1)]

    if not vary:
        return gain * at(t)
    seg, fade = int(SEGMENT_S * rate_hz), int(SEAM_S * rate_hz)
    k = (np.asarray(t) // seg).astype(np.int64)
    offsets = {int(n): _offset(seed, int(n), length) for n in np.unique(np.concatenate([k, k - 1])) if n >= 0}
    start = np.array([offsets[int(n)] for n in k])
    u = np.asarray(t) - k * seg
    rise = np.where(k > 0, np.clip((u + 0.5) / fade, 0, 1), 1.0)
    power = np.sin(0.5 * np.pi * rise) ** 2 * at(start + u)
    previous = (u < fade) & (k > 0)
    if previous.any():
        before = np.array([offsets[int(n) - 1] for n in k[previous]])
        fall = np.clip((fade - u[previous] - 0.5) / fade, 0, 1)
        power[previous] += np.sin(0.5 * np.pi * fall) ** 2 * at(before + u[previous] + seg)
    return gain * power


POWER_BIN = 441  # frames per bin of a loop's power (10 ms at 44.1 kHz)
K_GAIN_FRAMES = 2**21  # the K-gain is taken from the loop's first ~48 s: a long one is not transformed whole


@lru_cache(maxsize=4)
def _bin_power(path: str, rate_hz: int, mono: bool, session_frames: int | None = None) -> tuple[np.ndarray, float]:
    """The loop's mean power per POWER_BIN frames (summed over channels, or of the mono fold), read
    in chunks so no copy of a long loop is made, and its K-gain (from its first K_GAIN_FRAMES)."""
    loop = file_loop(path, rate_hz, session_frames)
    frames = len(loop) // POWER_BIN * POWER_BIN or len(loop)
    parts = []
    step = POWER_BIN * 2048
    for lo in range(0, frames, step):
        chunk = loop.read(lo, min(frames, lo + step) - lo).astype(np.float64)
        chunk = chunk.mean(axis=1, keepdims=True) if mono else chunk
        parts.append(np.square(chunk).sum(axis=1).reshape(-1, min(POWER_BIN, frames)).mean(axis=1))
    mixed = loop.read(0, min(K_GAIN_FRAMES, len(loop)))
    gain = k_gain_of_loop(mixed.mean(axis=1, keepdims=True) if mono else mixed, rate_hz)
    return np.concatenate(parts), gain
