"""Master: streaming loudness measurement, gain, a look-ahead peak limiter and fades.

Everything here works on a stream of windows with a small carried state; nothing holds the
whole session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyebur128

from sessiongen.sound.audio import db_to_gain, gain_to_db

LOOKAHEAD_S = 0.005
HOLD_S = 0.040


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float


class LoudnessMeter:
    """Integrated loudness (EBU R128 / ITU-R BS.1770 via libebur128) of a stream."""

    def __init__(self, rate_hz: int, channels: int = 2):
        mode = pyebur128.MeasurementMode.MODE_I | pyebur128.MeasurementMode.MODE_HISTOGRAM
        self._state = pyebur128.R128State(channels, rate_hz, mode)

    def add(self, block: np.ndarray) -> None:
        if len(block):
            self._state.add_frames(np.ascontiguousarray(block, dtype=np.float32).reshape(-1), len(block))

    def result(self) -> Loudness:
        lufs = pyebur128.get_loudness_global(self._state)
        return Loudness(float(lufs) if np.isfinite(lufs) else float("-inf"))


MOMENTARY_HOP_S = 0.1


@dataclass(frozen=True)
class Delivered:
    """What the listener gets, measured on the mastered stream as it is written."""

    integrated_lufs: float
    max_momentary_lufs: float
    true_peak_db: float
    momentary_lufs: np.ndarray  # every 100 ms: the loudness of the 400 ms before it (EBU R128 'M')


class OutputMeter:
    """Integrated loudness and the momentary loudness curve of the mastered stream."""

    def __init__(self, rate_hz: int, channels: int):
        modes = pyebur128.MeasurementMode
        self._state = pyebur128.R128State(channels, rate_hz, modes.MODE_I | modes.MODE_M | modes.MODE_HISTOGRAM)
        self._hop = int(MOMENTARY_HOP_S * rate_hz)
        self._pending = np.zeros((0, channels), dtype=np.float32)
        self._curve: list[float] = []

    def add(self, block: np.ndarray) -> None:
        """Feed the meter hop by hop (views into the block: no copy of it), reading the
        momentary loudness after each hop."""
        block = np.ascontiguousarray(block, dtype=np.float32)
        start = 0
        if len(self._pending):
            start = min(self._hop - len(self._pending), len(block))
            self._pending = np.concatenate([self._pending, block[:start]])
            if len(self._pending) < self._hop:
                return
            self._hop_in(self._pending)
        whole = start + (len(block) - start) // self._hop * self._hop
        for at in range(start, whole, self._hop):
            self._hop_in(block[at : at + self._hop])
        self._pending = block[whole:].copy()

    def _hop_in(self, hop: np.ndarray) -> None:
        self._state.add_frames(hop.reshape(-1), len(hop))
        self._curve.append(pyebur128.get_loudness_momentary(self._state))

    def result(self, true_peak_db: float, codec_db: float = 0.0) -> Delivered:
        """The measurements, shifted by the level change the codec is known to make (codec_db)."""
        if len(self._pending):
            self._state.add_frames(np.ascontiguousarray(self._pending).reshape(-1), len(self._pending))
        curve = np.array(self._curve, dtype=np.float32) + np.float32(codec_db)
        curve[~np.isfinite(curve)] = -70.0
        lufs = pyebur128.get_loudness_global(self._state)
        return Delivered(
            integrated_lufs=float(lufs) + codec_db if np.isfinite(lufs) else float("-inf"),
            max_momentary_lufs=float(curve.max()) if len(curve) else float("-inf"),
            true_peak_db=true_peak_db + codec_db,
            momentary_lufs=curve,
        )


def gain_for(mix_lufs: float, target_lufs: float) -> float:
    """Linear gain that brings a mix of this loudness to the target (1.0 for silence)."""
    if not np.isfinite(mix_lufs):
        return 1.0
    return db_to_gain(target_lufs - mix_lufs)


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
        if self._idle(loudest):  # nothing near the ceiling, now or in the carried state: gain is 1
            out = audio_ext[: len(block)]
        else:
            out = audio_ext[: len(block)] * self._gain(peak)[:, None]
        self._audio = audio_ext[len(block) :]
        skip = min(self._skip, len(out))
        self._skip -= skip
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


class Fades:
    """Session fade-in and fade-out by absolute frame position."""

    def __init__(self, total_frames: int, rate_hz: int, fade_in_s: float, fade_out_s: float):
        self.total = total_frames
        self.fade_in = max(1, int(fade_in_s * rate_hz))
        self.fade_out = max(1, int(fade_out_s * rate_hz))

    def apply(self, block: np.ndarray, start: int) -> np.ndarray:
        t = start + np.arange(len(block))
        if start >= self.fade_in and start + len(block) <= self.total - self.fade_out:
            return block
        rise = np.clip((t + 0.5) / self.fade_in, 0, 1)
        fall = np.clip((self.total - t - 0.5) / self.fade_out, 0, 1)
        envelope = np.minimum(rise, fall) ** 2
        return block * envelope[:, None].astype(np.float32)
