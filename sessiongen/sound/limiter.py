"""A look-ahead true-peak limiter (4x oversampled detection) and the peak helpers it needs.

Used by mastering (the session's ceiling) and by speech (each clip's peaks, as a voice processor
would), so it lives with the other signal tools rather than in either stage.
"""

from __future__ import annotations

import numpy as np

from sessiongen.sound.audio import db_to_gain, gain_to_db

LOOKAHEAD_S = 0.005
HOLD_S = 0.040


def running_min(values: np.ndarray, width: int) -> np.ndarray:
    """out[i] = min(values[i : i + width]) for every full window, in O(n) (van Herk / Gil-Werman)."""
    n = len(values)
    blocks = -(-n // width)
    padded = np.full(blocks * width, np.inf, dtype=values.dtype)
    padded[:n] = values
    shaped = padded.reshape(blocks, width)
    prefix = np.minimum.accumulate(shaped, axis=1).reshape(-1)
    suffix = np.minimum.accumulate(shaped[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    count = n - width + 1
    return np.minimum(suffix[:count], prefix[width - 1 : width - 1 + count])


OVERSAMPLE = 4
TAPS = 12  # per phase of the interpolator
LAG = TAPS // 2  # future frames the interpolator needs


def _interpolator() -> np.ndarray:
    """(OVERSAMPLE - 1, TAPS) windowed-sinc filters estimating the signal between samples."""
    offsets = np.arange(-LAG + 1, LAG + 1)
    phases = []
    for phase in range(1, OVERSAMPLE):
        x = offsets - phase / OVERSAMPLE
        window = 0.5 + 0.5 * np.cos(np.pi * x / (LAG + 0.5))
        phases.append(np.sinc(x) * window)
    return np.array(phases)


_PHASES = _interpolator()


def sample_peaks(block: np.ndarray) -> np.ndarray:
    """The largest absolute sample over the channels of each frame."""
    peak = np.abs(block[:, 0])
    for channel in range(1, block.shape[1]):
        np.maximum(peak, np.abs(block[:, channel]), out=peak)
    return peak


def true_peaks(audio_ext: np.ndarray, count: int, floor: float) -> np.ndarray:
    """Estimated true peak (max over channels and 4x oversampled points) of frames LAG - 1 ..
    LAG - 2 + count of `audio_ext`; only frames near `floor` or above are interpolated."""
    peak = sample_peaks(audio_ext[LAG - 1 : LAG - 1 + count])
    candidates = np.flatnonzero(peak > floor)
    if len(candidates):
        window = candidates[:, None] + np.arange(TAPS)[None, :]  # frames -LAG+1 .. LAG around each
        for channel in range(audio_ext.shape[1]):
            around = audio_ext[window, channel]  # (m, TAPS)
            between = np.abs(around @ _PHASES.T).max(axis=1)
            peak[candidates] = np.maximum(peak[candidates], between)
    return peak


class Limiter:
    """Look-ahead limiter: gain = moving average of a held running minimum of the needed gain.

    The needed gain comes from the true peak (4x oversampled estimate, as in ITU-R BS.1770) or,
    with true_peak=False, the sample peak. The output is delayed by the look-ahead; `process`
    returns as many frames as it is given (after the first few) and `flush` the rest, so the
    stream keeps its exact length and alignment.
    """

    def __init__(self, rate_hz: int, ceiling_db: float, channels: int = 2, true_peak: bool = True):
        self.ceiling = db_to_gain(ceiling_db)
        self.true_peak = true_peak
        self.avg = max(2, int(LOOKAHEAD_S * rate_hz))
        self.hold = self.avg + int(HOLD_S * rate_hz)
        self.lag = LAG if true_peak else 0
        self.delay = self.avg - 1 + self.lag
        self.channels = channels
        self._need = np.ones(self.hold - 1, dtype=np.float32)
        self._held = np.ones(self.avg - 1, dtype=np.float32)
        self._audio = np.zeros((self.delay, channels), dtype=np.float32)
        self._tail = np.zeros((TAPS - 1, channels), dtype=np.float32)  # history for the interpolator
        self._skip = self.delay  # the first outputs are the zero history
        self.reduction_db = 0.0
        self.peak = 0.0  # the largest (true) peak seen at the input
        self.last_gain: np.ndarray | None = None  # the gain of the frames `process` last returned; None: 1

    def _peaks(self, block: np.ndarray) -> np.ndarray:
        if not self.true_peak:
            return sample_peaks(block)
        ext = np.concatenate([self._tail, block])
        self._tail = ext[len(ext) - (TAPS - 1) :]
        return true_peaks(ext, len(block), self.ceiling * 0.5)  # lags the block by LAG frames

    def process(self, block: np.ndarray) -> np.ndarray:
        block = block.astype(np.float32, copy=False)
        peak = self._peaks(block)
        loudest = float(peak.max()) if len(peak) else 0.0
        self.peak = max(self.peak, loudest)
        audio_ext = np.concatenate([self._audio, block])
        gain = None if self._idle(loudest) else self._gain(peak)  # idle: nothing near the ceiling, now or carried
        out = audio_ext[: len(block)] if gain is None else audio_ext[: len(block)] * gain[:, None]
        self._audio = audio_ext[len(block) :]
        skip = min(self._skip, len(out))
        self._skip -= skip
        self.last_gain = None if gain is None else gain[skip:]
        return out[skip:]

    def _idle(self, loudest: float) -> bool:
        return loudest <= self.ceiling and self._need.min() == 1.0 and self._held.min() == 1.0

    def _gain(self, peak: np.ndarray) -> np.ndarray:
        """The gain for the frames leaving the look-ahead, carrying the held and averaged state."""
        need = np.minimum(1.0, self.ceiling / np.maximum(peak, 1e-12)).astype(np.float32)
        need_ext = np.concatenate([self._need, need])
        held = running_min(need_ext, self.hold)
        held_ext = np.concatenate([self._held, held])
        cumulative = np.concatenate([[0.0], np.cumsum(held_ext, dtype=np.float64)])
        gain = ((cumulative[self.avg :] - cumulative[: -self.avg]) / self.avg).astype(np.float32)
        self._need, self._held = need_ext[len(need) :], held_ext[len(held) :]
        if len(gain):
            self.reduction_db = min(self.reduction_db, gain_to_db(float(gain.min())))
        return gain

    def flush(self) -> np.ndarray:
        return self.process(np.zeros((self.delay, self.channels), dtype=np.float32))
