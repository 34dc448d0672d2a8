"""The speech engine protocol. Engines return raw audio; clips.py trims and levels it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sessiongen.sound.audio import Audio


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...] = ()
    engine: str = ""
    quality: str = ""
    rate_hz: int = 0  # the engine's own sample rate for this voice (0: not known)
    location: str = ""  # "bundled", "system", or the file it lives in
    gender: str = ""  # "female", "male", or "" where the engine does not say

    @property
    def language(self) -> str:
        """The voice's main language tag (en-us), "" when it lists none."""
        return self.languages[0] if self.languages else ""

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "engine": self.engine,
            "language": self.language,
            "languages": list(self.languages),
            "gender": self.gender,
            "quality": self.quality,
            "sample_rate_hz": self.rate_hz,
            "location": self.location,
        }


def short(text: str, limit: int = 60) -> str:
    """A phrase as an error message quotes it."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def language_tag(language: str) -> str:
    """en_US, en-us, EN-US -> en-us."""
    return language.strip().replace("_", "-").lower()


def speaks(languages: Iterable[str], language: str) -> bool:
    """Whether a voice of these languages speaks `language`: its primary subtag is enough
    (a British script is fine in an American voice)."""
    primary = language_tag(language).split("-")[0]
    return any(language_tag(lang).split("-")[0] == primary for lang in languages)


class Engine(Protocol):
    """What every speech engine offers. Optional extras, found with getattr:
    `options` (names of Settings fields its synthesis takes, passed as a dict and part of cache
    keys), `voice_identity(voice)` (what the cache knows a voice by, e.g. its file's hash),
    `voice_name(voice)` (for manifests), `phoneme_input` (IPA phonemes inline as [[ ... ]]),
    `remember_voices` (False: resolving is cheap, never remembered), `synthesize_many`,
    `estimated_plans` (True: plans and previews estimate phrase lengths instead of waiting for synthesis)."""

    name: str

    def identity(self) -> str:
        """Everything about the engine that changes its output (name, versions); part of cache keys."""

    def voices(self) -> list[Voice]: ...

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        """The engine's id for a voice given by id, name or language, fit for the script's
        language; unknown voices are an error."""

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio: ...


def synthesize_many(engine: Engine, calls: Iterable[tuple]) -> Iterator[Audio]:
    """Audio for each (text, voice, rate_wpm, volume, options), in order. An engine may offer its
    own `synthesize_many` (the isolated engine does: one request for all, answered as it goes);
    otherwise its phrases are spoken one by one."""
    batched = getattr(engine, "synthesize_many", None)
    if batched is not None:
        yield from batched(calls)
    else:
        for call in calls:
            yield engine.synthesize(*call)


SILENCE_BELOW_PEAK_DB = 45.0  # what an engine's calibration counts as silence around a sentence


def speech_s(audio: Audio) -> float:
    """How long a sentence an engine spoke lasts, from its first to its last sound (anything within
    SILENCE_BELOW_PEAK_DB of its peak): the engines' pace calibration measures by it."""
    mono = np.abs(audio.samples[:, 0])
    loud = np.flatnonzero(mono >= mono.max() * 10 ** (-SILENCE_BELOW_PEAK_DB / 20))
    return (loud[-1] - loud[0] + 1) / audio.rate_hz
