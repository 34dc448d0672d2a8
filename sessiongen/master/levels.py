"""What the listener hears against the voice, read from the delivered momentary loudness and the
timeline: the level while the voice speaks, the bed alone, the tones alone, the loudest moment.

These are the figures mastering anchored on the voice must hold at any length (issue 15; the
manifest reports them, benchmarks/loudness_figures.py tabulates them). Each is a level in LU
relative to the voice's speech-gated loudness, or None where the session has no such stretch.
"""

from __future__ import annotations

import numpy as np

from sessiongen.master.loudness import BLOCK_S, MOMENTARY_HOP_S, gated_lufs
from sessiongen.model.timeline import EventKind, Timeline

EDGE_S = 5.0  # the session's fades are left out of the bed-only figure
SOUNDS = frozenset(EventKind) - {EventKind.AMBIENCE, EventKind.PAUSE}


def sounding(tl: Timeline, kinds, blocks: int) -> np.ndarray:
    """For each momentary block: does an event of one of these kinds sound in it?"""
    ends_s = (np.arange(blocks) + 1) * MOMENTARY_HOP_S
    hit = np.zeros(blocks, dtype=bool)
    for e in tl.events:
        if e.kind in kinds:
            hit |= (ends_s > tl.seconds(e.start)) & (ends_s - BLOCK_S < tl.seconds(e.end))
    return hit


def covering(spans, rate_hz: int, blocks: int) -> np.ndarray:
    """For each momentary block: does one of these [start, end) spans (frames) reach into it?"""
    ends_s = (np.arange(blocks) + 1) * MOMENTARY_HOP_S
    hit = np.zeros(blocks, dtype=bool)
    for start, end in spans:
        hit |= (ends_s > start / rate_hz) & (ends_s - BLOCK_S < end / rate_hz)
    return hit


def against_voice(tl: Timeline, momentary_lufs: np.ndarray, voice_lufs: float, ducked) -> dict:
    """Levels relative to the voice (LU): `speech` (the whole mix, speech-gated), `bed_only`
    (median where only the bed plays, at its full level: outside the `ducked` spans, where it
    dips under the voice), `sets` (median of bilateral sets away from the voice) and `loudest`
    (the loudest 400 ms)."""
    values = np.asarray(momentary_lufs, dtype=float)
    if not np.isfinite(voice_lufs) or not len(values):
        return {}
    speech = sounding(tl, {EventKind.SPEECH}, len(values))
    near_voice = covering(ducked, tl.rate_hz, len(values)) | speech
    bed_only = ~sounding(tl, SOUNDS, len(values)) & ~near_voice
    edge = int(EDGE_S / MOMENTARY_HOP_S)
    bed_only[:edge] = bed_only[max(0, len(values) - edge) :] = False
    sets = sounding(tl, {EventKind.BLS}, len(values)) & ~near_voice
    median = lambda mask: _db(float(np.median(values[mask])) - voice_lufs) if mask.any() else None  # noqa: E731
    return {
        "speech": _db(gated_lufs(10.0 ** ((values[speech] + 0.691) / 10.0)) - voice_lufs) if speech.any() else None,
        "bed_only": median(bed_only & np.isfinite(values) & (values > -70)),
        "sets": median(sets),
        "loudest": _db(float(values.max()) - voice_lufs),
    }


def _db(value: float) -> float | None:
    return round(value, 2) if np.isfinite(value) else None
