"""Plain text with the bracket pause forms people write by hand -> items of writing.py.

`[pause]` (BARE_PAUSE_S), `[pause:5]` / `[PAUSE:10]` (Meditation-Generator: seconds; `[pause:500ms]`
too), `[pause 500ms]` / `[pause 2s]` (ours), ElevenLabs v3's `[short pause]` and `[long pause]`
(SHORT_PAUSE_S, LONG_PAUSE_S) and its `<break time="1.5s" />`. Its other audio tags (`[whispers]`,
`[sighs]`, `[calm]`, ...) are dropped: our voices take no such direction. Our own directives
(`[bell]`, `[bls 30s]`, ...) and `# Heading` lines are kept as they are. A blank line ends a
paragraph; a paragraph is a chapter only under a `# Heading`.
"""

from __future__ import annotations

import re

from sessiongen.errors import Location, SessiongenError
from sessiongen.script import directives
from sessiongen.script.imports.writing import Converted, Heading, Paragraph, Pause, Raw, Text

BARE_PAUSE_S = 2.0
SHORT_PAUSE_S = 1.0
LONG_PAUSE_S = 3.0
_UNIT_S = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
}
_NUMBER = r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_PAUSE = re.compile(rf"pause(?:\s*[:=]\s*|\s+){_NUMBER}\s*([a-z]*)", re.IGNORECASE)
_TAG = re.compile(r"\[([^\[\]\n]{1,80})\]|<break\s+time\s*=\s*[\"']([^\"']*)[\"']\s*/?>", re.IGNORECASE)
_FOREIGN = re.compile(r"\[\s*pause\s*\]|\[\s*pause\s*[:=]|\[\s*(?:short|long)\s+pause\s*\]|<break\s", re.IGNORECASE)
_SHOUTED = re.compile(r"\[PAUSE\b")  # Meditation-Generator's capitals (case matters: [pause 5s] is ours)
_HEADING = re.compile(r"\s*#\s+(\S.*)")


def detect(text: str, suffix: str) -> bool:
    """A text without front matter that uses a pause form our own format does not take."""
    return not text.lstrip("\ufeff").startswith("---") and (_FOREIGN.search(text) or _SHOUTED.search(text)) is not None


def convert(text: str, shown: str) -> Converted:
    out = Converted()
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        heading = _HEADING.fullmatch(line)
        if heading:
            out.items += [Paragraph(), Heading(heading.group(1).strip(), number, line.strip())]
        elif not line.strip():
            out.items.append(Paragraph())
        else:
            _line(out, line, number, shown)
            out.items.append(Text(" ", number))
    return out


def _line(out: Converted, line: str, number: int, shown: str) -> None:
    pos = 0
    for match in _TAG.finditer(line):
        out.items.append(Text(line[pos : match.start()], number))
        pos = match.end()
        where = Location(shown, number, match.start() + 1, line)
        if match.group(2) is not None:
            out.items.append(Pause(_seconds(match.group(2).replace(" ", ""), match.group(0), where), number, match.group(0)))
            continue
        body = match.group(1).strip()
        seconds = _pause_s(body, match.group(0), where)
        if seconds is not None:
            out.items.append(Pause(seconds, number, match.group(0)))
        elif body.split()[0].lower() in directives.NAMES:
            out.items.append(Raw(match.group(0), number))  # one of ours: kept as written
        else:
            out.note(number, f"{match.group(0)} -> dropped (an audio tag: our voices take no such direction)")
    out.items.append(Text(line[pos:], number))


def _pause_s(body: str, source: str, where: Location) -> float | None:
    lowered = " ".join(body.lower().split())
    fixed = {"pause": BARE_PAUSE_S, "short pause": SHORT_PAUSE_S, "long pause": LONG_PAUSE_S}
    if lowered in fixed:
        return fixed[lowered]
    if _PAUSE.fullmatch(body):
        return _seconds(body[5:].lstrip(" :=\t"), source, where)
    if lowered.startswith("pause") and not _ours(body, where):
        raise SessiongenError(f"{source} is not a pause length: write e.g. [pause:5] (seconds), [pause 500ms] or [pause 2s]", where)
    return None


def _ours(body: str, where: Location) -> bool:
    """Whether `body` is a directive of our own format (e.g. an elastic [pause 20s..60s])."""
    try:
        directives.parse(body, where)
    except SessiongenError:
        return False
    return True


def _seconds(text: str, source: str, where: Location) -> float:
    found = re.fullmatch(rf"{_NUMBER}\s*([a-z]*)", text.strip(), re.IGNORECASE)
    unit = found.group(2).lower() if found else ""
    if found is None or (unit and unit not in _UNIT_S):
        raise SessiongenError(f"{source} is not a pause length: write e.g. [pause:5] (seconds), [pause 500ms] or [pause 2s]", where)
    return float(found.group(1)) * _UNIT_S.get(unit or "s")
