"""Scripts written for other speech tools, converted into our script format: one module per
dialect, one registry (DIALECTS). A dialect has `detect(text, suffix) -> bool` and
`convert(text, shown) -> writing.Converted`; writing.py turns that into our script text.

`sessiongen import FILE` writes the result; `render`, `plan` and `check` take such a file as it
is (parser.parse_file asks `recognise`), and print the same notes as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sessiongen.errors import Location, SessiongenError, display_path
from sessiongen.script.imports import brackets, ssml, writing
from sessiongen.script.limits import MAX_SCRIPT_BYTES
from sessiongen.script.sourcefile import decode_script, read_bounded

DIALECTS = {
    "ssml": ssml,  # first: an SSML document may hold <break> and brackets in its text
    "brackets": brackets,
}


@dataclass(frozen=True)
class Imported:
    dialect: str
    text: str  # our script format
    notes: tuple[str, ...]  # "FILE:LINE: construct -> what it became", in source order


def recognise(text: str, path: Path | str) -> str | None:
    """The dialect of a script's text, or None for our own format."""
    suffix = Path(path).suffix.lower()
    return next((name for name, dialect in DIALECTS.items() if dialect.detect(text, suffix)), None)


def convert(text: str, path: Path | str, dialect: str | None = None) -> Imported | None:
    """Our script for `text` (read from `path`), or None when it is already ours."""
    shown = display_path(Path(path))
    dialect = dialect or recognise(text, path)
    if dialect is None:
        return None
    converted = DIALECTS[dialect].convert(text, shown)
    script = writing.script_text(converted, f"{Path(path).name} ({dialect})")
    if not any(line.strip() and not line.startswith(("<!--", "---")) for line in script.split("\n")):
        raise SessiongenError(f"nothing to say or play in this {dialect} text", Location(shown))
    notes = tuple(f"{shown}:{line}: {message}" for line, message in sorted(converted.notes, key=lambda n: n[0]))
    return Imported(dialect, script, notes)


def import_file(path: Path | str, dialect: str | None = None) -> Imported:
    """A file in another tool's dialect as our script; refuses one that is already ours."""
    path = Path(path)
    shown = display_path(path)
    raw = read_bounded(path, MAX_SCRIPT_BYTES, shown=shown, what="file", advice="split it")
    text = decode_script(raw, shown)
    imported = convert(text, path, dialect)
    if imported is None:
        raise SessiongenError(f"{shown}: already a sessiongen script (no SSML, no bracket pauses such as [pause:5]): use it as it is")
    return imported
