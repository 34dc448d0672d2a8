"""Droplets and bubbles: short soft chirps drawn per second of absolute time from a generator seeded
by (seed, second), so a window finds every event that overlaps it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sessiongen.sound.beds.loops import cached, seeded
from sessiongen.sound.beds.modulation import drift
from sessiongen.sound.kweight import k_gain

EVENT_BLOCK_S = 1  # events are drawn per whole second of absolute time
TEMPLATES = 32


@dataclass(frozen=True)
class Events:
    """Short soft chirps (raised-cosine attack, exponential decay), drawn per second."""

    key: str
    per_s: float  # mean events per second
    low_hz: float
    high_hz: float
    glide: float  # pitch ratio from start to end of a chirp (>1 rises; not 1)
    decay_s: tuple[float, float]  # for the lowest and the highest pitch
    attack_s: float
    length_s: float
    quietest_db: float  # amplitudes log-uniform between this and 0 dB
    density: tuple  # (drift key, count, shortest_s, longest_s, depth): how the rate wanders


@cached
def templates(ev: Events, rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """(TEMPLATES, length) chirps of unit peak from low to high pitch, and each one's energy."""
    t_s = np.arange(int(ev.length_s * rate_hz)) / rate_hz
    u = np.linspace(0.0, 1.0, TEMPLATES)[:, None]
    f0_hz = ev.low_hz * (ev.high_hz / ev.low_hz) ** u
    decay_s = ev.decay_s[0] * (ev.decay_s[1] / ev.decay_s[0]) ** u
    phase = 2 * np.pi * f0_hz * ev.length_s * (ev.glide ** (t_s / ev.length_s) - 1) / np.log(ev.glide)
    attack = 0.5 - 0.5 * np.cos(np.pi * np.clip(t_s / ev.attack_s, 0, 1))
    tail = 0.5 + 0.5 * np.cos(np.pi * np.clip((t_s / ev.length_s - 0.7) / 0.3, 0, 1))
    bank = np.sin(phase) * attack * tail * np.exp(-np.maximum(t_s - ev.attack_s, 0) / decay_s)
    bank /= np.max(np.abs(bank), axis=1, keepdims=True)
    return bank.astype(np.float32), np.sum(bank**2, axis=1)


def _event_list(ev: Events, seed: int, first: int, stop: int, rate_hz: int):
    """Onset frames, template indices, amplitudes and pan angles of events in blocks first..stop-1."""
    key, count, shortest_s, longest_s, depth = ev.density
    blocks = np.arange(first, stop)
    density = 1.0 + depth * drift(seed, key, (blocks + 0.5) * EVENT_BLOCK_S, count, shortest_s, longest_s)
    block_frames = EVENT_BLOCK_S * rate_hz
    parts = []
    for block, d in zip(blocks.tolist(), density):
        rng = seeded(seed, ev.key, block)
        n = rng.poisson(ev.per_s * EVENT_BLOCK_S * d)
        onset = block * block_frames + rng.integers(0, block_frames, n)
        which = rng.integers(0, TEMPLATES, n)
        amp = 10 ** (rng.uniform(ev.quietest_db, 0, n) / 20)
        parts.append((onset, which, amp, rng.uniform(0.15, 0.85, n) * np.pi / 2))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    return [np.concatenate(p) for p in zip(*parts)]


def render(ev: Events, seed: int, start: int, frames: int, scale: float, rate_hz: int) -> np.ndarray:
    """(2, frames) of the events sounding in the window, each panned at constant power."""
    bank, _ = templates(ev, rate_hz)
    length = bank.shape[1]
    out = np.zeros((2, frames), dtype=np.float32)
    block_frames = EVENT_BLOCK_S * rate_hz
    first, stop = max(0, (start - length) // block_frames), (start + frames - 1) // block_frames + 1
    onset, which, amp, pan = _event_list(ev, seed, first, stop, rate_hz)
    keep = (onset + length > start) & (onset < start + frames)
    gains = (scale * amp[:, None] * np.stack([np.cos(pan), np.sin(pan)], axis=1))[keep, :, None].astype(np.float32)
    for at, w, gain in zip((onset[keep] - start).tolist(), which[keep].tolist(), gains):
        if 0 <= at <= frames - length:
            out[:, at : at + length] += bank[w] * gain
        else:  # cut by the window's edge
            lo, hi = max(at, 0), min(at + length, frames)
            out[:, lo:hi] += bank[w, lo - at : hi - at] * gain
    return out


@lru_cache(maxsize=64)
def power(ev: Events, seed: int, rate_hz: int) -> float:
    """Mean power per channel of the events, from their first ten minutes."""
    _, energy = templates(ev, rate_hz)
    blocks = 600 // EVENT_BLOCK_S
    _, which, amp, _ = _event_list(ev, seed, 0, blocks, rate_hz)
    return float(np.sum(amp**2 * energy[which] * 0.5) / (blocks * EVENT_BLOCK_S * rate_hz))


@lru_cache(maxsize=16)
def k_gain_of(ev: Events, rate_hz: int) -> float:
    """The events' K-gain: their templates', weighted by energy."""
    bank, energy = templates(ev, rate_hz)
    return float(np.average([k_gain(b, rate_hz) for b in bank], weights=energy))
