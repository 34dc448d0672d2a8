"""A content-addressed phrase cache: one levelled 44.1 kHz mono WAV per (engine, voice, rate, text).

Entries are named by a hash, never by their text, so no personal value appears in a file name.
Each entry carries a checksum of its samples: a damaged or truncated entry is found, removed and
synthesised again, never played. Writes are atomic, so worker processes can share one cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import platformdirs
import soundfile as sf

from sessiongen.errors import SessiongenError
from sessiongen.output.files import atomic_path
from sessiongen.output.jsontext import json_text
from sessiongen.speech.engine import Voice, speaks

FORMAT_VERSION = 3  # 3: clips levelled at the engine's rate, before resampling
_CHECK = "sha256:"


def default_root() -> Path:
    override = os.environ.get("SESSIONGEN_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("sessiongen")) / "phrases"


def phrase_key(**parts) -> str:
    blob = json.dumps({"v": FORMAT_VERSION, **parts}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _digest(pcm: np.ndarray) -> str:
    return _CHECK + hashlib.sha256(np.ascontiguousarray(pcm, dtype="<i2").tobytes()).hexdigest()


def _is_voice_entry(value) -> bool:
    """{"voice": id, "languages": [tag, ...]}: what remember_voice writes."""
    if not isinstance(value, dict) or not isinstance(value.get("voice"), str):
        return False
    languages = value.get("languages")
    return isinstance(languages, list) and all(isinstance(tag, str) for tag in languages)


def _to_pcm16(mono: np.ndarray) -> np.ndarray:
    """Float samples -> 16-bit, rounded and clipped, in one scratch buffer (no copy per step)."""
    scaled = np.multiply(mono, np.float32(32767.0), dtype=np.float32)
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(np.int16)


VOICES_FILE = "voices.json"


def _voice_key(engine_identity: str, requested: str | None) -> str:
    return f"{engine_identity}|{requested or ''}"


def voice_fits(voices: list[Voice], voice_id: str, language: str | None) -> tuple[str, ...] | None:
    """The languages of `voice_id` (a '+variant' aside) when it is one of the engine's `voices`
    and speaks `language` (a voice listing no language is taken at its word); None otherwise."""
    base = voice_id.partition("+")[0]
    found = next((v for v in voices if v.id in (voice_id, base)), None)
    if found is None or (language and found.languages and not speaks(found.languages, language)):
        return None
    return tuple(found.languages)


_READERS: list[set[Path]] = []  # the entries read while `recording()` is active


@contextlib.contextmanager
def recording():
    """The set of cache entries (their paths) read in this block: what a render elsewhere needs."""
    read: set[Path] = set()
    _READERS.append(read)
    try:
        yield read
    finally:
        _READERS.remove(read)


class PhraseCache:
    def __init__(self, root: Path, rate_hz: int):
        self.root = Path(root)
        self.rate_hz = rate_hz

    def resolved_voice(self, engine_identity: str, requested: str | None, language: str | None = None) -> str | None:
        """The voice id an engine gave for `requested` before (None: not known yet). Remembering it
        lets a render whose phrases are all cached run without starting the engine at all. A
        remembered voice whose languages do not include `language` is not trusted (None); the
        speaker also checks it against the engine's voices before the engine speaks with it."""
        entry = self._voices().get(_voice_key(engine_identity, requested))
        if entry is None or (language and entry["languages"] and not speaks(entry["languages"], language)):
            return None
        return entry["voice"]

    def remember_voice(self, engine_identity: str, requested: str | None, resolved: str, languages: tuple[str, ...] = ()) -> None:
        voices = self._voices()
        voices[_voice_key(engine_identity, requested)] = {"voice": resolved, "languages": list(languages)}
        with contextlib.suppress(OSError, SessiongenError):  # remembering is a shortcut, never an error
            self.root.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.root / VOICES_FILE) as temp:
                temp.write_text(json_text(voices, VOICES_FILE, sort_keys=True, indent=1), encoding="utf-8")

    def _voices(self) -> dict:
        """The remembered voices; an entry of any other shape (an older version's, a damaged or
        edited file's) is left out, and resolved again."""
        with contextlib.suppress(OSError, ValueError):
            found = json.loads((self.root / VOICES_FILE).read_text(encoding="utf-8"))
            if isinstance(found, dict):
                return {k: v for k, v in found.items() if _is_voice_entry(v)}
        return {}

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def frames(self, key: str) -> int | None:
        """Frames of a sound entry, or None when it is missing or damaged (a damaged one is removed)."""
        path = self.path_for(key)
        for read in _READERS:
            read.add(path)
        if not path.exists():
            return None
        try:
            with sf.SoundFile(str(path)) as entry:
                good = entry.samplerate == self.rate_hz and entry.channels == 1 and entry.frames > 0
                pcm = entry.read(dtype="int16") if good else None
                good = good and len(pcm) == entry.frames and entry.comment == _digest(pcm)
        except (RuntimeError, sf.LibsndfileError, OSError):
            good = False
        if not good:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return len(pcm)

    def put(self, key: str, mono: np.ndarray) -> Path:
        """Store an entry atomically. The WAV is made in memory and written in one go: libsndfile
        syncs a file to disk when it closes it (10 ms an entry, measured), which a cache whose
        entries carry their own checksum does not need."""
        path = self.path_for(key)
        pcm = _to_pcm16(mono)
        wav = io.BytesIO()
        with sf.SoundFile(wav, "w", self.rate_hz, 1, subtype="PCM_16", format="WAV") as entry:
            entry.comment = _digest(pcm)
            entry.write(pcm)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as temp:
                temp.write_bytes(wav.getvalue())
        except (OSError, SessiongenError) as exc:  # full, read-only, or another user's
            why = exc.strerror if isinstance(exc, OSError) else exc.message
            raise SessiongenError(
                f"the phrase cache {path.parent} cannot store a phrase ({why}): free some space or fix the folder's "
                "permissions, set SESSIONGEN_CACHE_DIR to another folder, or render with --no-cache"
            ) from None
        return path
