"""The speech engine protocol. Engines return raw audio; clips.py trims and levels it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def synthesize_many(engine: Engine, calls: Iterable[tuple[str, str, int, float]]) -> Iterator[Audio]:
    """Audio for each (text, voice, rate_wpm, volume), in order. An engine may offer its own
    `synthesize_many` (the isolated engine does: one request for all, answered as it goes);
    otherwise its phrases are spoken one by one."""
    batched = getattr(engine, "synthesize_many", None)
    if batched is not None:
        yield from batched(calls)
    else:
        for call in calls:
            yield engine.synthesize(*call)
