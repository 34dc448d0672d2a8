"""How much the limiter turned the voice down: mastering anchored on the voice should leave
speech untouched (a limited voice loses its natural peaks and gains harsh products)."""

from __future__ import annotations

from bisect import bisect_right

import numpy as np


class LimitingOnSpeech:
    """Mean and worst gain reduction (dB, <= 0) of the limiter over the frames where the voice
    speaks, fed block by block with the limiter's gain (None: 1) at each block's position."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = spans  # [start, end) of speech in frames, in order, not overlapping
        self._ends = [end for _, end in spans]
        self._sum_db, self._frames, self.worst_db = 0.0, 0, 0.0

    def add(self, position: int, frames: int, gain: np.ndarray | None) -> None:
        stop = position + frames
        for start, end in self.spans[bisect_right(self._ends, position) :]:
            if start >= stop:
                break
            lo, hi = max(start, position), min(end, stop)
            self._frames += hi - lo
            if gain is not None:
                reduction_db = 20.0 * np.log10(np.maximum(gain[lo - position : hi - position], 1e-9))
                self._sum_db += float(reduction_db.sum(dtype=np.float64))
                self.worst_db = min(self.worst_db, float(reduction_db.min()))

    @property
    def mean_db(self) -> float:
        return self._sum_db / self._frames if self._frames else 0.0
