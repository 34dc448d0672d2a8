"""Fades at the very start and end of the delivered file, applied window by window."""

from __future__ import annotations

import numpy as np


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
