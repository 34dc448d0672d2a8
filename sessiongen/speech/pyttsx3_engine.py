"""The default engine: pyttsx3 (espeak-ng on Linux, the system voices on macOS and Windows).

This is the only module that imports pyttsx3. It guards against the espeak driver's known faults
(RESEARCH.md §7): `runAndWait` returning before the file is written, "Audio saved to" noise on
stdout, and unknown voices being silently ignored.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import soundfile as sf

from sessiongen.audio import Audio
from sessiongen.errors import SessiongenError, suggest
from sessiongen.speech.engine import Voice

WAIT_S = 30.0
ATTEMPTS = 5  # attempt k waits 0.5 * (k + 1) s for its file: a late or misplaced write costs little
DEFAULT_ESPEAK_VOICE = "gmw/en"


def _espeak_data_path() -> Path | None:
    """Load the espeak-ng library shipped by espeakng-loader so no system package is needed."""
    try:
        import espeakng_loader
    except ImportError:
        return None
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    data = espeakng_loader.get_data_path()
    os.environ["ESPEAK_DATA_PATH"] = data  # without it espeak-ng exits the process silently
    return Path(data)


class Pyttsx3Engine:
    name = "pyttsx3"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine = None
        self._data_path: Path | None = None
        self._done = threading.Event()
        self._voices: list[Voice] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def _get(self):
        if self._engine is None:
            if sys.platform.startswith("linux"):
                self._data_path = _espeak_data_path()
            import pyttsx3

            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    self._engine = pyttsx3.init("espeak" if self._data_path else None)
                except Exception as exc:  # the driver could not start: no voices on this system
                    raise SessiongenError(f"the speech engine could not start ({exc}); on Linux, reinstall with `make install`") from None
            self._engine.connect("finished-utterance", lambda name, completed: self._done.set())
        return self._engine

    def identity(self) -> str:
        versions = [f"pyttsx3={metadata.version('pyttsx3')}"]
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"espeakng-loader={metadata.version('espeakng-loader')}")
        return f"{self.name}:{sys.platform}:" + ",".join(versions)

    # -- voices ------------------------------------------------------------------------------
    def voices(self) -> list[Voice]:
        if self._voices is None:
            engine = self._get()
            found = []
            for v in engine.getProperty("voices"):
                languages = tuple(_text(lang) for lang in (getattr(v, "languages", None) or []))
                found.append(Voice(id=str(v.id), name=str(v.name or v.id), languages=languages))
            self._voices = found
        return self._voices

    def variants(self) -> list[str]:
        """espeak-ng voice variants (`+f3`, `+Annie`, ...); none on other platforms."""
        self._get()
        folder = self._data_path / "voices" / "!v" if self._data_path else None
        return sorted(p.name for p in folder.iterdir()) if folder and folder.is_dir() else []

    def resolve_voice(self, voice: str | None) -> str:
        voices = self.voices()
        if not voice:
            if self._data_path:
                return DEFAULT_ESPEAK_VOICE
            return str(self._get().getProperty("voice"))
        base, _, variant = voice.partition("+")
        match = _match_voice(base, voices)
        if match is None:
            names = [v.id for v in voices] + [v.name for v in voices]
            hint = suggest(base, names) or " (run `sessiongen voices` to list them)"
            raise SessiongenError(f"unknown voice '{voice}'{hint}")
        if variant:
            variants = self.variants()
            if variant not in variants:
                raise SessiongenError(f"unknown voice variant '+{variant}'{suggest(variant, variants)}")
            return f"{match.id}+{variant}"
        return match.id

    # -- synthesis ---------------------------------------------------------------------------
    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float) -> Audio:
        with self._lock, tempfile.TemporaryDirectory(prefix="sessiongen-tts-") as folder:
            for attempt in range(ATTEMPTS):
                path = Path(folder) / f"clip{attempt}.wav"
                audio = self._try_once(text, voice, rate_wpm, volume, path, 0.5 * (attempt + 1))
                if audio is not None:
                    return audio
            raise SessiongenError(f"the speech engine ({self.name}) produced no audio for: \"{_short(text)}\" after {ATTEMPTS} attempts")

    def _try_once(self, text: str, voice: str, rate_wpm: int, volume: float, path: Path, file_wait_s: float) -> Audio | None:
        engine = self._get()
        self._done.clear()
        engine.setProperty("voice", voice)
        engine.setProperty("rate", int(rate_wpm))
        engine.setProperty("volume", float(volume))
        with contextlib.redirect_stdout(io.StringIO()):  # the driver prints "Audio saved to ..."
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            self._done.wait(WAIT_S)  # runAndWait may return before the file is written
            return _read_when_written(path, file_wait_s)


def _read_when_written(path: Path, wait_s: float) -> Audio | None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 44:
            try:
                samples, rate_hz = sf.read(str(path), dtype="float32", always_2d=True)
            except (RuntimeError, sf.LibsndfileError):
                samples = None
            if samples is not None and len(samples):
                return Audio(samples, int(rate_hz))
        time.sleep(0.02)
    return None


def _match_voice(wanted: str, voices: list[Voice]) -> Voice | None:
    key = wanted.lower()
    for test in (
        lambda v: v.id.lower() == key,
        lambda v: v.name.lower() == key,
        lambda v: v.id.lower().rsplit("/", 1)[-1] == key,
        lambda v: key in (lang.lower() for lang in v.languages),
    ):
        for v in voices:
            if test(v):
                return v
    return None


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").lstrip("\x05\x02")
    return str(value)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
