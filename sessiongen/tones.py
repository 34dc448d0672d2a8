"""Bilateral tones, the bell and the breathing tone: pure functions of time, so any window of
any event can be rendered on its own. Times are in frames relative to the event's start."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sessiongen.audio import raised_cosine
from sessiongen.model import Breathe, Tone

TONE_FRACTION = 0.7  # of each half-cycle the tone sounds; the rest is rest
RAMP_S = 0.04  # attack and release: at least 30 ms, so no clicks


def pan_gains(position: float) -> tuple[float, float]:
    """Equal-power pan law: position -1 (left) .. +1 (right) -> (left gain, right gain)."""
    theta = (position + 1.0) * np.pi / 4.0
    return float(np.cos(theta)), float(np.sin(theta))


def bls(tone: Tone, offset: int, frames: int, rate_hz: int) -> np.ndarray:
    """Alternating tones, left then right, `tone.rate_hz` cycles a second; (frames, 2) float32."""
    t_s = (offset + np.arange(frames, dtype=np.float64)) / rate_hz
    half_s = 0.5 / tone.rate_hz
    burst = np.floor(t_s / half_s)
    within_s = t_s - burst * half_s
    envelope = _burst_envelope(within_s, half_s * TONE_FRACTION)
    mono = (np.sin(2.0 * np.pi * tone.pitch_hz * t_s) * envelope).astype(np.float32)
    depth = tone.depth_pct / 100.0
    left_gains, right_gains = pan_gains(-depth), pan_gains(depth)
    right_side = (burst % 2).astype(bool)
    out = np.empty((frames, 2), dtype=np.float32)
    out[:, 0] = mono * np.where(right_side, right_gains[0], left_gains[0])
    out[:, 1] = mono * np.where(right_side, right_gains[1], left_gains[1])
    return out


def _burst_envelope(within_s: np.ndarray, on_s: float) -> np.ndarray:
    """Raised-cosine attack and release around a sustain of `on_s` seconds; zero elsewhere."""
    ramp_s = min(RAMP_S, on_s / 2.0)
    rise = np.clip(within_s / ramp_s, 0.0, 1.0)
    fall = np.clip((on_s - within_s) / ramp_s, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))


@lru_cache(maxsize=4)
def bell(rate_hz: int, duration_s: float = 5.0) -> np.ndarray:
    """A soft bell: inharmonic partials with gentle attack and long decay; mono, peak 1."""
    t_s = np.arange(int(duration_s * rate_hz)) / rate_hz
    partials = ((1.0, 1.0, 1.6), (2.76, 0.45, 0.9), (5.40, 0.2, 0.5), (8.93, 0.08, 0.3))
    base_hz = 330.0
    out = np.zeros_like(t_s)
    for ratio, level, decay_s in partials:
        out += level * np.sin(2 * np.pi * base_hz * ratio * t_s) * np.exp(-t_s / decay_s)
    attack = raised_cosine(int(0.012 * rate_hz))
    out[: len(attack)] *= attack
    release = raised_cosine(int(0.5 * rate_hz))[::-1]
    out[-len(release) :] *= release
    return (out / np.max(np.abs(out))).astype(np.float32)


def breath_tone(breathe: Breathe, offset: int, frames: int, rate_hz: int) -> np.ndarray:
    """A soft tone rising while breathing in, fading while holding, falling while breathing out."""
    t_s = (offset + np.arange(frames, dtype=np.float64)) / rate_hz
    u_s = np.mod(t_s, breathe.round_s)
    low_hz, high_hz = 196.0, 294.0
    b = breathe
    t_in, t_hold, t_out = b.in_s, b.in_s + b.hold_s, b.in_s + b.hold_s + b.out_s
    phase_in = 2 * np.pi * (low_hz * u_s + (high_hz - low_hz) * u_s**2 / (2 * b.in_s))
    v_s = u_s - t_hold
    phase_out = 2 * np.pi * (high_hz * v_s - (high_hz - low_hz) * v_s**2 / (2 * b.out_s))
    phase_hold = 2 * np.pi * high_hz * (u_s - t_in)
    wave = np.select([u_s < t_in, u_s < t_hold, u_s < t_out], [np.sin(phase_in), np.sin(phase_hold), np.sin(phase_out)], 0.0)
    level = np.select(
        [u_s < t_in, u_s < t_hold, u_s < t_out],
        [_swell(u_s / b.in_s), 0.35 * _fade(u_s - t_in, b.hold_s), _fade_out(v_s / b.out_s)],
        0.0,
    )
    return (wave * level).astype(np.float32)


def _swell(x: np.ndarray) -> np.ndarray:
    """0 -> 1 over a phase, with a short fade at the very end so the next phase starts clean."""
    return (0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0, 1))) * np.clip((1.0 - x) / 0.03, 0, 1)


def _fade(within_s: np.ndarray, length_s: float) -> np.ndarray:
    edge_s = max(min(0.1, length_s / 4), 1e-6)  # a zero-length hold is never selected
    return np.clip(within_s / edge_s, 0, 1) * np.clip((length_s - within_s) / edge_s, 0, 1)


def _fade_out(x: np.ndarray) -> np.ndarray:
    return (0.5 + 0.5 * np.cos(np.pi * np.clip(x, 0, 1))) * np.clip(x / 0.03, 0, 1)
