"""A content-addressed phrase cache: one levelled 44.1 kHz mono WAV per (engine, voice, rate, text).

Entries are named by a hash, never by their text, so no personal value appears in a file name.
Writes are atomic, so worker processes can share one cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import platformdirs
import soundfile as sf

from sessiongen.fsutil import atomic_path

FORMAT_VERSION = 2


def default_root() -> Path:
    override = os.environ.get("SESSIONGEN_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("sessiongen")) / "phrases"


def phrase_key(**parts) -> str:
    blob = json.dumps({"v": FORMAT_VERSION, **parts}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class PhraseCache:
    def __init__(self, root: Path, rate_hz: int):
        self.root = Path(root)
        self.rate_hz = rate_hz

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def frames(self, key: str) -> int | None:
        """Frames of a sound entry, or None when it is missing or damaged (then it is remade)."""
        path = self.path_for(key)
        try:
            info = sf.info(str(path))
        except (RuntimeError, sf.LibsndfileError, OSError):
            return None
        complete = path.stat().st_size >= 44 + info.frames * 2
        if info.frames <= 0 or info.samplerate != self.rate_hz or info.channels != 1 or not complete:
            return None
        return int(info.frames)

    def put(self, key: str, mono: np.ndarray) -> Path:
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temp:
            sf.write(str(temp), mono, self.rate_hz, subtype="PCM_16", format="WAV")
        return path
