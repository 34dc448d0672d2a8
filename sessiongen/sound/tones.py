"""Bilateral tones, the bell and the breathing tone: pure functions of time, so any window of
any event can be rendered on its own. Times are in frames relative to the event's start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sessiongen.model.script import Breathe, Tone
from sessiongen.sound.audio import loop_slice, raised_cosine

TONE_FRACTION = 0.7  # of each half-cycle (slot) the tone may sound; the rest is rest
SET_EDGE_S = 0.15  # a sweep fades in and out at the edges of its set


def pan_gains(position) -> tuple:
    """Equal-power pan law: position -1 (left) .. +1 (right) -> (left gain, right gain)."""
    theta = (np.asarray(position, dtype=np.float64) + 1.0) * np.pi / 4.0
    return np.cos(theta), np.sin(theta)


# -- timbres: (time within the burst, the burst's length, pitch) -> mono samples -----------------


def _ramps(within_s: np.ndarray, on_s: float, attack_s: float, release_s: float) -> np.ndarray:
    """Raised-cosine attack and release around a sustain; zero outside [0, on_s]."""
    attack_s, release_s = min(attack_s, on_s / 2), min(release_s, on_s / 2)
    rise = np.clip(within_s / attack_s, 0.0, 1.0)
    fall = np.clip((on_s - within_s) / release_s, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * rise)) * (0.5 - 0.5 * np.cos(np.pi * fall))


def _sine(w, on_s, pitch_hz):
    return np.sin(2 * np.pi * pitch_hz * w) * _ramps(w, on_s, 0.04, 0.04)


def _chime(w, on_s, pitch_hz):
    partials = sum(level * np.sin(2 * np.pi * pitch_hz * ratio * w) for ratio, level in ((1.0, 1.0), (2.0, 0.35), (3.01, 0.12)))
    return partials * np.exp(-w / 0.35) * _ramps(w, on_s, 0.03, 0.06)


def _click(w, on_s, pitch_hz):
    return np.sin(2 * np.pi * 1800.0 * w) * _ramps(w, min(on_s, 0.012), 0.004, 0.006)


def _woodblock(w, on_s, pitch_hz):
    hz = 3.2 * pitch_hz
    return (
        (np.sin(2 * np.pi * hz * w) + 0.3 * np.sin(2 * np.pi * 2.7 * hz * w)) * np.exp(-w / 0.035) * _ramps(w, min(on_s, 0.25), 0.002, 0.05)
    )


def _drum(w, on_s, pitch_hz):
    start_hz, end_hz, glide_s = 0.6 * pitch_hz, 0.4 * pitch_hz, 0.08
    phase = 2 * np.pi * (end_hz * w + (start_hz - end_hz) * glide_s * (1 - np.exp(-w / glide_s)))
    return np.sin(phase) * np.exp(-w / 0.15) * _ramps(w, min(on_s, 0.5), 0.006, 0.08)


def _tick(w, on_s, pitch_hz):
    return np.sin(2 * np.pi * 2600.0 * w) * np.exp(-w / 0.01) * _ramps(w, min(on_s, 0.06), 0.0015, 0.02)


@dataclass(frozen=True)
class Timbre:
    description: str  # what `sessiongen sounds` lists
    make: Callable  # (time within the burst in s, the burst's length in s, pitch in Hz) -> mono samples
    tonal: bool = False  # a clear pitch, heard as a note


# Adding a timbre is one entry here (its function above); `tone=` in scripts accepts every name.
TIMBRES = {
    "sine": Timbre("a pure, soft sine tone (tonal)", _sine, tonal=True),
    "chime": Timbre("a soft chime: a few bright partials that fade (tonal)", _chime, tonal=True),
    "click": Timbre("a short, soft click", _click),
    "woodblock": Timbre("a gentle knock, like a small woodblock (pitched from the tone's pitch)", _woodblock),
    "drum": Timbre("a soft, low drum (pitched from the tone's pitch)", _drum),
    "tick": Timbre("a light, high tick", _tick),
}


@lru_cache(maxsize=64)
def _loudness_match(timbre: str, on_s: float, pitch_hz: float, rate_hz: int) -> float:
    """Gain that gives a burst of this timbre the energy of a sine burst, its peak kept modest."""
    w = np.arange(int(on_s * rate_hz)) / rate_hz
    reference = np.sqrt(np.mean(_sine(w, on_s, pitch_hz) ** 2))
    burst = TIMBRES[timbre].make(w, on_s, pitch_hz)
    gain = reference / max(float(np.sqrt(np.mean(burst**2))), 1e-9)
    return float(min(gain, 1.4 / max(float(np.max(np.abs(burst))), 1e-9)))


# -- bilateral stimulation ----------------------------------------------------------------------


def bls(tone: Tone, offset: int, frames: int, rate_hz: int, event_frames: int = 0, seed: int = 0) -> np.ndarray:
    """Bilateral tones for frames [offset, offset + frames) of a set; (frames, 2) float32.

    With the set's length (`event_frames`), a burst that could not finish inside the set is not
    started: a set, under the voice or alone, ends on a whole burst with its release, never on a
    cut tone (a cut is a step in one ear)."""
    if tone.style == "sweep":
        return _sweep(tone, offset, frames, rate_hz, event_frames)
    out = np.zeros((frames, 2), dtype=np.float32)
    if frames <= 0:
        return out
    slot_s = 0.5 / tone.rate_hz  # one slot per ear: left, right, left, ...
    on_s = round(slot_s * min(TONE_FRACTION, 0.95 - tone.jitter_pct / 100.0), 6)
    first, last = (int(np.floor(f / rate_hz / slot_s)) for f in (offset, offset + frames - 1))
    slots = np.arange(first, last + 1)
    depth = tone.depth_pct / 100.0
    ears = [tuple(np.float32(g) for g in pan_gains(p)) for p in (-depth, depth)]
    for slot, shift_s in zip(slots, _jitter_s(tone, slots, slot_s, seed)):
        begin = (slot * slot_s + shift_s) * rate_hz  # where the burst starts, in frames (fractional)
        at = int(np.ceil(begin - 1e-9))
        fraction = round((at - begin) * SUBSAMPLE_STEPS) / SUBSAMPLE_STEPS
        burst = _burst(tone.timbre, on_s, tone.pitch_hz, rate_hz, fraction)
        if event_frames and at + len(burst) > event_frames:
            continue
        lo, hi = max(at, offset), min(at + len(burst), offset + frames)
        if lo < hi:
            part = burst[lo - at : hi - at]
            left, right = ears[slot % 2]
            out[lo - offset : hi - offset, 0] = part * left
            out[lo - offset : hi - offset, 1] = part * right
    return out


SUBSAMPLE_STEPS = 16  # burst onsets are placed to 1/16 of a sample (under 2 microseconds at 44.1 kHz)


@lru_cache(maxsize=128)
def _burst(timbre: str, on_s: float, pitch_hz: float, rate_hz: int, fraction: float) -> np.ndarray:
    """One burst of a timbre, loudness-matched; its first sample is `fraction` of a frame after onset."""
    w_s = (np.arange(int(np.ceil(on_s * rate_hz)) + 1) + fraction) / rate_hz
    samples = TIMBRES[timbre].make(w_s, on_s, pitch_hz) * _loudness_match(timbre, on_s, pitch_hz, rate_hz)
    samples = samples.astype(np.float32)
    samples.flags.writeable = False
    return samples


def _jitter_s(tone: Tone, slot: np.ndarray, slot_s: float, seed: int) -> np.ndarray:
    """Seeded delay of each tone within its slot, 0..jitter % of the slot, drawn from a generator
    keyed by the slot number, so it is the same whichever window renders it."""
    if tone.jitter_pct <= 0 or not len(slot):
        return np.zeros(len(slot))
    first = int(slot[0])
    draws = np.array([np.random.default_rng([seed, int(k)]).random() for k in range(first, int(slot[-1]) + 1)])
    return draws[slot - first] * slot_s * tone.jitter_pct / 100.0


def _sweep(tone: Tone, offset: int, frames: int, rate_hz: int, event_frames: int) -> np.ndarray:
    """A continuous soft tone gliding left <-> right once per cycle, with equal power throughout."""
    n = offset + np.arange(frames, dtype=np.float64)
    t_s = n / rate_hz
    position = -(tone.depth_pct / 100.0) * np.cos(2 * np.pi * tone.rate_hz * t_s)  # starts left
    end = event_frames if event_frames else np.inf
    fade = np.clip(np.minimum(n, end - n) / (SET_EDGE_S * rate_hz), 0.0, 1.0)
    mono = np.sin(2 * np.pi * tone.pitch_hz * t_s) * (0.5 - 0.5 * np.cos(np.pi * fade)) * np.sqrt(0.5)
    left, right = pan_gains(position)
    return np.stack([mono * left, mono * right], axis=1).astype(np.float32)


# -- bell and breathing --------------------------------------------------------------------------


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
    """A soft tone rising while breathing in, fading while holding, falling while breathing out.

    Every round is the same, so one round is made once and repeated."""
    return loop_slice(_breath_round(breathe, rate_hz), offset, frames)


@lru_cache(maxsize=8)
def _breath_round(breathe: Breathe, rate_hz: int) -> np.ndarray:
    return _breath_samples(breathe, 0, int(round(breathe.round_s * rate_hz)), rate_hz)


def _breath_samples(breathe: Breathe, offset: int, frames: int, rate_hz: int) -> np.ndarray:
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
