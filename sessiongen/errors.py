"""The one exception family a user can cause; the CLI turns it into one line and exit 1."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

_LINE_BREAKS = re.compile(r"\s*[\t\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")


@dataclass(frozen=True)
class Location:
    """Where a problem sits in a source file (1-based line and column)."""

    path: str
    line: int = 0
    col: int = 0
    text: str = ""  # the offending source line, echoed under the message

    def prefix(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col or 1}"
        return self.path


class SessiongenError(Exception):
    """A problem the user can fix: bad script, bad value, missing file. `option` names the option
    (or the personal field) the problem is about, where there is one: the studio shows the message
    beside that field."""

    def __init__(self, message: str, where: Location | None = None, option: str | None = None):
        message = one_line(message)
        super().__init__(message)
        self.message = message
        self.where = where
        self.option = option

    def __str__(self) -> str:
        if self.where is None:
            return self.message
        return f"{self.where.prefix()}: {self.message}"


class ScriptError(SessiongenError):
    """One or more problems found in a script; `problems` holds every one of them."""

    def __init__(self, problems: list[SessiongenError]):
        first = problems[0]
        super().__init__(first.message, first.where)
        self.problems = problems

    def __str__(self) -> str:
        text = str(self.problems[0])
        more = len(self.problems) - 1
        return text + (f" (and {more} more problem{'s' * (more > 1)}: run `sessiongen check`)" if more else "")


def one_line(text: str) -> str:
    """Text shown as one line, whatever it quotes (a YAML parser's own message, a user's value, a
    roster cell): line breaks become a space, other control characters (ESC, BEL, ...) their
    escapes, so nothing can break the line or drive the terminal."""
    if not isinstance(text, str):
        return text
    text = _LINE_BREAKS.sub(" ", text.strip())
    return text if text.isprintable() else "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in text)


def suggest(word: str, choices) -> str:
    """' (did you mean 'x'?)' for the closest of `choices`, or ''."""
    close = get_close_matches(word, sorted(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


def display_path(path: Path | str) -> str:
    """A path as the user would like to read it: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
