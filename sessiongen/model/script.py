"""The parsed script: frozen dataclasses, plain data between the pipeline's stages.

Source locations (`where`) and the fragment a node came from ride along outside equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sessiongen.errors import Location

_AUX = dict(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Node:
    where: Location | None = field(**_AUX)
    fragment: str | None = field(**_AUX)  # name of the fragment it was included from


@dataclass(frozen=True)
class Chapter(Node):
    title: str = ""


@dataclass(frozen=True)
class Say(Node):
    """Narration. Before personalising, `text` is a template; after, plain words (one sentence)."""

    text: str = ""
    paragraph_end: bool = False
    rate_wpm: int | None = None  # None: the session's rate (pacing may slow the ending)
    gap_scale: float = 1.0  # scales the rest that follows this phrase
    pace: float = 1.0  # spoken at the session's rate times this, from [pace 85%] ... [pace off]


@dataclass(frozen=True)
class Pause(Node):
    """Silence for the voice; elastic when max_s > min_s."""

    min_s: float = 0.0
    max_s: float = 0.0

    @property
    def elastic(self) -> bool:
        return self.max_s > self.min_s


@dataclass(frozen=True)
class Tone:
    """Bilateral tone settings shared by sets and underlays."""

    rate_hz: float = 1.0  # cycles per second; one cycle = left then right
    timbre: str = "sine"
    depth_pct: float = 100.0
    pitch_hz: float = 250.0
    style: str = "alternate"  # alternate (discrete tones) | sweep (a continuous tone gliding)
    jitter_pct: float = 0.0  # random delay of each tone, in percent of its slot (seeded)
    level_db: float | None = None  # relative to the voice; None: the default for sets or underlays


@dataclass(frozen=True)
class Bls(Node):
    """A bilateral set on its own: the voice is silent."""

    duration_s: float = 30.0
    tone: Tone = Tone()


@dataclass(frozen=True)
class BlsOn(Node):
    tone: Tone = Tone()


@dataclass(frozen=True)
class BlsOff(Node):
    pass


@dataclass(frozen=True)
class Bell(Node):
    pass


@dataclass(frozen=True)
class HeadphoneCheck(Node):
    """A tone and the word "left" in the left ear only, then the same on the right."""


@dataclass(frozen=True)
class Breathe(Node):
    in_s: float = 4.0
    hold_s: float = 0.0
    out_s: float = 6.0
    hold_out_s: float = 0.0
    rounds: int = 5
    cues: str = "both"  # voice | tone | both

    @property
    def round_s(self) -> float:
        return self.in_s + self.hold_s + self.out_s + self.hold_out_s


@dataclass(frozen=True)
class Ambience(Node):
    name: str | None = None  # None: the bed fades out


@dataclass(frozen=True)
class Meta:
    id: str
    title: str
    category: str
    summary: str
    duration_s: float
    cautions: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()  # (name, default), in declared order
    ambience: str | None = None
    language: str = "en"  # what the voice must speak (a BCP 47 tag: en, en-GB, es, ...)
    pronunciations: tuple[tuple[str, str], ...] = ()  # (word, respelling or /phonemes/)

    @property
    def defaults(self) -> dict[str, str]:
        return dict(self.variables)


@dataclass(frozen=True)
class Script:
    meta: Meta
    nodes: tuple[Node, ...]
    path: str = field(default="", compare=False)
    sources: tuple[str, ...] = field(default=(), compare=False)  # every file read: the script, its fragments
    notes: tuple[str, ...] = field(default=(), compare=False)  # read from another dialect (SSML...): what became what

    @property
    def chapters(self) -> list[str]:
        return [n.title for n in self.nodes if isinstance(n, Chapter)]
