"""The kinds of value an option takes.

Each kind does three things: `parse` a value a user gave (text from a command line, a roster cell
or a form; a YAML value from a profile or a manifest), `check` a value already built (a library
caller's `Settings`), and `describe` what it takes, for help texts and the docs. Both raise
ValueError with the end of a sentence ("must be from 60 to 400, not 9"); the option puts its own
name in front of it (options/apply.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.script.durations import WHOLE_NUMBER
from sessiongen.script.limits import MAX_FIELD_CHARS
from sessiongen.speech import pronounce


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def text_of(value) -> str:
    """A value as one short text (never a list or a mapping)."""
    if isinstance(value, (list, dict, tuple, set)):
        raise ValueError("must be text, not a list or a mapping")
    text = str(value).strip()
    if len(text) > MAX_FIELD_CHARS:
        raise ValueError(f"is longer than the limit of {MAX_FIELD_CHARS} characters")
    return text


@dataclass(frozen=True)
class Number:
    lo: float
    hi: float
    whole: bool = False
    unit: str = ""  # shown after the range: "dB", "minutes"
    step: float = 0  # the studio's step between values (0: any)

    def parse(self, raw):
        try:
            if isinstance(raw, bool):
                raise ValueError(raw)
            if isinstance(raw, str):
                raw = raw.strip()
                if not raw.isascii() or (self.whole and not WHOLE_NUMBER.fullmatch(raw)):
                    raise ValueError(raw)  # other scripts' digits, or an integer too long for int()
            number = (int if self.whole else float)(raw)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"must be {self.describe()}, not '{str(raw)[:40]}'") from None
        return self.check(number)

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (self.whole and not float(value).is_integer()):
            raise ValueError(f"must be {self.describe()}, not {value!r}")
        if not (math.isfinite(value) and self.lo <= value <= self.hi):
            shown = _show(value) if math.isfinite(value) else value
            raise ValueError(f"must be from {_show(self.lo)} to {_show(self.hi)}{' ' + self.unit if self.unit else ''}, not {shown}")
        return value

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {_show(self.lo)} to {_show(self.hi)}{' ' + self.unit if self.unit else ''}"

    def recorded(self, value):
        return value


@dataclass(frozen=True)
class Flag:
    def parse(self, raw) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("yes", "true", "on", "1", "y"):
            return True
        if text in ("no", "false", "off", "0", "n", ""):
            return False
        raise ValueError("must be yes or no")

    def check(self, value):
        if not isinstance(value, bool):
            raise ValueError(f"must be yes or no (True or False), not {value!r}")
        return value

    def describe(self) -> str:
        return "yes or no"

    def recorded(self, value):
        return value


@dataclass(frozen=True)
class Choice:
    """One of a set of names (or whole numbers); `names` may be a function, for a registry that
    grows (the timbres, the output formats)."""

    names: tuple | Callable[[], Iterable]

    def choices(self) -> tuple:
        return tuple(self.names() if callable(self.names) else self.names)

    def parse(self, raw):
        text = str(raw).strip()
        for choice in self.choices():
            if text == str(choice):
                return choice
        raise ValueError(f"must be one of {self.describe_short()}{suggest(text, [str(c) for c in self.choices()])}")

    def check(self, value):
        if value not in self.choices():
            raise ValueError(f"must be one of {self.describe_short()}, not {value!r}")
        return value

    def describe_short(self) -> str:
        return ", ".join(str(c) for c in self.choices())

    def describe(self) -> str:
        return "one of " + self.describe_short()

    def recorded(self, value):
        return value


@dataclass(frozen=True)
class Text:
    def parse(self, raw) -> str:
        return text_of(raw)

    def check(self, value):
        if not isinstance(value, str):
            raise ValueError(f"must be text, not {value!r}")
        return text_of(value)

    def describe(self) -> str:
        return "a name"

    def recorded(self, value):
        return value


@dataclass(frozen=True)
class Pronunciations:
    def parse(self, raw) -> tuple:
        """A mapping or 'WORD=SAY; ...' text, or several of them (--say given more than once)."""
        try:
            if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
                return pronounce.merged(*(pronounce.parse(item, "") for item in raw))
            return pronounce.parse(raw, "")
        except SessiongenError as exc:
            raise ValueError(exc.message) from None

    def check(self, value):
        if not isinstance(value, tuple) or not all(isinstance(p, tuple) and len(p) == 2 for p in value):
            raise ValueError(f"must be (word, respelling) pairs, not {value!r}")
        try:
            return tuple(pronounce.entry(word, say, "") for word, say in value)
        except SessiongenError as exc:
            raise ValueError(exc.message) from None

    def describe(self) -> str:
        return "WORD=RESPELLING or WORD=/phonemes/ entries"

    def recorded(self, value):
        return dict(value)


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except OSError as exc:  # a name too long for the file system, ...
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None


@dataclass(frozen=True)
class Bed:
    """A bed's name, an audio file (made absolute) or none."""

    names: Callable[[], Iterable]

    def parse(self, raw) -> str:
        text = text_of(raw)
        if text in self.names() or text == "none":
            return text
        if _is_file(text):
            return str(Path(text).resolve())
        if Path(text).suffix:
            raise ValueError(f"names no audio file that exists: {text[:80]}")
        raise ValueError(f"must be a bed name, an audio file or none{suggest(text, self.names())}")

    def check(self, value):
        if not isinstance(value, str) or not (value in self.names() or value == "none" or _is_file(value)):
            raise ValueError(f"must be a bed name, an audio file or none, not {value!r}")
        return value

    def describe(self) -> str:
        return "a bed's name, an audio file or none"

    def recorded(self, value):
        return value if value in self.names() or value == "none" else Path(value).name  # a user's file: its name, not where it lives


@dataclass(frozen=True)
class Folder:
    """A folder that exists (made absolute: a roster's packs are found from wherever it runs)."""

    what: str

    def parse(self, raw) -> str:
        text = text_of(raw)
        try:
            is_folder = Path(text).is_dir()
        except OSError as exc:
            raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
        if not is_folder:
            raise ValueError(f"must be {self.what} folder: {text} is not a folder")
        return str(Path(text).resolve())

    def check(self, value):
        return self.parse(value)

    def describe(self) -> str:
        return f"{self.what} folder"

    def recorded(self, value):
        return Path(value).name


@dataclass(frozen=True)
class Language(Choice):
    """A language tag whose primary language the library has scripts in (es, es-MX, en-GB)."""

    def parse(self, raw) -> str:
        text = text_of(raw)
        primary = text.replace("_", "-").lower().split("-")[0]
        if primary not in self.choices():
            raise ValueError(f"must be one of {self.describe_short()} (the languages of the library){suggest(primary, self.choices())}")
        return text

    def check(self, value):
        if not isinstance(value, str):
            raise ValueError(f"must be a language tag, not {value!r}")
        return self.parse(value)
