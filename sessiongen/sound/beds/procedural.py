"""A named bed (one of BEDS, made at render time) by its name: its audio and its K-weighted power.
recorded.py does the same for a user's file as the bed."""

from __future__ import annotations

import numpy as np

from sessiongen.sound.beds import BEDS


def is_named(bed: str) -> bool:
    """A bed from the registry, as opposed to a user's audio file (see recorded.py)."""
    return bed in BEDS


def noise(name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    """(frames, 2) of bed `name` from absolute frame `start`, RMS about 1 in each channel."""
    return BEDS[name].source.render(name, seed, start, frames, rate_hz)


def k_power(name: str, seed: int, t: np.ndarray, rate_hz: int, mono: bool = False) -> np.ndarray:
    """K-weighted mean power of bed `name` around frame positions t: summed over the channels, or
    of the mono fold (for predicting loudness without rendering)."""
    return BEDS[name].source.k_power(name, seed, t, rate_hz, mono)
