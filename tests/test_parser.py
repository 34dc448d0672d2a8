"""Parser golden tests: good scripts -> node dumps (bad scripts and their exact `check` output: test_bad_inputs.py).

Set UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sessiongen.script import parser
from sessiongen.errors import ScriptError
from sessiongen.model.script import Bls, BlsOn, Chapter, Pause, Say

GOLDEN = Path(__file__).parent / "data" / "golden"
BAD_SCRIPTS = Path(__file__).parent / "data" / "bad" / "scripts"  # their golden `check` output: test_bad_inputs.py
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _compare(actual: str, expected_file: Path) -> None:
    if UPDATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), f"no golden file {expected_file.name}: run with UPDATE_GOLDEN=1 and review it"
    assert actual == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("script", sorted((GOLDEN / "good").glob("*.md")), ids=lambda p: p.stem)
def test_good_script_parses_to_golden_nodes(script):
    parsed = parser.parse_file(script)
    dump = "\n".join(repr(node) for node in parsed.nodes) + "\n"
    _compare(dump, script.with_suffix(".nodes"))


def test_every_problem_is_reported_not_just_the_first():
    with pytest.raises(ScriptError) as caught:
        parser.parse_file(BAD_SCRIPTS / "several-problems.md")
    assert len(caught.value.problems) == 3


def test_inline_directives_split_narration():
    script = parser.parse_text(
        "---\nid: t\ntitle: T\ncategory: grounding\nsummary: s\nduration: 1m\n---\n"
        "# One\nHello there. [pause 2s] And welcome.\n"
    )
    kinds = [type(n) for n in script.nodes]
    assert kinds == [Chapter, Say, Pause, Say]
    assert script.nodes[1].text == "Hello there." and script.nodes[3].text == "And welcome."
    assert script.nodes[2].min_s == script.nodes[2].max_s == 2.0


def test_set_length_is_rounded_to_whole_passes():
    script = parser.parse_text(
        "---\nid: t\ntitle: T\ncategory: grounding\nsummary: s\nduration: 1m\n---\n"
        "[bls 10.3s rate=0.75]\n[bls passes=6 rate=1.5]\n[bls on rate=2]\nWords.\n"
    )
    by_duration, by_passes, underlay, _ = script.nodes
    assert isinstance(by_duration, Bls) and by_duration.duration_s == pytest.approx(8 / 0.75)
    assert by_passes.duration_s == pytest.approx(4.0)
    assert isinstance(underlay, BlsOn) and underlay.tone.rate_hz == 2.0


def test_locations_point_at_the_source_line():
    script = parser.parse_file(GOLDEN / "good" / "all-forms.md")
    bell = next(n for n in script.nodes if type(n).__name__ == "Bell")
    assert (bell.where.line, bell.where.col) == (25, 1)
    assert bell.where.text == "[bell]"


def test_fragment_nodes_remember_their_fragment():
    script = parser.parse_file(GOLDEN / "good" / "all-forms.md")
    assert {n.fragment for n in script.nodes} == {None, "short-exit"}
