"""Loudness: EBU R128 / ITU-R BS.1770 measured on a stream (libebur128), the gating of BS.1770
for loudness worked out from block energies, and the gain that reaches a target.

Everything here works on a stream of windows with a small carried state; nothing holds the
whole session.
"""

from __future__ import annotations

import numpy as np
import pyebur128

from sessiongen.model.results import Delivered, Loudness
from sessiongen.sound.audio import db_to_gain

MOMENTARY_HOP_S = 0.1  # one momentary value per 100 ms (EBU R128 'M')
BLOCK_S = 0.4  # BS.1770's gating block; a momentary value is the loudness of the 400 ms before it
ABSOLUTE_GATE_LUFS, RELATIVE_GATE_LU = -70.0, -10.0


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


def block_lufs(mean_square: np.ndarray) -> np.ndarray:
    """The loudness of K-weighted mean squares (summed over channels), BS.1770's -0.691 + 10 log10."""
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(mean_square)


def gated_lufs(block_mean_square: np.ndarray) -> float:
    """Integrated loudness from the mean squares of 400 ms gating blocks, gated as BS.1770-4
    and libebur128 gate them: blocks under -70 LUFS left out, then those more than 10 LU under
    the loudness of the rest."""
    above = block_mean_square[block_lufs(block_mean_square) > ABSOLUTE_GATE_LUFS]
    if not len(above):
        return float("-inf")
    kept = above[block_lufs(above) > block_lufs(above.mean()) + RELATIVE_GATE_LU]
    return float(block_lufs(kept.mean()))
