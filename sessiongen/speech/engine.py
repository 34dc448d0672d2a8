"""The speech engine protocol. Engines return raw audio; clips.py trims and levels it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sessiongen.audio import Audio


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "languages": list(self.languages)}


class Engine(Protocol):
    name: str

    def identity(self) -> str:
        """Everything about the engine that changes its output (name, versions); part of cache keys."""

    def voices(self) -> list[Voice]: ...

    def resolve_voice(self, voice: str | None) -> str:
        """The engine's id for a voice given by id, name or language; unknown voices are an error."""

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float) -> Audio: ...
