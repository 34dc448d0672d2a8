"""Kokoro-82M (int8 ONNX, through kokoro-onnx), offline. The only module that imports kokoro_onnx.

Two halves, as for Piper. `KokoroEngine` lives in the session's process: it lists, resolves and
hashes voices from their files (kokorofiles.py) and never loads the model. `KokoroSynth` lives
in each worker process: the model loaded once with one onnxruntime thread, a voice's style vectors
(or a blend's weighted sum) once each, phrases phonemised by espeak-ng (phonemizer with
espeakng-loader's library) and spoken. Kokoro speaks only in its own workers: espeakng-loader's
libespeak-ng and piper's espeak bridge in one process crash it.

Pace: `--rate` keeps its meaning (espeak-ng's nominal rate R speaks ~1.21 R words a minute within
a phrase). Kokoro's `speed` divides every predicted duration, so words a minute are W1 * speed;
W1 is measured once per voice (each calibration sentence spoken alone and trimmed) and
remembered in the cache folder.
"""

from __future__ import annotations

import os
import re
import tempfile
from importlib import metadata

import numpy as np

from sessiongen.errors import SessiongenError
from sessiongen.sound.audio import Audio
from sessiongen.speech import kokorofiles as files
from sessiongen.speech import voicefiles
from sessiongen.speech.engine import Voice, language_tag, speaks, speech_s

PACE_VS_ESPEAK = 1.21  # as for Piper: words a minute within a phrase per nominal espeak-ng word a minute
SPEED_RANGE = (0.5, 2.0)  # what kokoro-onnx accepts
PACE_FILE = "kokoro-pace.json"
PACE_VERSION = 1  # part of the engine identity: a change of pacing re-synthesises
GRADE_ORDER = ["A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F+", "F", ""]
PREFERRED = "af_heart"  # Kokoro's best-graded voice (A): the default where the script's language allows
PHONEMES_RE = re.compile(r"\[\[(.*?)\]\]")  # IPA given inline, as pronounce.apply writes it


def identity() -> str:
    versions = ",".join(f"{p}={_version(p)}" for p in ("kokoro-onnx", "onnxruntime", "phonemizer", "espeakng-loader"))
    return f"kokoro:{versions}:model={files.MODEL_SHA256[:16]}:pace{PACE_VERSION}:batch{MAX_BATCH_PHONEMES}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def as_voice(found: files.KokoroVoice) -> Voice:
    nice = found.name.split("_", 1)[1].capitalize()
    return Voice(
        found.name,
        f"{nice} ({found.label}, {found.gender})",
        (found.language, found.language.split("-")[0]),
        engine="kokoro",
        quality=found.grade,
        rate_hz=files.RATE_HZ,
        location=str(files.voice_file(found.name)),
        gender=found.gender,
    )


def _rank(voice: files.KokoroVoice) -> tuple:
    return (voice.name != PREFERRED, GRADE_ORDER.index(voice.grade) if voice.grade in GRADE_ORDER else len(GRADE_ORDER), voice.name)


def best(language: str | None, installed: list[files.KokoroVoice] | None = None) -> files.KokoroVoice | None:
    """The most natural installed voice for a language (Kokoro's own grades; af_heart first): of
    its accent where one is installed (en-gb: bf_emma), else of its language (en: af_heart)."""
    installed = files.installed() if installed is None else installed
    tag = language_tag(language or "en")
    fitting = [v for v in installed if v.language == tag] or [v for v in installed if speaks((v.language,), tag)]
    return min(fitting, key=_rank) if fitting else None


def resolve(voice: str | None, language: str | None) -> str:
    """The canonical id of a voice or blend, checked: installed, speaking the script's language,
    its language one espeak-ng phonemises here."""
    installed = files.installed()
    if not voice:
        chosen = best(language, installed)
        if chosen is None:
            raise SessiongenError(f"no installed Kokoro voice speaks '{language}': {_would_do(language or 'en', installed)}")
        blend = ((chosen.name, 1.0),)
    else:
        blend = files.parse_blend(voice)
    files.check_voices(blend)
    lead = files.catalogue()[max(blend, key=lambda item: item[1])[0]]
    if language and not speaks((lead.language,), language):
        raise SessiongenError(
            f"the voice {lead.name} speaks {lead.label}, but the script's language is '{language}': {_would_do(language, installed)}"
        )
    if not lead.espeak:
        raise SessiongenError(
            f"the Kokoro voice {lead.name} speaks {lead.label}, whose phonemiser (misaki) is not installed and is not offline: "
            "choose a voice of another language"
        )
    return files.blend_id(blend)


def _would_do(language: str, installed: list[files.KokoroVoice]) -> str:
    fitting = [v.name for v in installed if speaks((v.language,), language)]
    if fitting:
        return "voices that speak it: " + ", ".join(fitting)
    return "run `sessiongen voices` to see the voices and their languages, or use --engine pyttsx3 (espeak-ng speaks many languages)"


class KokoroEngine:
    """The session's side: voices found, resolved and hashed here; phrases spoken by a pool of
    worker processes (each loads the model once)."""

    name = "kokoro"
    options = ()  # nothing beyond rate and volume: Kokoro has no noise settings
    phoneme_input = True  # IPA phonemes inline as [[ ... ]], fed to Kokoro's phoneme input
    remember_voices = False  # resolving reads file names only
    estimated_plans = True  # plans and previews estimate what the cache lacks (speech/estimate.py): synthesis is slow

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers
        self._pool = None

    def identity(self) -> str:
        return identity()

    def voices(self) -> list[Voice]:
        return [as_voice(found) for found in sorted(files.installed(), key=lambda v: (v.name[0], _rank(v)))]

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        return resolve(voice, language)

    def voice_identity(self, voice_id: str) -> str:
        """What the phrase cache knows a voice by: its blend and each voice file's hash."""
        files.model_path()  # assembled once, and refused here when damaged, before any worker starts
        return "|".join(f"{name}:{weight:g}:sha256:{files.voice_hash(name)}" for name, weight in files.parse_blend(voice_id))

    def voice_name(self, voice_id: str) -> str:
        return voice_id

    def slowest_wpm(self, voice_id: str) -> float | None:
        """The slowest rate (nominal words a minute) the voice takes, at kokoro-onnx's floor of speed
        0.5 (synthesize clamps there); None when its pace is not recorded. For [pace]'s warning."""
        from sessiongen.speech import calibration

        pace = calibration.recorded_pace(voice_id)
        return None if pace is None else SPEED_RANGE[0] * pace / PACE_VS_ESPEAK

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        [audio] = self.synthesize_many([(text, voice, rate_wpm, volume, options)])
        return audio

    def synthesize_many(self, calls):
        from sessiongen.speech.isolated import timeout_for
        from sessiongen.speech.pool import EnginePool, default_workers, workers_for

        calls = [tuple(call) for call in calls]
        if (
            self._pool is None
        ):  # Kokoro speaks ~10 times slower than Piper; a voice without a recorded pace is measured first (~20 s of CPU)
            self._pool = EnginePool("kokoro", self.identity(), self.workers or default_workers(), RECYCLE_AFTER_PHRASES, timeout_for(180.0))
        return self._pool.synthesize_many(calls, workers=workers_for(calls, WORDS_PER_WORKER))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


WORDS_PER_WORKER = 12  # a worker loads the model in ~1 s, the time it takes to speak ~4 words: worth it for this many
RECYCLE_AFTER_PHRASES = 48  # onnxruntime's arena grows with what a worker has spoken: a fresh process then
# A worker's peak memory follows the longest inference it has run (about 300 MB + 1.7 MB a
# phoneme at a calm pace): a phrase longer than MAX_BATCH_PHONEMES is spoken a sentence (or, for
# a longer sentence, a clause) at a time, joined by these pauses at speed 1 (docs/performance.md).
MAX_BATCH_PHONEMES = 250
SENTENCE_PAUSE_S = 0.2  # spoken together, af_heart leaves ~0.38 s more than its sentences alone, ef_dora ~0.04 s
CLAUSE_PAUSE_S = 0.1  # kokoro-onnx's own


class KokoroSynth:
    """A worker's Kokoro: the model loaded once, voices once each, phrases at the pace asked for."""

    name = "kokoro"

    def __init__(self) -> None:
        self._kokoro = None
        self._voices: dict[str, tuple[np.ndarray, str, float]] = {}

    def identity(self) -> str:
        return identity()

    def voices(self) -> list[Voice]:
        return KokoroEngine().voices()

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        return resolve(voice, language)

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        vector, espeak, wpm_at_1 = self._voice(voice)
        low, high = SPEED_RANGE
        speed = min(high, max(low, rate_wpm * PACE_VS_ESPEAK / wpm_at_1))
        return self.speak(text, vector, espeak, speed, volume)

    def speak(self, text: str, vector: np.ndarray, espeak: str, speed: float, volume: float = 1.0) -> Audio:
        kokoro = self._model()
        phonemes = phonemise(kokoro, text, espeak)
        pauses = {"sentence_pause": SENTENCE_PAUSE_S / speed, "clause_pause": CLAUSE_PAUSE_S / speed}
        samples, rate_hz = kokoro.create(phonemes, vector, speed=speed, is_phonemes=True, **pauses)
        samples = np.clip(np.asarray(samples, dtype=np.float32) * np.float32(volume), -1.0, 1.0)
        return Audio(samples[:, None], int(rate_hz))

    def _voice(self, voice_id: str) -> tuple[np.ndarray, str, float]:
        if voice_id not in self._voices:
            blend = files.parse_blend(voice_id)
            lead = files.catalogue()[max(blend, key=lambda item: item[1])[0]]
            vector = files.blended(blend)
            self._voices[voice_id] = (vector, lead.espeak, _pace(self, voice_id, vector, lead))
        return self._voices[voice_id]

    def _model(self):
        if self._kokoro is None:
            self._kokoro = load_model()
        return self._kokoro


def load_model():
    """kokoro-onnx on our own onnxruntime session: one thread, quiet, CPU. kokoro-onnx wants a
    voices file; ours hands it each phrase's style vectors itself, so it gets an empty one."""
    import onnxruntime
    from kokoro_onnx import Kokoro
    from kokoro_onnx.chunker import split_phonemes

    class BoundedKokoro(Kokoro):
        """Speaks a long phrase a sentence (or clause) at a time, in balanced batches of at most
        MAX_BATCH_PHONEMES: onnxruntime keeps buffers sized to the longest input it has run."""

        def _split_phonemes(self, phonemes: str) -> list[str]:
            return split_phonemes(phonemes, MAX_BATCH_PHONEMES)

    path = files.model_path()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own errors: a damaged model
        raise SessiongenError(
            f"{path}: the Kokoro model cannot be loaded ({type(exc).__name__}): delete it and it is rebuilt from the installed packages"
        ) from None
    empty = os.path.join(tempfile.mkdtemp(prefix="sessiongen-kokoro-"), "voices.npz")
    np.savez(empty)
    return BoundedKokoro.from_session(session, empty)


def phonemise(kokoro, text: str, espeak: str) -> str:
    """Text -> Kokoro's phonemes: words through espeak-ng in the voice's language, [[ IPA ]] as given."""
    pieces = []
    for i, part in enumerate(PHONEMES_RE.split(text)):
        part = part.strip()
        if part:
            pieces.append(part if i % 2 else kokoro.tokenizer.phonemize(part, espeak))
    phonemes = " ".join(p for p in pieces if p)
    if not phonemes.strip():
        raise SessiongenError(f'nothing to say in "{text[:60]}" (no phonemes)')
    return phonemes


def _pace(synth: KokoroSynth, voice_id: str, vector: np.ndarray, lead: files.KokoroVoice) -> float:
    """Words a minute at speed 1 for this voice or blend, measured once and remembered."""
    from sessiongen.speech import calibration
    from sessiongen.speech.cache import default_root

    key = f"{voice_id}|{identity()}"
    path = default_root() / PACE_FILE
    memo = voicefiles.read_memo(path, lambda v: isinstance(v, float) and v > 0)
    if key not in memo:
        recorded = calibration.recorded_pace(voice_id)
        if recorded is None:
            recorded = measure_pace(synth, vector, lead)
        memo[key] = recorded
        voicefiles.write_memo(path, memo)
    return memo[key]


def measure_pace(synth: KokoroSynth, vector: np.ndarray, lead: files.KokoroVoice) -> float:
    """Each calibration sentence of the voice's language spoken alone at speed 1 and trimmed, as a
    phrase of a session is (rests come from the timeline)."""
    from sessiongen.speech import calibration

    sentences = calibration.sentences(lead.language)
    words = sum(len(s.split()) for s in sentences)
    spoken_s = sum(speech_s(synth.speak(s, vector, lead.espeak, 1.0)) for s in sentences)
    return words * 60.0 / spoken_s


def in_process() -> KokoroSynth:
    return KokoroSynth()


def for_sessions() -> KokoroEngine:
    return KokoroEngine()


__all__ = ["KokoroEngine", "KokoroSynth", "best", "for_sessions", "in_process", "resolve"]
