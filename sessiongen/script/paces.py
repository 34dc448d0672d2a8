"""[pace 85%] ... [pace off]: a passage spoken slower or faster than the rest of the session.

The parser emits a mark where each directive stands (repeats copy it, includes bring a fragment's
own); `resolve` then gives every phrase between a mark and its `[pace off]` that share of the
session's rate (`Say.pace`) and drops the marks. Paces do not nest: a second `[pace]` before
`[pace off]` is an error, and so is one left open at the end of the script (or fragment).
script/pacing.py turns the share into the phrase's rate in words a minute.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sessiongen.errors import SessiongenError
from sessiongen.model.script import Node, Say


@dataclass(frozen=True)
class PaceMark(Node):
    """Where a [pace N%] (share = N / 100) or a [pace off] (share None) stands; never leaves the parser."""

    share: float | None = None


def _shown(share: float) -> str:
    return f"[pace {share * 100:g}%]"


def _since(opened: PaceMark, node: PaceMark) -> str:
    """Where the pace that is on was set: its line, or its file and line when in another file."""
    if opened.where is None:
        return ""
    same_file = node.where is not None and node.where.path == opened.where.path
    return f" (from line {opened.where.line})" if same_file else f" (from {opened.where.prefix()})"


def resolve(nodes: list[Node]) -> tuple[list[Node], list[SessiongenError]]:
    """The nodes with each phrase's pace set and the marks dropped; the problems of their pairing."""
    out: list[Node] = []
    problems: list[SessiongenError] = []
    opened: PaceMark | None = None
    for node in nodes:
        if isinstance(node, PaceMark):
            if node.share is None and opened is None:
                problems.append(SessiongenError("[pace off] without [pace N%] before it", node.where))
            elif node.share is not None and opened is not None:
                since = _since(opened, node)
                message = f"{_shown(node.share)} while {_shown(opened.share)}{since} is on: paces do not nest, add [pace off] before it"
                problems.append(SessiongenError(message, node.where))
            opened = node if node.share is not None else None
            continue
        if opened is not None and isinstance(node, Say):
            node = replace(node, pace=opened.share)
        out.append(node)
    if opened is not None:
        problems.append(SessiongenError(f"{_shown(opened.share)} is not closed: add [pace off] where the passage ends", opened.where))
    return out, problems
