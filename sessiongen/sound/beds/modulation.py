"""How a synthesised bed moves: smooth functions of absolute time, evaluated per control step.

Sums of sinusoids with seeded, incommensurate periods (slow drifts, swells, gusts) or seamless
loops of control-rate noise (fast bubbling), so a bed never repeats within a session.
"""

from __future__ import annotations

import numpy as np

from sessiongen.sound.beds.loops import cached, seamless, seeded

HOP = 256  # frames per control step (~5.8 ms): gains are computed per step, interpolated between
CTRL_FRAMES = (2**14, 3**4 * 5**3 * 7)  # control-rate noise loops: ~95 s and ~412 s at 44.1 kHz


def seconds(k: np.ndarray, rate_hz: int) -> np.ndarray:
    """The times of control steps k."""
    return k * (HOP / rate_hz)


def drift(seed: int, key: str, t_s: np.ndarray, count: int, shortest_s: float, longest_s: float) -> np.ndarray:
    """A smooth wander in [-1, 1] that never repeats: the mean of `count` sinusoids with seeded
    periods (log-uniform between shortest_s and longest_s, so incommensurate) and phases."""
    rng = seeded(seed, "drift", key)
    period_s = np.exp(rng.uniform(np.log(shortest_s), np.log(longest_s), count))
    phase = rng.uniform(0.0, 2 * np.pi, count)
    return np.mean(np.sin(2 * np.pi * np.asarray(t_s)[..., None] / period_s + phase), axis=-1)


@cached
def _ctrl_loop(seed: int, key: str, which: int, low_hz: float, high_hz: float, rate_hz: int) -> np.ndarray:
    f = np.fft.rfftfreq(CTRL_FRAMES[which], HOP / rate_hz)
    shape = ((f >= low_hz) & (f <= high_hz)).astype(float)
    return seamless(shape, CTRL_FRAMES[which], seeded(seed, "wobble", key, which))


def wobble(seed: int, key: str, k: np.ndarray, low_hz: float, high_hz: float, rate_hz: int) -> np.ndarray:
    """(n, 2) unit-RMS noise band-limited to low_hz..high_hz at control steps k, each channel its
    own: two coprime control-rate loops, so it never repeats within a session."""
    loops = [_ctrl_loop(seed, key, which, low_hz, high_hz, rate_hz) for which in (0, 1)]
    out = np.empty((len(k), 2), dtype=np.float64)
    for channel in (0, 1):
        a, b = (loop[(k + channel * len(loop) // (2 + which)) % len(loop)] for which, loop in enumerate(loops))
        out[:, channel] = a + b
    return out * np.sqrt(0.5)
