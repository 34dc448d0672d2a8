"""K-weighting (ITU-R BS.1770) in the frequency domain: the filter's response and the K-gain of
a signal (its K-weighted power over its plain power), for predicting loudness without filtering."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SEGMENT = 4096  # frames per spectrum when estimating a K-gain
SEGMENTS = 16  # spectra averaged per estimate, spread over the signal


@lru_cache(maxsize=8)
def k_response(rate_hz: int, frames: int) -> np.ndarray:
    """|K(f)|^2 of the BS.1770 K-weighting (pre-filter and RLB high-pass, with libebur128's
    coefficients for this rate) at the rfft bins of `frames` samples."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / rate_hz)
    vh, a0 = 10.0 ** (gain_db / 20.0), 1.0 + k / q + k * k
    vb = vh**0.4996667741545416
    shelf_b = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    shelf_a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / rate_hz)
    a0 = 1.0 + k / q + k * k
    high_b, high_a = [1.0, -2.0, 1.0], [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    z = np.exp(-1j * np.pi * np.arange(frames // 2 + 1) / (frames / 2))
    response = np.ones_like(z)
    for b, a in ((shelf_b, shelf_a), (high_b, high_a)):
        response *= np.polyval(b[::-1], z) / np.polyval(a[::-1], z)
    return np.abs(response) ** 2


def k_gain(samples: np.ndarray, rate_hz: int, segments: int = SEGMENTS) -> float:
    """K-weighted power over plain power of a signal ((frames,) or (frames, channels)), from
    Hann-windowed spectra spread over it; 1.0 for silence."""
    x = samples.reshape(len(samples), -1)
    size = min(SEGMENT, len(x))
    if size < 64:
        return 1.0
    starts = np.linspace(0, len(x) - size, min(segments, max(1, len(x) // size))).astype(int)
    windowed = np.stack([x[s : s + size] for s in starts]).astype(np.float64) * np.hanning(size)[None, :, None]
    return _ratio((np.abs(np.fft.rfft(windowed, axis=1)) ** 2).sum(axis=(0, 2)), rate_hz, size)


def k_gain_of_loop(loop: np.ndarray, rate_hz: int) -> float:
    """The exact K-gain of a seamless loop (one period of a periodic signal), from its whole
    spectrum: no window, so no leakage at the low frequencies the high-pass removes."""
    x = loop.reshape(len(loop), -1).astype(np.float64)
    return _ratio((np.abs(np.fft.rfft(x, axis=0)) ** 2).sum(axis=1), rate_hz, len(x))


def _ratio(power: np.ndarray, rate_hz: int, frames: int) -> float:
    """K-weighted over plain power, from the power at the rfft bins of `frames` samples."""
    total = float(power.sum())
    return float((power * k_response(rate_hz, frames)).sum() / total) if total > 0 else 1.0
