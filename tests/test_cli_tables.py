"""The `techniques` and `voices` tables keep their columns whatever the length of a name."""

from __future__ import annotations

import re

from sessiongen.cli import cli
from sessiongen.cli.table import table_lines


def _starts(line: str) -> list[int]:
    return [m.start() for m in re.finditer(r"(?<=  )\S", line)]


def test_a_long_name_widens_its_column_and_the_others_stay_in_line():
    rows = [
        ["ID", "CATEGORY", "LENGTH", "TITLE"],
        ["a-very-long-technique-id-of-forty-characters", "grounding", "9m", "A"],
        ["short", "a-long-category-name", "12m30s", "B"],
    ]
    lines = table_lines(rows, right={2})
    assert len({len(_starts(line)) for line in lines}) == 1 and len(_starts(lines[0])) == 3
    assert len({line.index(" A") if " A" in line else None for line in lines[1:2]}) == 1
    title_at = {len(line) - 1 for line in lines[1:]}  # the last column (one letter) starts at the same place
    assert len(title_at) == 1 and all(line.rstrip() == line for line in lines)
    assert lines[1].split()[2] == "9m" and lines[1].index("9m") + 2 == lines[2].index("12m30s") + 6  # right-aligned


def test_the_commands_tables_line_up(runner):
    """Each column starts at one place on every line (the values read back from --json)."""
    import json

    techniques = json.loads(runner.invoke(cli, ["techniques", "--json"]).stdout)
    lines = runner.invoke(cli, ["techniques"]).output.splitlines()
    assert len({line.index(t["category"], len(t["id"])) for line, t in zip(lines, techniques, strict=True)}) == 1
    assert len({line.rindex(t["title"]) for line, t in zip(lines, techniques, strict=True)}) == 1, lines
    voices = json.loads(runner.invoke(cli, ["voices", "--engine", "fake", "--json"]).stdout)
    lines = runner.invoke(cli, ["voices", "--engine", "fake"]).output.splitlines()[1:]
    assert len({line.index(v["id"]) for line, v in zip(lines, voices, strict=True)}) == 1
    assert (
        len({line.index(",".join(v["languages"]), line.index(v["id"]) + len(v["id"])) for line, v in zip(lines, voices, strict=True)}) == 1
    ), lines
