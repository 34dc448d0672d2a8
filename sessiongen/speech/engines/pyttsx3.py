"""The default engine: pyttsx3 (espeak-ng on Linux, the system voices on macOS and Windows).

This is the only module that imports pyttsx3. On Linux with espeakng-loader, phrases are
synthesised in memory through pyttsx3's own ctypes binding of espeak-ng (`EspeakInMemory`): no
files, no polling, each phrase with its own settings. Elsewhere pyttsx3 writes a file per phrase,
guarded against the driver's known faults (../shared/RESEARCH.md §7): `runAndWait` returning before the file
is written, audio landing under another file's name, "Audio saved to" noise on stdout, and
unknown voices being silently ignored.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import io
import os
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import soundfile as sf

from sessiongen.errors import SessiongenError, suggest
from sessiongen.sound.audio import Audio
from sessiongen.speech.engine import Voice, language_tag, short, speaks

WAIT_S = 30.0
ATTEMPTS = 5  # attempt k waits 0.5 * (k + 1) s for its file: a late or misplaced write costs little
DEFAULT_ESPEAK_VOICE = "gmw/en"
PLAUSIBLE_SPEED = (0.3, 3.0)  # a file's length over the nominal words * 60 / rate: outside this, it is not this phrase
PLAUSIBLE_SLACK_S = 2.0  # lead-in and end pause an engine may add around a short phrase


def _in_memory() -> bool:
    """Whether phrases are synthesised in memory: on Linux, with espeakng-loader's espeak-ng.
    Decided without loading anything, because `identity()` depends on it."""
    return sys.platform.startswith("linux") and importlib.util.find_spec("espeakng_loader") is not None


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


class EspeakInMemory:
    """espeak-ng in synchronous retrieval mode, through pyttsx3's own ctypes binding: `Synth`
    returns when the phrase is spoken, its samples having arrived through a callback in this
    thread. Voice, rate and volume are set through pyttsx3's espeak driver's own `setProperty`,
    so they map exactly as in the file path, and the samples are the ones it writes when it gets
    the settings right (all 102 phrases of the benchmark workload, to the sample). It does not
    always: its settings are queued while the previous phrase
    finishes, and of 8 phrases with changing voice, rate and volume it spoke 5 in 64 with an
    earlier phrase's settings (8 runs, measured). Here a phrase's settings are in force before
    its `Synth`, and its samples cannot be another phrase's."""

    def __init__(self) -> None:
        from pyttsx3.drivers import _espeak
        from pyttsx3.drivers.espeak import EspeakDriver

        self._espeak, self._driver = _espeak, EspeakDriver
        self.rate_hz = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0)
        if self.rate_hz <= 0:
            raise SessiongenError("the speech engine could not start (espeak-ng did not initialise); reinstall with `make install`")
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._collect)  # the binding keeps the callback object alive

    def _collect(self, wav, count: int, events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
        return 0  # carry on

    def voices(self) -> list:
        return self._driver.getProperty("voices")

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float) -> Audio:
        self._chunks = []
        self._driver.setProperty("voice", voice)
        self._driver.setProperty("rate", int(rate_wpm))
        self._driver.setProperty("volume", float(volume))
        status = self._espeak.Synth(str(text).encode("utf-8"), flags=self._espeak.ENDPAUSE | self._espeak.CHARS_UTF8)
        if status != self._espeak.EE_OK:
            raise RuntimeError(f"espeak_Synth returned {status}")
        self._espeak.Synchronize()
        pcm = np.frombuffer(b"".join(self._chunks), dtype=np.int16)
        self._chunks = []
        return Audio((pcm.astype(np.float32) / 32768.0)[:, None], self.rate_hz)


class Pyttsx3Engine:
    name = "pyttsx3"

    def __init__(self, in_memory: bool | None = None) -> None:
        """`in_memory`: synthesise through espeak-ng in memory (the default where `_in_memory()`),
        or False for pyttsx3's file path (tests compare the two)."""
        self._lock = threading.Lock()
        self.in_memory = _in_memory() if in_memory is None else in_memory
        self._engine = None  # the pyttsx3 engine (file path)
        self._memory: EspeakInMemory | None = None
        self._data_path: Path | None = None
        self._done = threading.Event()
        self._voices: list[Voice] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def _start(self) -> None:
        if self._engine is not None or self._memory is not None:
            return
        if sys.platform.startswith("linux"):
            self._data_path = _espeak_data_path()
        self.in_memory = self.in_memory and self._data_path is not None  # without espeakng-loader: files
        if self.in_memory:
            self._memory = EspeakInMemory()
        else:
            self._engine = _init_pyttsx3("espeak" if self._data_path else None)
            self._engine.connect("finished-utterance", lambda name, completed: self._done.set())

    def _get(self):
        """The pyttsx3 engine of the file path."""
        self._start()
        return self._engine

    def identity(self) -> str:
        versions = [f"pyttsx3={metadata.version('pyttsx3')}"]
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"espeakng-loader={metadata.version('espeakng-loader')}")
        mode = ":in-memory" if self.in_memory else ""  # the file path's clips may carry a wrong setting: never reuse them
        return f"{self.name}:{sys.platform}:" + ",".join(versions) + mode

    # -- voices ------------------------------------------------------------------------------
    def voices(self) -> list[Voice]:
        if self._voices is None:
            self._start()
            found = []
            for v in self._memory.voices() if self._memory else self._engine.getProperty("voices"):
                languages = tuple(_text(lang) for lang in (getattr(v, "languages", None) or []))
                found.append(
                    Voice(
                        id=str(v.id),
                        name=str(v.name or v.id),
                        languages=languages,
                        engine=self.name,
                        rate_hz=22_050 if self._data_path else 0,
                        location="espeak-ng" if self._data_path else "system",
                        gender=_gender(getattr(v, "gender", None)),
                    )
                )
            self._voices = found
        return self._voices

    def variants(self) -> list[str]:
        """espeak-ng voice variants (`+f3`, `+Annie`, ...); none on other platforms."""
        self._start()
        folder = self._data_path / "voices" / "!v" if self._data_path else None
        return sorted(p.name for p in folder.iterdir()) if folder and folder.is_dir() else []

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        voices = self.voices()
        if not voice:
            return self._default_voice(language, voices)
        base, _, variant = voice.partition("+")
        match = _match_voice(base, voices)
        if match is None:
            names = [v.id for v in voices] + [v.name for v in voices]
            hint = suggest(base, names) or " (run `sessiongen voices` to list them)"
            raise SessiongenError(f"unknown voice '{voice}'{hint}")
        if language and match.languages and not speaks(match.languages, language):
            raise SessiongenError(
                f"the voice {match.id} speaks {', '.join(match.languages)}, but the script's language is '{language}': {_speakers_of(language, voices)}"
            )
        if variant:
            variants = self.variants()
            if variant not in variants:
                raise SessiongenError(f"unknown voice variant '+{variant}'{suggest(variant, variants)}")
            return f"{match.id}+{variant}"
        return match.id

    def _default_voice(self, language: str | None, voices: list[Voice]) -> str:
        if language and not speaks(["en"], language):
            match = _match_voice(language_tag(language), voices) or next((v for v in voices if speaks(v.languages, language)), None)
            if match is None:
                raise SessiongenError(f"no installed voice speaks '{language}': {_speakers_of(language, voices)}")
            return match.id
        if self._data_path:
            return DEFAULT_ESPEAK_VOICE
        return str(self._get().getProperty("voice"))

    # -- synthesis ---------------------------------------------------------------------------
    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        self._start()
        with self._lock:
            if self._memory:
                return self._memory.synthesize(text, voice, rate_wpm, volume)
            return self._synthesize_to_file(text, voice, rate_wpm, volume)

    def _synthesize_to_file(self, text: str, voice: str, rate_wpm: int, volume: float) -> Audio:
        with tempfile.TemporaryDirectory(prefix="sessiongen-tts-") as folder:
            for attempt in range(ATTEMPTS):
                path = Path(folder) / f"clip{attempt}.wav"
                audio = self._try_once(text, voice, rate_wpm, volume, path, 0.5 * (attempt + 1))
                if audio is not None and plausible(audio, text, rate_wpm):
                    return audio
            raise SessiongenError(
                f'the speech engine ({self.name}) produced no plausible audio for: "{short(text)}" after {ATTEMPTS} attempts'
            )

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


def _init_pyttsx3(driver: str | None):
    import pyttsx3

    with contextlib.redirect_stdout(io.StringIO()):
        try:
            return pyttsx3.init(driver)
        except Exception as exc:  # the driver could not start: no voices on this system
            raise SessiongenError(f"the speech engine could not start ({exc}); on Linux, reinstall with `make install`") from None


def plausible(audio: Audio, text: str, rate_wpm: int) -> bool:
    """Whether a file's length fits its phrase: a file written late lands under the next phrase's
    name (../shared/RESEARCH.md §7), and a clip far too long or short for its words is another phrase's."""
    nominal_s = max(1, len(text.split())) * 60.0 / rate_wpm
    low, high = PLAUSIBLE_SPEED
    return low * nominal_s <= audio.duration_s <= high * nominal_s + PLAUSIBLE_SLACK_S


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


def _speakers_of(language: str, voices: list[Voice]) -> str:
    fitting = [v.id for v in voices if speaks(v.languages, language)]
    if fitting:
        return "voices that speak it: " + ", ".join(fitting[:12])
    return "run `sessiongen voices --engine pyttsx3` for the languages there are"


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").lstrip("\x05\x02")
    return str(value)


def in_process() -> Pyttsx3Engine:
    return Pyttsx3Engine()


def for_sessions():
    """pyttsx3 in its own process (speech/isolated.py): a hang or crash never reaches the session."""
    from sessiongen.speech.isolated import IsolatedEngine

    return IsolatedEngine("pyttsx3", Pyttsx3Engine().identity())


def _gender(value) -> str:
    """pyttsx3's gender of a voice ('Male', 'Female', 'VoiceGenderFemale', None) -> female, male or ""."""
    text = str(value or "").lower()
    return "female" if "female" in text else "male" if "male" in text else ""
