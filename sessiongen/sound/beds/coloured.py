"""Coloured noise (white, pink, brown): each channel sums two seamless loops of different lengths,
so the pair repeats only after many hours."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sessiongen.sound.beds.loops import cached, seamless
from sessiongen.sound.kweight import k_gain_of_loop

# ~23.8 s and ~31.0 s at 44.1 kHz: coprime, so the pair repeats only after about a year, and
# both are products of small primes, so their FFTs are fast.
LOOP_FRAMES = (2**20, 3**7 * 5**4)
HIGHPASS_HZ = 25.0


@dataclass(frozen=True)
class Noise:
    """Noise whose amplitude falls as f**-slope (0 white, 0.5 pink, 1 brown), high-passed at
    HIGHPASS_HZ and, given lowpass_hz, gently low-passed there.

    A bed's name keys its random numbers, so `render` and `k_power` take it."""

    slope: float
    lowpass_hz: float | None = None

    def render(self, name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
        """(frames, 2) from absolute frame `start`, RMS about 1 in each channel."""
        out = np.empty((frames, 2), dtype=np.float32)
        for channel in range(2):
            loops = [_loop(self, name, seed, channel, which, rate_hz) for which in (0, 1)]
            for lo, hi in _runs(start, frames, [len(loop) for loop in loops]):
                a, b = ((start + lo) % len(loop) for loop in loops)
                np.add(loops[0][a : a + hi - lo], loops[1][b : b + hi - lo], out=out[lo:hi, channel])
        out *= np.float32(np.sqrt(0.5))
        return out

    def k_power(self, name: str, seed: int, t: np.ndarray, rate_hz: int, mono: bool = False) -> np.ndarray:
        """K-weighted power around frame positions t (steady): summed over the channels, or of the
        mono fold, which has a quarter of it (the channels are uncorrelated)."""
        fold = 0.25 if mono else 1.0
        return np.full(len(t), 2.0 * fold * _k_gain(self, name, seed, rate_hz))

    def shape(self, freqs_hz: np.ndarray) -> np.ndarray:
        """The spectrum's magnitude at freqs_hz."""
        f = np.maximum(freqs_hz, 1.0)
        highpass = 1.0 / np.sqrt(1.0 + (HIGHPASS_HZ / f) ** 4)
        lowpass = 1.0 / np.sqrt(1.0 + (f / self.lowpass_hz) ** 4) if self.lowpass_hz else 1.0
        return highpass * lowpass / f**self.slope


@cached
def _loop(noise: Noise, name: str, seed: int, channel: int, which: int, rate_hz: int) -> np.ndarray:
    frames = LOOP_FRAMES[which]
    rng = np.random.default_rng([seed, channel, which, sum(map(ord, name))])
    return seamless(noise.shape(np.fft.rfftfreq(frames, 1.0 / rate_hz)), frames, rng)


def _runs(start: int, frames: int, periods: list[int]):
    """(lo, hi) stretches of [0, frames) in which no loop of these periods wraps around."""
    cuts = {0, frames}
    for period in periods:
        cuts.update(range(-(start % period) % period or period, frames, period))
    edges = sorted(c for c in cuts if 0 <= c <= frames)
    return zip(edges[:-1], edges[1:])


@lru_cache(maxsize=32)
def _k_gain(noise: Noise, name: str, seed: int, rate_hz: int) -> float:
    return k_gain_of_loop(_loop(noise, name, seed, 0, 0, rate_hz), rate_hz)
