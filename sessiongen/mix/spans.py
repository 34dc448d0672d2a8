"""Where the voice is, worked out once per session and handed to every stage that needs it: the
bed's duck (mix/render.py), the voice's loudness (mix/voice.py), the limiting measured over speech
(master/session.py) and the levels against the voice (master/levels.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sessiongen.model.results import Clip
from sessiongen.model.timeline import EventKind, Timeline
from sessiongen.settings import Settings

Spans = tuple[tuple[int, int], ...]  # [start, end) in frames, in order, not overlapping


@dataclass(frozen=True)
class Placed:
    """One clip of the voice layer: the phrase (its cache key), where it starts, its pan."""

    key: str
    start: int
    pan: float = 0.0


def placements(tl: Timeline) -> list[Placed]:
    """Every clip the voice layer holds: the phrases, and the words said within breathing and
    headphone-check events, in order of their start."""
    placed = []
    for event in tl.events:
        if event.kind == EventKind.SPEECH:
            placed.append(Placed(event.clip or event.text, event.start))
        elif event.kind in (EventKind.BREATHE, EventKind.HEADPHONE_CHECK):
            placed.extend(Placed(text, event.start + offset, pan) for offset, text, pan in event.cues)
    return sorted(placed, key=lambda p: p.start)


def joined_spans(spans, join_frames: int) -> Spans:
    """[start, end) spans in order, those closer than `join_frames` made one."""
    joined: list[list[int]] = []
    for start, end in sorted(spans):
        if joined and start - joined[-1][1] <= join_frames:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return tuple((start, end) for start, end in joined)


@dataclass(frozen=True)
class VoiceSpans:
    clips: Spans  # every clip of the voice layer (phrases and spoken cues)
    narration: Spans  # the phrases, joined across gaps shorter than the duck's hold: what the bed dips under
    ducked: Spans  # where the bed is below its level: the narration widened by the duck's attack and release

    @classmethod
    def of(cls, tl: Timeline, clips: dict[str, Clip], settings: Settings) -> VoiceSpans:
        every = joined_spans(((p.start, p.start + clips[p.key].frames) for p in placements(tl)), 0)
        phrases = ((e.start, e.end) for e in tl.events if e.kind == EventKind.SPEECH)
        narration = joined_spans(phrases, int(settings.duck_hold_s * tl.rate_hz))
        attack, release = max(1, int(settings.duck_attack_s * tl.rate_hz)), max(1, int(settings.duck_release_s * tl.rate_hz))
        ducked = joined_spans(((max(0, start - attack), end + release) for start, end in narration), 0)
        return cls(every, narration, ducked)
