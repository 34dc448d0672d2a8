"""Speak: every distinct phrase of a script becomes a clip, levelled and ready to place."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sessiongen.audio import Audio, db_to_gain, resample, to_mono
from sessiongen.errors import SessiongenError
from sessiongen.master import Limiter
from sessiongen.settings import Settings
from sessiongen.speech.cache import PhraseCache
from sessiongen.speech.cache import phrase_key as cache_key
from sessiongen.speech.engine import Engine

TRIM_BELOW_PEAK_DB = 45.0
TRIM_MARGIN_S = 0.03
SILENT_PEAK_DB = -60.0
BLOCK_S = 0.02
VOICE_CREST_DB = 12.0  # peaks at most this far above the speech RMS, so mastering rarely limits


@dataclass(frozen=True)
class Clip:
    text: str
    path: str
    frames: int
    rate_hz: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz


@dataclass
class SpeakStats:
    synthesised: int = 0
    cached: int = 0
    texts: list[str] = field(default_factory=list, repr=False)


def prepare(raw: Audio, text: str, settings: Settings) -> np.ndarray:
    """Raw engine output -> trimmed, levelled mono at the mix rate. A silent clip is an error."""
    mono = to_mono(raw.samples)
    peak = float(np.max(np.abs(mono))) if mono.size else 0.0
    if peak < db_to_gain(SILENT_PEAK_DB):
        raise SessiongenError(f"the speech engine returned silence for: \"{text[:60]}\"")
    mono = _trim(mono, raw.rate_hz, peak)
    mono = resample(mono, raw.rate_hz, settings.sample_rate_hz)
    return _level(mono, settings)


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


def _level(mono: np.ndarray, settings: Settings) -> np.ndarray:
    """Scale so the speech (blocks within 30 dB of the loudest) has the target RMS, then limit its
    peaks to VOICE_CREST_DB above that, as a voice processor would."""
    block = max(1, int(BLOCK_S * settings.sample_rate_hz))
    usable = len(mono) // block * block or len(mono)
    blocks = np.square(mono[:usable].astype(np.float64)).reshape(-1, min(block, usable)).mean(axis=1)
    active = blocks[blocks >= blocks.max() * 1e-3]
    gain = db_to_gain(settings.voice_rms_db) / max(float(np.sqrt(active.mean())), 1e-9)
    limiter = Limiter(settings.sample_rate_hz, settings.voice_rms_db + VOICE_CREST_DB, channels=1, true_peak=False)
    levelled = (mono * gain).astype(np.float32)[:, None]
    return np.concatenate([limiter.process(levelled), limiter.flush()])[:, 0]


class Speaker:
    """Engine + cache: `clip(text)` synthesises a phrase only when the cache lacks it."""

    def __init__(self, engine: Engine, cache: PhraseCache, settings: Settings):
        self.engine, self.cache, self.settings = engine, cache, settings
        self.voice = engine.resolve_voice(settings.voice)
        self.stats = SpeakStats()
        self._identity = engine.identity()

    def key(self, text: str, rate_wpm: int) -> str:
        s = self.settings
        return cache_key(
            engine=self._identity, voice=self.voice, rate_wpm=rate_wpm, volume=s.volume,
            rate_hz=s.sample_rate_hz, rms_db=s.voice_rms_db, text=text,
        )

    def clip(self, text: str, rate_wpm: int | None = None) -> Clip:
        key = self.key(text, rate_wpm or self.settings.rate_wpm)
        frames = self.cache.frames(key)
        if frames is None:
            raw = self.engine.synthesize(text, self.voice, rate_wpm or self.settings.rate_wpm, self.settings.volume)
            mono = prepare(raw, text, self.settings)
            self.cache.put(key, mono)
            frames = len(mono)
            self.stats.synthesised += 1
        else:
            self.stats.cached += 1
        return Clip(text=text, path=str(self.cache.path_for(key)), frames=frames, rate_hz=self.settings.sample_rate_hz)

    def clips(self, phrases: dict[str, tuple[str, int]]) -> dict[str, Clip]:
        """Clip key -> clip, for phrases given as clip key -> (text, rate)."""
        return {key: self.clip(text, rate) for key, (text, rate) in phrases.items()}
