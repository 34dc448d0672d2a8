"""A plain-text table whose columns are as wide as their longest cell, so a long name never
pushes the columns after it out of line."""

from __future__ import annotations


def table_lines(rows: list[list[str]], right: set[int] = frozenset(), gap: str = "  ") -> list[str]:
    """Each row as one line; the columns in `right` are aligned right, the last is not padded."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append(gap.join([*cells, row[-1]]))
    return lines
