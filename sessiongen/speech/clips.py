"""Speak: every distinct phrase of a script becomes a clip, levelled and ready to place."""

from __future__ import annotations

import collections
import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from sessiongen.errors import SessiongenError
from sessiongen.model.results import Clip, SpeakStats
from sessiongen.settings import Settings
from sessiongen.sound.audio import Audio, db_to_gain, resample, to_mono
from sessiongen.sound.limiter import Limiter
from sessiongen.speech import estimate, pronounce, saying
from sessiongen.speech.cache import PhraseCache, voice_fits
from sessiongen.speech.cache import phrase_key as cache_key
from sessiongen.speech.engine import Engine, synthesize_many

TRIM_BELOW_PEAK_DB = 45.0
TRIM_MARGIN_S = 0.03
SILENT_PEAK_DB = -60.0
BLOCK_S = 0.02
MAX_WAITING = 8  # phrases synthesised and not yet stored
VOICE_CREST_DB = 12.0  # peaks at most this far above the speech RMS, so mastering rarely limits


def levelled_speech(raw: Audio, text: str, settings: Settings) -> np.ndarray:
    """Raw engine output -> trimmed, levelled mono, still at the engine's rate (the caller
    resamples it to the mix rate). A silent clip is an error. Levelled before resampling: at
    espeak-ng's 22 050 Hz that halves the limiter's work, which was most of the time a phrase
    took here. Peaks may then come out a little above the voice ceiling (0.3 dB at most on
    espeak-ng speech, measured); mastering limits the true peak anyway."""
    mono = raw.samples[:, 0] if raw.samples.shape[1] == 1 else to_mono(raw.samples)  # _trim copies it
    peak = float(np.max(np.abs(mono))) if mono.size else 0.0
    if peak < db_to_gain(SILENT_PEAK_DB):
        raise SessiongenError(f'the speech engine returned silence for: "{text[:60]}"')
    return level(_trim(mono, raw.rate_hz, peak), raw.rate_hz, settings)


def _trim(mono: np.ndarray, rate_hz: int, peak: float) -> np.ndarray:
    loud = np.flatnonzero(np.abs(mono) >= peak * db_to_gain(-TRIM_BELOW_PEAK_DB))
    margin = int(TRIM_MARGIN_S * rate_hz)
    start, stop = max(0, loud[0] - margin), min(len(mono), loud[-1] + 1 + margin)
    trimmed = mono[start:stop].copy()
    fade = min(margin, len(trimmed) // 2)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    trimmed[:fade] *= ramp
    trimmed[len(trimmed) - fade :] *= ramp[::-1]
    return trimmed


def level(mono: np.ndarray, rate_hz: int, settings: Settings) -> np.ndarray:
    """Scale so the speech (blocks within 30 dB of the loudest) has the target RMS, then limit its
    peaks to VOICE_CREST_DB above that, as a voice processor would."""
    block = max(1, int(BLOCK_S * rate_hz))
    usable = len(mono) // block * block or len(mono)
    blocks = np.square(mono[:usable].reshape(-1, min(block, usable))).mean(axis=1, dtype=np.float64)
    active = blocks[blocks >= blocks.max() * 1e-3]
    gain = db_to_gain(settings.voice_rms_db) / max(float(np.sqrt(active.mean())), 1e-9)
    limiter = Limiter(rate_hz, settings.voice_rms_db + VOICE_CREST_DB, channels=1, true_peak=False)
    levelled = (mono * np.float32(gain))[:, None]
    return np.concatenate([limiter.process(levelled), limiter.flush()])[:, 0]


class Speaker:
    """Engine + cache: `clip(text)` synthesises a phrase only when the cache lacks it.

    `language` is the script's; `pronunciations` (the script's) lie under the settings' own.
    What the engine is asked to say is the text with its pronunciations applied; the clip keeps
    the written text, for transcripts."""

    def __init__(
        self, engine: Engine, cache: PhraseCache, settings: Settings, language: str | None = None, pronunciations: pronounce.Entries = ()
    ):
        self.engine, self.cache, self.settings = engine, cache, settings
        self._identity = engine.identity()
        self.pronunciations = pronounce.merged(pronunciations, settings.pronunciations)
        pronounce.check_engine(self.pronunciations, engine.name, getattr(engine, "phoneme_input", False))
        self.language = language
        self.voice = self._resolve(settings.voice, language)
        voice_identity = getattr(engine, "voice_identity", None)
        self._voice_key = voice_identity(self.voice) if voice_identity else self.voice
        self.options = {name: getattr(settings, name) for name in getattr(engine, "options", ())}
        self.stats = SpeakStats()

    def _resolve(self, voice: str | None, language: str | None) -> str:
        """The engine's voice id; remembered in the cache for engines whose resolving starts a
        process. A remembered voice is checked before the engine speaks with it (_checked)."""
        self._requested = (voice, language)
        self._unchecked = False
        if not getattr(self.engine, "remember_voices", True):
            return self.engine.resolve_voice(voice, language)
        found = self.cache.resolved_voice(self._identity, f"{voice or ''}|{language or ''}", language)
        self._unchecked = found is not None
        return found if found is not None else self._resolve_afresh()

    def _resolve_afresh(self) -> str:
        voice, language = self._requested
        found = self.engine.resolve_voice(voice, language)
        languages = voice_fits(self.engine.voices(), found, language)
        if languages is not None:  # remembered only when the engine lists it
            self.cache.remember_voice(self._identity, f"{voice or ''}|{language or ''}", found, languages)
        return found

    def _checked(self) -> bool:
        """Whether the voice may speak as it is: a remembered one must still be one of the engine's
        voices and speak the script's language. If it does not, the memo is ignored, the voice
        resolved again (and remembered), and False returned: the phrases' keys change."""
        if not self._unchecked:
            return True
        self._unchecked = False
        if voice_fits(self.engine.voices(), self.voice, self._requested[1]) is not None:
            return True
        self.voice = self._resolve_afresh()
        voice_identity = getattr(self.engine, "voice_identity", None)
        self._voice_key = voice_identity(self.voice) if voice_identity else self.voice
        return False

    @property
    def voice_name(self) -> str:
        """The voice as a manifest names it."""
        named = getattr(self.engine, "voice_name", None)
        return named(self.voice) if named else self.voice

    def spoken(self, text: str) -> str:
        """What the engine is given for `text`: its one stage of normalisation (speech/saying.py)."""
        said = saying.said(text, self.language, self.pronunciations)
        if not any(ch.isalnum() for ch in said.spoken) and said.foreign:
            raise SessiongenError(f'nothing in "{text[:60]}" can be said: {saying.warning(said.foreign[0], self.language)}')
        return said.spoken

    def foreign(self, texts) -> list[saying.Foreign]:
        """The words of `texts` the voice says otherwise than written, or leaves out, each once."""
        found = (saying.said(text, self.language, self.pronunciations).foreign for text in texts)
        return list(dict.fromkeys(word for words in found for word in words))

    def key(self, text: str, rate_wpm: int) -> str:
        """The cache key of the phrase as spoken (pronunciations applied)."""
        s = self.settings
        return cache_key(
            engine=self._identity,
            voice=self._voice_key,
            rate_wpm=rate_wpm,
            volume=s.volume,
            options=self.options,
            rate_hz=s.sample_rate_hz,
            rms_db=s.voice_rms_db,
            text=text,
        )

    def clip(self, text: str, rate_wpm: int | None = None) -> Clip:
        return self.clips({text: (text, rate_wpm)})[text]

    def clips(self, phrases: dict[str, tuple[str, int | None]], progress=None) -> dict[str, Clip]:
        """Clip key -> clip, for phrases given as clip key -> (text, rate). The phrases the cache
        lacks are synthesised in one batch (one request to an isolated engine's process);
        `progress(fraction)` is told as each is spoken."""
        rated = {key: (text, rate or self.settings.rate_wpm) for key, (text, rate) in phrases.items()}
        said = {key: (self.spoken(text), rate) for key, (text, rate) in rated.items()}
        entries = {key: self.key(text, rate) for key, (text, rate) in said.items()}
        frames = {entry: self.cache.frames(entry) for entry in dict.fromkeys(entries.values())}
        missing = {entry: said[key] for key, entry in entries.items() if frames[entry] is None}
        if missing and not self._checked():  # the remembered voice was wrong: keys made again
            return self.clips(phrases, progress)
        frames.update(self._store_all(missing, progress))
        self.stats = replace(
            self.stats, synthesised=self.stats.synthesised + len(missing), cached=self.stats.cached + len(entries) - len(missing)
        )
        return {
            key: Clip(text, str(self.cache.path_for(entries[key])), frames[entries[key]], self.settings.sample_rate_hz)
            for key, (text, _) in rated.items()
        }

    def estimated_clips(self, phrases: dict[str, tuple[str, int | None]]) -> dict[str, Clip]:
        """clips() without speaking: a phrase the cache lacks gets its estimated length (speech/
        estimate.py) and no file. For plans and previews, which say their length is estimated."""
        out = {}
        for key, (text, rate) in phrases.items():
            rate = rate or self.settings.rate_wpm
            entry = self.key(self.spoken(text), rate)
            frames, path = self.cache.frames(entry), str(self.cache.path_for(entry))
            if frames is None:
                self.stats = replace(self.stats, estimated=self.stats.estimated + 1)
                frames, path = round(estimate.phrase_s(self.spoken(text), rate, self.language) * self.settings.sample_rate_hz), ""
            else:
                self.stats = replace(self.stats, cached=self.stats.cached + 1)
            out[key] = Clip(text, path, frames, self.settings.sample_rate_hz)
        return out

    def _store_all(self, missing: dict[str, tuple[str, int]], progress=None) -> dict[str, int]:
        """Synthesise, prepare and store each missing entry (cache key -> (text, rate)); its frames.
        A pipeline over two cores: the engine's process speaks the phrases in order, this thread
        trims and levels each as it arrives, and a worker thread resamples and stores it (numpy,
        soxr and file writes release the GIL). Measured on the benchmark's 102 phrases: about
        1.3 s, against 1.5 s with the worker doing all the preparing and 1.8 s or more with all of
        it on this thread. At most MAX_WAITING phrases wait for the worker, bounding their memory."""
        calls = [(text, self.voice, rate, self.settings.volume, self.options) for text, rate in missing.values()]
        frames, waiting = {}, collections.deque()
        with contextlib.closing(synthesize_many(self.engine, calls)) as raws, ThreadPoolExecutor(1) as worker:
            for done, ((entry, (text, _)), raw) in enumerate(zip(missing.items(), raws), 1):
                if progress is not None:
                    progress(done / len(missing))
                waiting.append(worker.submit(self._store, entry, levelled_speech(raw, text, self.settings), raw.rate_hz))
                while waiting and (len(waiting) > MAX_WAITING or waiting[0].done()):
                    frames.update([waiting.popleft().result()])
            frames.update(job.result() for job in waiting)
        return frames

    def _store(self, entry: str, mono: np.ndarray, rate_hz: int) -> tuple[str, int]:
        mono = resample(mono, rate_hz, self.settings.sample_rate_hz)
        self.cache.put(entry, mono)
        return entry, len(mono)
