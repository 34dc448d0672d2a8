"""What every dialect converts to: a list of items (text, pauses, paragraph ends, chapters), then
our script text from them, with a note for each construct saying what it became.

Pauses that follow each other (chained breaks, or a break at the end of one paragraph and another
at the start of the next) add up into one `[pause]`, never clamped; a pause longer than our
10-minute limit for one `[pause]` is written as several in a row, which the plan plays back to
back, so the total is kept to the millisecond.

A change of speaking rate (SSML's `<prosody rate>`) becomes `[pace N%]` ... `[pace off]` between
sentences, since a phrase is spoken at one rate: each sentence takes the pace that most of its
letters were given, so a slow span inside a sentence slows the whole sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import yaml

from sessiongen.script.directives import MAX_PAUSE_S


@dataclass(frozen=True)
class Text:
    text: str
    line: int = 0


@dataclass(frozen=True)
class Pause:
    seconds: float
    line: int
    source: str  # the construct as written, for the note


@dataclass(frozen=True)
class Raw:
    """A line of our own format, kept as written (a directive such as [bell])."""

    text: str
    line: int = 0


@dataclass(frozen=True)
class PaceChange:
    """From here on the words are spoken at `share` of the session's rate (1.0: its own)."""

    share: float


@dataclass(frozen=True)
class Paragraph:
    """The end of a paragraph."""


@dataclass(frozen=True)
class Heading:
    title: str
    line: int
    source: str


@dataclass
class Converted:
    """A dialect's result before it is written: items, front-matter values and notes."""

    items: list = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (source line, what happened)
    language: str = ""
    pronunciations: dict[str, str] = field(default_factory=dict)

    def note(self, line: int, message: str) -> None:
        self.notes.append((line, message))


_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")
_SENTENCE = re.compile(r"\S.*?(?:[.!?…]+[\"'”’)]*(?=\s|$)|$)", re.DOTALL)
_SENTENCE_END = (".", "!", "?", "…", ":", ";", '"', "'", "”", "’", ")")


def escaped(text: str) -> str:
    """Words as narration: a literal '[' written '\\[', template openings and comment openings
    broken up so they are spoken, not evaluated."""
    text = text.replace("[", "\\[").replace("<!--", "< !--")
    return _TEMPLATE_OPEN.sub("{{ '{' }}", text)


def pause_text(seconds: float) -> list[str]:
    """`[pause …]` lines for `seconds`, to the millisecond; several when over the limit of one."""
    ms = round(seconds * 1000)
    lines = []
    while ms > 0:
        part = min(ms, int(MAX_PAUSE_S * 1000))
        lines.append(f"[pause {part / 1000:g}s]" if part % 1000 else f"[pause {part // 1000}s]")
        ms -= part
    return lines


def _quiet(item) -> bool:
    """A paragraph end, a change of pace or mere white space: pauses on either side of it still chain."""
    return isinstance(item, (Paragraph, PaceChange)) or (isinstance(item, Text) and not item.text.strip())


def _merged(items: list) -> list:
    """Consecutive pauses as one chain, written where the first stood."""
    out: list = []
    for item in items:
        if isinstance(item, Pause):
            k = len(out) - 1
            while k >= 0 and _quiet(out[k]):
                k -= 1
            if k >= 0 and isinstance(out[k], _Chain):
                out[k].parts.append(item)
            else:
                out.append(_Chain([item]))
            continue
        out.append(item)
    return out


@dataclass
class _Chain:
    parts: list[Pause]

    @property
    def seconds(self) -> float:
        return round(sum(p.seconds for p in self.parts), 3)


def pace_text(share: float) -> str:
    return "[pace off]" if share == 1.0 else f"[pace {round(share * 100, 1):g}%]"


def sentences_paced(run: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The run's text as sentences, each with the pace most of its letters were given (the
    slower on a tie)."""
    text = "".join(t for t, _ in run)
    shares = [share for t, share in run for _ in t]
    out = []
    for found in _SENTENCE.finditer(text):
        counts = Counter(shares[i] for i in range(found.start(), found.end()) if not text[i].isspace())
        out.append((found.group(), max(counts, key=lambda share: (counts[share], -share))))
    return out


def body_lines(converted: Converted) -> list[str]:
    """The script's body: each run of text on a line, each pause on its own, a blank line between
    paragraphs, a `[pace]` line where the pace changes; a note for every pause and chapter."""
    lines: list[str] = []
    run: list[tuple[str, float]] = []
    share, written = 1.0, 1.0  # the pace the source gives now; the one the script has on

    def flush() -> None:
        nonlocal written
        for pace, group in _grouped(sentences_paced(run)):
            text = " ".join(" ".join(group).split())
            if pace != written:
                lines.extend(([pace_text(1.0)] if written != 1.0 and pace != 1.0 else []) + [pace_text(pace)])
                written = pace
            text = text.lstrip("#").lstrip() if text.startswith("#") else text  # would read as a heading
            lines.append(escaped(text))
        run.clear()

    for item in _merged(converted.items):
        if isinstance(item, Text):
            run.append((item.text, share))
            continue
        if isinstance(item, PaceChange):
            share = item.share
            continue
        flush()
        if isinstance(item, Paragraph):
            if lines and lines[-1]:
                lines.append("")
        elif isinstance(item, Raw):
            lines.append(item.text)
        elif isinstance(item, Heading):
            lines += ([""] if lines and lines[-1] else []) + [f"# {item.title}", ""]
            converted.note(item.line, f"{item.source} -> chapter '# {item.title}'")
        elif item.seconds > 0:
            written_pauses = pause_text(item.seconds)
            lines += written_pauses
            what = (
                item.parts[0].source
                if len(item.parts) == 1
                else f"{len(item.parts)} chained pauses ({' + '.join(p.source for p in item.parts)})"
            )
            converted.note(item.parts[0].line, f"{what} -> {' '.join(written_pauses)}")
    flush()
    if written != 1.0:
        lines.append(pace_text(1.0))
    return lines


def _grouped(sentences: list[tuple[str, float]]) -> list[tuple[float, list[str]]]:
    """Sentences in a row at the same pace, together."""
    groups: list[tuple[float, list[str]]] = []
    for text, pace in sentences:
        if groups and groups[-1][0] == pace:
            groups[-1][1].append(text)
        else:
            groups.append((pace, [text]))
    return groups


def script_text(converted: Converted, origin: str) -> str:
    """Our script: front matter (language, pronunciations) when there is any, a comment naming
    where it came from, then the body."""
    head = {}
    if converted.language:
        head["language"] = converted.language
    if converted.pronunciations:
        head["pronunciations"] = dict(converted.pronunciations)
    body = body_lines(converted)
    while body and not body[-1]:
        body.pop()
    front = f"---\n{yaml.safe_dump(head, allow_unicode=True, sort_keys=False)}---\n" if head else ""
    return f"{front}<!-- imported from {origin.replace('--', '- -')} by sessiongen import -->\n\n" + "\n".join(body) + "\n"


def end_sentence(items: list) -> None:
    """Close the sentence the last text item holds, so it is spoken as a sentence of its own."""
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if isinstance(item, Text) and item.text.strip():
            if not item.text.rstrip().endswith(_SENTENCE_END):
                items[index] = Text(item.text.rstrip() + ". ", item.line)
            return
        if not isinstance(item, (Pause, Text, PaceChange)):
            return
