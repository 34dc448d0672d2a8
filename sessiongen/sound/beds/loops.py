"""What every procedural bed is made from: seamless loops of shaped random spectra, seeded
generators, and one memory budget for all pre-generated material.

A loop made by shaping a random spectrum is periodic by construction (no seam), and it holds no
filter state, so any window of a bed renders on its own.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

import numpy as np

CACHE_BYTES = 60_000_000  # all pre-generated bed material together, least recently used dropped
CHUNK = 16384  # frames mixed per pass (a multiple of the control hop), so that a pass's arrays stay in cache

store: OrderedDict = OrderedDict()


def cached(make: Callable) -> Callable:
    """Like lru_cache, but all beds' arrays share one budget of CACHE_BYTES."""

    @wraps(make)
    def get(*args):
        key = (make.__module__, make.__name__, *args)
        if key in store:
            store.move_to_end(key)
            return store[key]
        value = store[key] = make(*args)
        while len(store) > 1 and sum(nbytes(v) for v in store.values()) > CACHE_BYTES:
            store.popitem(last=False)
        return value

    return get


def nbytes(value) -> int:
    """Bytes held by an array or a tuple of arrays."""
    return sum(map(nbytes, value)) if isinstance(value, tuple) else value.nbytes


def seeded(seed: int, *key) -> np.random.Generator:
    """A generator for (seed, key): strings and reprs hashed stably (not with hash())."""
    words = [k if isinstance(k, int) else zlib.crc32(repr(k).encode()) for k in key]
    return np.random.default_rng([seed, *words])


def seamless(shape: np.ndarray, frames: int, rng: np.random.Generator) -> np.ndarray:
    """A unit-RMS loop of frames whose spectrum magnitude follows `shape` (its rfft bins):
    periodic by construction, so no seam."""
    n = len(shape)
    spectrum = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * shape
    spectrum[0] = 0.0
    loop = np.fft.irfft(spectrum, n=frames)
    return (loop / np.sqrt(np.mean(loop**2))).astype(np.float32)


def with_tail(loop: np.ndarray) -> np.ndarray:
    """The loop followed by its first CHUNK frames, so that a chunk read from it never wraps."""
    return np.concatenate([loop, loop[:CHUNK]])
