"""YAML a user wrote (front matter, a profile, a session file, a roster), loaded safely and bounded.

Every alias (*name) is counted as the values it stands for, so an alias bomb ("billion laughs")
is refused while it is composed, before anything walks it; an alias to a value that contains it
(a loop) is refused too, and so is nesting deeper than MAX_YAML_DEPTH.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sessiongen.errors import SessiongenError
from sessiongen.script.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from sessiongen.script.sourcefile import read_bounded


class YamlLimitError(yaml.MarkedYAMLError):
    """A limit reached while loading: not a syntax error, so its message stands on its own."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader counting every value as it would be once aliases are expanded."""

    def __init__(self, stream):
        super().__init__(stream)
        self.expanded = 0  # values so far, aliases counted as what they stand for
        self.depth = 0
        self.sizes: dict[int, int] = {}  # id(anchored node) -> its expanded size

    def _limit(self, message: str) -> YamlLimitError:
        return YamlLimitError(problem=message, problem_mark=self.peek_event().start_mark)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor
            node = self.anchors.get(anchor)
            if node is not None and id(node) not in self.sizes:
                raise self._limit(f"the alias *{anchor} refers to a value that contains it: write the value out")
            self._count(self.sizes.get(id(node), 1) if node is not None else 1)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise self._limit(f"values are nested more than the limit of {MAX_YAML_DEPTH} deep")
        before = self.expanded
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self._count(1)
        self.sizes[id(node)] = self.expanded - before
        return node

    def _count(self, values: int) -> None:
        self.expanded += values
        if self.expanded > MAX_YAML_NODES:
            raise self._limit(
                f"the YAML stands for more than the limit of {MAX_YAML_NODES:,} values once its aliases (*name) are expanded: write fewer aliases"
            )


def load_text(text: str):
    """yaml.safe_load with the limits above. A limit reached is a YamlLimitError, bad YAML any
    other yaml.YAMLError; both carry `problem` and `problem_mark` (0-based line)."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except (ValueError, OverflowError, RecursionError) as exc:  # a value Python cannot hold, e.g. an integer of 5000 digits
        raise YamlLimitError(problem=f"a value cannot be read ({str(exc).split(';')[0]})", problem_mark=None) from None
    finally:
        loader.dispose()


def message_of(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """(what is wrong, 0-based line or None) for a YAML error from load_text."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]  # a ReaderError's text goes on to name "<unicode string>"
    text = problem if isinstance(exc, YamlLimitError) else f"not valid YAML: {problem}"
    return text, (mark.line if mark else None)


def read(path: Path, what: str = "file"):
    """The file's data (loaded safely); every problem is a SessiongenError naming the file and line."""
    raw = read_bounded(path, MAX_YAML_BYTES, shown=str(path), what=what, advice="keep a profile or a session file small")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessiongenError(f"{path}: is not UTF-8 text: save it as UTF-8") from None
    try:
        return load_text(text)
    except yaml.YAMLError as exc:
        message, line = message_of(exc)
        raise SessiongenError(f"{path}{'' if line is None else f':{line + 1}'}: {message}") from None
