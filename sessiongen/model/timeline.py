"""The timeline: every event of a session placed in time, counted in frames at the mix rate.

Built by `sessiongen.plan`, read by the mixer, the sidecars and the review page;
JSON-serialisable (`sessiongen plan --json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sessiongen.model.script import Breathe, Tone


class EventKind(StrEnum):
    """What an event is. A StrEnum: `event.kind == "speech"` and JSON output keep their text."""

    SPEECH = "speech"  # a phrase of narration (or a breathing cue, a headphone-check word)
    PAUSE = "pause"  # silence for the voice, fixed or elastic; beds go on
    BLS = "bls"  # bilateral tones: a set on its own, or `under` narration
    BELL = "bell"
    BREATHE = "breathe"  # paced breathing: tone glides and spoken cues inside
    HEADPHONE_CHECK = "headphone-check"  # a tone and a word in each ear
    AMBIENCE = "ambience"  # the bed changes here (no length of its own)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    start: int  # frames from the start of the session
    frames: int
    chapter: int = 0
    text: str = ""
    tone: Tone | None = None
    under: bool = False  # a bilateral underlay beneath narration (does not add length)
    elastic: bool = False
    breathe: Breathe | None = None
    cues: tuple[tuple[int, str, float], ...] = ()  # words inside an event: (offset frames, text, pan -1..1)
    beeps: tuple[tuple[int, float], ...] = ()  # headphone-check tones: (offset frames, pan)
    bed: str | None = None  # ambience events: the bed from here on (None: silence)
    clip: str = ""  # speech events: the clip key, when it is not simply the text

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))  # "speech" is EventKind.SPEECH; unknown kinds fail here

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class Timeline:
    rate_hz: int
    frames: int
    chapters: tuple[tuple[str, int], ...]
    events: tuple[Event, ...]
    title: str = ""
    seed: int = 0
    elastic_fraction: float = 0.0
    range_frames: tuple[int, int] = (0, 0)  # shortest and longest the script can be
    language: str = "en"  # the script's: the transcript's descriptions follow it (words.py)

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz

    def seconds(self, frames: int) -> float:
        return frames / self.rate_hz

    def to_json(self) -> dict:
        sec = lambda f: round(f / self.rate_hz, 3)  # noqa: E731
        return {
            "title": self.title,
            "duration_s": sec(self.frames),
            "range_s": [sec(self.range_frames[0]), sec(self.range_frames[1])],
            "chapters": [{"title": t, "start_s": sec(s)} for t, s in self.chapters],
            "events": [_event_json(e, sec) for e in self.events],
        }


def _event_json(event: Event, sec) -> dict:
    out = {"start_s": sec(event.start), "duration_s": sec(event.frames), "kind": event.kind.value, "chapter": event.chapter}
    if event.text:
        out["text"] = event.text
    if event.tone is not None:
        t = event.tone
        out.update(rate_hz=t.rate_hz, tone=t.timbre, depth_pct=t.depth_pct, pitch_hz=t.pitch_hz, style=t.style, jitter_pct=t.jitter_pct)
        if t.level_db is not None:
            out["level_db"] = t.level_db
    if event.under:
        out["under"] = True
    if event.elastic:
        out["elastic"] = True
    if event.breathe is not None:
        b = event.breathe
        out.update(in_s=b.in_s, hold_s=b.hold_s, out_s=b.out_s, hold_out_s=b.hold_out_s, rounds=b.rounds, cues=b.cues)
    if event.kind == EventKind.AMBIENCE:
        out["bed"] = event.bed or "off"
    return out
