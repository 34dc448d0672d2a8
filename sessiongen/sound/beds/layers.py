"""The layers a synthesised bed mixes: seamless loops of band-limited noise (Band) or of a slowly
beating chord (Chord). Each renders any window into (2, n <= CHUNK) and knows its K-weighted power."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sessiongen.sound.beds.loops import CHUNK, cached, seamless, seeded, with_tail
from sessiongen.sound.kweight import k_gain_of_loop

# Shorter coprime loops than coloured noise's (~11.9 s and ~14.5 s), the right channel reading
# them from other offsets, so the right channel never equals the left at any lag within a session.
BAND_FRAMES = (2**19, 3**6 * 5**3 * 7)
RIGHT_OFFSETS = (BAND_FRAMES[0] // 2, BAND_FRAMES[1] // 3)


@dataclass(frozen=True)
class Band:
    """Noise between low_hz and high_hz (Butterworth-like edges of `order`), tilted by f**-slope."""

    low_hz: float
    high_hz: float
    slope: float = 0.0
    order: int = 2

    scale = np.sqrt(0.5)  # of the sum of the two loops

    def render(self, seed: int, start: int, out: np.ndarray, rate_hz: int) -> None:
        """Into out (2, n <= CHUNK): both loops summed, the right channel reading them elsewhere."""
        n = out.shape[1]
        a, b = (_band_loop(self, seed, which, rate_hz) for which in (0, 1))
        for channel in (0, 1):
            pa = (start + channel * RIGHT_OFFSETS[0]) % BAND_FRAMES[0]
            pb = (start + channel * RIGHT_OFFSETS[1]) % BAND_FRAMES[1]
            np.add(a[pa : pa + n], b[pb : pb + n], out=out[channel])

    def k_power(self, seed: int, rate_hz: int) -> float:
        """K-weighted power per channel before `scale`: the sum of two unit loops."""
        return _band_k_power(self, seed, rate_hz)


@cached
def _band_loop(band: Band, seed: int, which: int, rate_hz: int) -> np.ndarray:
    frames = BAND_FRAMES[which]
    f = np.maximum(np.fft.rfftfreq(frames, 1.0 / rate_hz), 1.0)
    edges = np.sqrt(1.0 + (band.low_hz / f) ** (2 * band.order)) * np.sqrt(1.0 + (f / band.high_hz) ** (2 * band.order))
    return with_tail(seamless(f**-band.slope / edges, frames, seeded(seed, "band", band, which)))


@lru_cache(maxsize=64)
def _band_k_power(band: Band, seed: int, rate_hz: int) -> float:
    return 2.0 * k_gain_of_loop(_band_loop(band, seed, 0, rate_hz)[:-CHUNK], rate_hz)


@dataclass(frozen=True)
class Chord:
    """Partials (ratio to root_hz, amplitude), each with a quieter copy a few bins sharp that beats
    slowly against it; each channel gets its own phases and beat rates, so the chord sounds wide."""

    root_hz: float
    partials: tuple[tuple[float, float], ...]
    which: int  # which of BAND_FRAMES is the loop length (and so the bin spacing)
    beat_amp: float = 0.35

    scale = 1.0

    def render(self, seed: int, start: int, out: np.ndarray, rate_hz: int) -> None:
        """Into out (2, n <= CHUNK)."""
        pos = start % BAND_FRAMES[self.which]
        for channel in (0, 1):
            out[channel] = _chord_loop(self, seed, channel, rate_hz)[pos : pos + out.shape[1]]

    def k_power(self, seed: int, rate_hz: int) -> float:
        """K-weighted power per channel before `scale` (the first channel's, as the second's)."""
        return _chord_k_power(self, seed, rate_hz)


@cached
def _chord_loop(chord: Chord, seed: int, channel: int, rate_hz: int) -> np.ndarray:
    frames = BAND_FRAMES[chord.which]
    bin_hz = rate_hz / frames
    rng = seeded(seed, "chord", chord, channel)
    spectrum = np.zeros(frames // 2 + 1, dtype=complex)
    for ratio, amp in chord.partials:
        k = int(round(chord.root_hz * ratio / bin_hz))
        beat_bins = int(rng.integers(1, 4))  # beats every ~4-12 s at 44.1 kHz
        spectrum[k] += amp * np.exp(2j * np.pi * rng.random())
        spectrum[k + beat_bins] += amp * chord.beat_amp * np.exp(2j * np.pi * rng.random())
    loop = np.fft.irfft(spectrum, n=frames)
    return with_tail((loop / np.sqrt(np.mean(loop**2))).astype(np.float32))


@lru_cache(maxsize=64)
def _chord_k_power(chord: Chord, seed: int, rate_hz: int) -> float:
    return k_gain_of_loop(_chord_loop(chord, seed, 0, rate_hz)[:-CHUNK], rate_hz)
