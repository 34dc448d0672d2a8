"""A synthesised bed: a few layers (bands of noise, chords) whose gains move with smooth functions
of absolute time, plus optional events (droplets, bubbles), at a mean power of 1 over hours."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sessiongen.sound.beds import events as ev
from sessiongen.sound.beds.loops import CHUNK
from sessiongen.sound.beds.modulation import HOP

NORM_STEP_S = 0.25
NORM_SPAN_S = 4 * 3600
EVENTS_MONO = 0.905  # a panned event's power in the mono fold, over its power per channel (pans 0.15..0.85)
RAMP = np.arange(HOP, dtype=np.float32) / np.float32(HOP)


@dataclass(frozen=True)
class Synth:
    """`gains(seed, control steps k, rate_hz)` gives a gain per layer, each (n,) or (n, 2)."""

    layers: tuple  # Band or Chord
    gains: Callable
    events: ev.Events | None = None
    event_share: float = 0.0  # of the bed's power

    def render(self, name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
        """(frames, 2) from absolute frame `start`, RMS about 1 in each channel (`name` unused:
        a synth's random numbers are keyed by its layers and events)."""
        k0 = start // HOP
        k = np.arange(k0, (start + frames - 1) // HOP + 2)
        layer_scale, event_scale = _scales(self, seed, rate_hz)
        gains = [_rows(g, len(k), layer_scale * s.scale) for s, g in zip(self.layers, self.gains(seed, k, rate_hz))]
        if self.events:
            out = ev.render(self.events, seed, start, frames, event_scale, rate_hz)
        else:
            out = np.zeros((2, frames), dtype=np.float32)
        layer, ramp = np.empty((2, CHUNK), dtype=np.float32), np.empty((2, CHUNK + HOP), dtype=np.float32)
        for lo in range(0, frames, CHUNK):
            n, at = min(CHUNK, frames - lo), start + lo
            first, stop = at // HOP - k0, (at + n - 1) // HOP + 1 - k0
            for source, gain in zip(self.layers, gains):
                source.render(seed, at, layer[:, :n], rate_hz)
                layer[:, :n] *= _ramp(gain, first, stop, ramp)[:, at % HOP : at % HOP + n]
                out[:, lo : lo + n] += layer[:, :n]
        return _interleave(out)

    def k_power(self, name: str, seed: int, t: np.ndarray, rate_hz: int, mono: bool = False) -> np.ndarray:
        """K-weighted mean power around frame positions t: summed over the channels, or of the mono
        fold. From each layer's K-power and its gain at those times; the channels of every layer
        are uncorrelated, so the fold has a quarter of their summed power."""
        fold = 0.25 if mono else 1.0
        k = (np.asarray(t) // HOP).astype(np.int64)
        layer_scale, event_scale = _scales(self, seed, rate_hz)
        power = np.zeros(len(t))
        for layer, gain in zip(self.layers, self.gains(seed, k, rate_hz)):
            per_channel = np.broadcast_to(np.reshape(np.square(gain), (len(k), -1)), (len(k), 2))
            loudness = layer.k_power(seed, rate_hz) * (layer_scale * layer.scale) ** 2
            power += fold * loudness * per_channel.sum(axis=1)
        if self.events:
            per_channel = event_scale**2 * ev.power(self.events, seed, rate_hz) * ev.k_gain_of(self.events, rate_hz)
            power += per_channel * (EVENTS_MONO if mono else 2.0)
        return power


@lru_cache(maxsize=64)
def _scales(synth: Synth, seed: int, rate_hz: int) -> tuple[float, float]:
    """Scales of the layers and of the events that make the bed's mean power 1 over 4 hours."""
    k = np.arange(0, int(NORM_SPAN_S * rate_hz / HOP), int(NORM_STEP_S * rate_hz / HOP))
    power = sum(np.mean(np.square(g)) for g in synth.gains(seed, k, rate_hz))
    share = synth.event_share
    events = np.sqrt(share / ev.power(synth.events, seed, rate_hz)) if synth.events else 0.0
    return float(np.sqrt((1.0 - share) / power)), float(events)


def _rows(gain, steps: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A gain given as (steps,), (steps, 1) or (steps, 2) as float32 rows (1 or 2, steps), scaled,
    and its differences from step to step."""
    rows = (np.reshape(gain, (steps, -1)).T * scale).astype(np.float32)
    return rows, np.diff(rows, axis=1)


def _ramp(gain: tuple[np.ndarray, np.ndarray], first: int, stop: int, out: np.ndarray) -> np.ndarray:
    """Into out: the gain from control step first to stop, linearly interpolated, (rows, frames)."""
    rows, diffs = gain
    ramp = out[: len(rows), : (stop - first) * HOP]
    np.multiply(diffs[:, first:stop, None], RAMP, out=ramp.reshape(len(rows), -1, HOP))
    ramp.reshape(len(rows), -1, HOP)[...] += rows[:, first:stop, None]
    return ramp


def _interleave(channels: np.ndarray) -> np.ndarray:
    """(n, 2) float32 from (2, n): written as complex64 pairs, which numpy does faster than .T."""
    pairs = np.empty(channels.shape[1], dtype=np.complex64)
    pairs.real, pairs.imag = channels
    return pairs.view(np.float32).reshape(-1, 2)
