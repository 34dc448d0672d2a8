"""Master: streaming loudness measurement, gain, a look-ahead peak limiter and fades.

Everything here works on a stream of windows with a small carried state; nothing holds the
whole session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyebur128

from sessiongen.audio import db_to_gain, gain_to_db

LOOKAHEAD_S = 0.005
HOLD_S = 0.040


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    sample_peak_db: float


class LoudnessMeter:
    """Integrated loudness (EBU R128 / ITU-R BS.1770 via libebur128) and sample peak of a stream."""

    def __init__(self, rate_hz: int, channels: int = 2):
        mode = pyebur128.MeasurementMode.MODE_I | pyebur128.MeasurementMode.MODE_HISTOGRAM
        self._state = pyebur128.R128State(channels, rate_hz, mode)
        self._peak = 0.0

    def add(self, block: np.ndarray) -> None:
        if len(block):
            self._state.add_frames(np.ascontiguousarray(block, dtype=np.float32).reshape(-1), len(block))
            self._peak = max(self._peak, float(np.max(block)), -float(np.min(block)))

    def result(self) -> Loudness:
        lufs = pyebur128.get_loudness_global(self._state)
        return Loudness(float(lufs) if np.isfinite(lufs) else float("-inf"), gain_to_db(self._peak))


def gain_for(measured: Loudness, target_lufs: float) -> float:
    """Linear gain that brings the measured loudness to the target (1.0 for silence)."""
    if not np.isfinite(measured.integrated_lufs):
        return 1.0
    return db_to_gain(target_lufs - measured.integrated_lufs)


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


class Limiter:
    """Look-ahead peak limiter: gain = moving average of a held running minimum of the needed gain.

    The output is delayed by the look-ahead; `process` returns as many frames as it is given,
    after the first few, and `flush` returns the rest, so the stream keeps its exact length.
    """

    def __init__(self, rate_hz: int, ceiling_db: float, channels: int = 2):
        self.ceiling = db_to_gain(ceiling_db)
        self.avg = max(2, int(LOOKAHEAD_S * rate_hz))
        self.hold = self.avg + int(HOLD_S * rate_hz)
        self.delay = self.avg - 1
        self._need = np.ones(self.hold - 1, dtype=np.float32)
        self._held = np.ones(self.avg - 1, dtype=np.float32)
        self.channels = channels
        self._audio = np.zeros((self.delay, channels), dtype=np.float32)
        self._skip = self.delay  # the first outputs are the zero history
        self.reduction_db = 0.0

    def process(self, block: np.ndarray) -> np.ndarray:
        peak = np.abs(block[:, 0]) if self.channels == 1 else np.maximum(np.abs(block[:, 0]), np.abs(block[:, 1]))
        need = np.minimum(1.0, self.ceiling / np.maximum(peak, 1e-12)).astype(np.float32)
        need_ext = np.concatenate([self._need, need])
        held = running_min(need_ext, self.hold)
        held_ext = np.concatenate([self._held, held])
        cumulative = np.concatenate([[0.0], np.cumsum(held_ext, dtype=np.float64)])
        gain = ((cumulative[self.avg :] - cumulative[: -self.avg]) / self.avg).astype(np.float32)
        audio_ext = np.concatenate([self._audio, block.astype(np.float32, copy=False)])
        out = audio_ext[: len(block)] * gain[:, None]
        self._need, self._held, self._audio = need_ext[len(need) :], held_ext[len(held) :], audio_ext[len(block) :]
        if len(gain):
            self.reduction_db = min(self.reduction_db, gain_to_db(float(gain.min())))
        skip = min(self._skip, len(out))
        self._skip -= skip
        return out[skip:]

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
