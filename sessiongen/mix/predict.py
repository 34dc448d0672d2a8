"""Predict a session's integrated loudness from its parts, without rendering the mix.

Loudness normalisation needs the integrated loudness (ITU-R BS.1770 / EBU R128) of the whole
session before the first sample is mastered. Measuring it means rendering the session twice;
predicting it lets the session be rendered, mastered and encoded in one pass.

The mix is a sum of sources that are (nearly) uncorrelated: the voice, the tones, the cues and
the bed. The K-weighted energy of the sum in each 10 ms bin is then the sum of theirs, and each
source's K-weighted energy is its plain energy times its K-gain (K-weighted over plain power,
from its spectrum). Bins make the 400 ms gating blocks of BS.1770, and the gates are applied as
libebur128 applies them. pipeline.write checks the delivered loudness and falls back to a
measured pass when a prediction misses (a bed whose loudness drifts, say).
"""

from __future__ import annotations

import numpy as np

from sessiongen.master.loudness import gated_lufs
from sessiongen.mix.render import Renderer, pan_weights
from sessiongen.model.timeline import Event, EventKind
from sessiongen.sound.kweight import k_gain

BIN_S = 0.01
BLOCK_BINS, HOP_BINS = 40, 10  # BS.1770 gating blocks: 400 ms, every 100 ms
BED_STRETCH_BINS = 6000  # one minute
CLIP_SEGMENTS = 6  # spectra per clip for its K-gain: one voice's clips differ little


def add_energy(bins: np.ndarray, squared: np.ndarray, at: int, bin_frames: int) -> None:
    """Add the energy of a squared signal starting at absolute frame `at` into 10 ms bins."""
    first = max(at, 0) // bin_frames
    lead = max(at, 0) - first * bin_frames
    squared = squared[max(0, -at) :]
    padded = np.zeros(-(-(lead + len(squared)) // bin_frames) * bin_frames)
    padded[lead : lead + len(squared)] = squared
    sums = padded.reshape(-1, bin_frames).sum(axis=1)
    room = max(0, min(len(sums), len(bins) - first))
    bins[first : first + room] += sums[:room]


def integrated_lufs(mean_square: np.ndarray) -> float:
    """Gated integrated loudness (BS.1770-4) from the K-weighted mean square of each 10 ms bin,
    summed over channels; blocks as libebur128 forms them (the first ends 400 ms in, then one
    every 100 ms)."""
    if len(mean_square) < BLOCK_BINS:
        return float("-inf")
    cumulative = np.concatenate([[0.0], np.cumsum(mean_square)])
    ends = np.arange(BLOCK_BINS, len(mean_square) + 1, HOP_BINS)
    return gated_lufs((cumulative[ends] - cumulative[ends - BLOCK_BINS]) / BLOCK_BINS)


class Predictor:
    """K-weighted energy per 10 ms bin of a timeline's mix, from its sources."""

    def __init__(self, renderer: Renderer):
        self.r, self.tl, self.s = renderer, renderer.tl, renderer.settings
        self.bin_frames = int(round(BIN_S * self.tl.rate_hz))
        self.bins = np.zeros(-(-self.tl.frames // self.bin_frames))
        self._clip_gains: dict[str, float] = {}

    def lufs(self) -> float:
        for event in self.tl.events:
            if event.kind == EventKind.SPEECH:
                self._clip(event.clip or event.text, event.start, 0.0)
            elif event.kind in (EventKind.BLS, EventKind.BELL, EventKind.BREATHE, EventKind.HEADPHONE_CHECK):
                self._rendered(event)
        self._beds()
        return integrated_lufs(self.bins / self.bin_frames)

    def _weight(self, pan: float) -> float:
        left, right = pan_weights(pan)
        return ((left + right) / 2) ** 2 if self.s.mono else left**2 + right**2

    def _clip(self, key: str, at: int, pan: float) -> None:
        samples = self.r.clip_samples(key)
        if key not in self._clip_gains:
            self._clip_gains[key] = k_gain(samples, self.tl.rate_hz, CLIP_SEGMENTS)
        squared = np.square(samples, dtype=np.float64)
        add_energy(self.bins, squared * (self._clip_gains[key] * self._weight(pan)), at, self.bin_frames)

    def _rendered(self, event: Event) -> None:
        """Tones and cues: rendered on their own (cheap) in windows aligned to the bins, the
        K-gain taken from the first window that sounds (an event repeats one sound)."""
        name = "bilateral" if event.kind in (EventKind.BLS, EventKind.HEADPHONE_CHECK) else "cues"
        size = int(self.s.window_s * self.tl.rate_hz) // self.bin_frames * self.bin_frames
        first = event.start // self.bin_frames * self.bin_frames
        gain = None
        for start in range(first, event.end, size):
            frames = -(-min(size, event.end - start) // self.bin_frames) * self.bin_frames
            layer = self.r.event_window(event, start, frames).layer(name)
            layer = layer.mean(axis=1) if self.s.mono else layer
            if gain is None and layer.any():
                gain = k_gain(layer, self.tl.rate_hz)
            if gain is not None:
                energy = np.square(layer).reshape(frames // self.bin_frames, -1).sum(axis=1, dtype=np.float64)
                at = start // self.bin_frames
                room = max(0, min(len(energy), len(self.bins) - at))
                self.bins[at : at + room] += gain * energy[:room]
        for offset, text, pan in event.cues:  # words said within a breathing or headphone event
            self._clip(text, event.start + offset, pan)

    def _beds(self) -> None:
        """The beds' energy, a stretch of BED_STRETCH_BINS at a time (memory stays flat in length)."""
        for first in range(0, len(self.bins), BED_STRETCH_BINS):
            bins = self.bins[first : first + BED_STRETCH_BINS]
            centres = (np.arange(first, first + len(bins)) + 0.5) * self.bin_frames
            for name, gain in self.r.bed_gains_at(centres):
                power = self.r.bed_power_at(name, centres)  # K-weighted, summed over channels (or folded)
                bins += self.bin_frames * power * gain**2


def predict_lufs(renderer: Renderer) -> float:
    """The integrated loudness the renderer's mix will measure, predicted from its sources."""
    return Predictor(renderer).lufs()
