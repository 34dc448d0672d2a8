"""Parser golden tests: good scripts -> node dumps (bad scripts and their exact `check` output: test_bad_inputs.py).

Set UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sessiongen.errors import ScriptError
from sessiongen.model.script import Bls, BlsOn, Chapter, Pause, Say
from sessiongen.script import parser

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
        "---\nid: t\ntitle: T\ncategory: grounding\nsummary: s\nduration: 1m\n---\n# One\nHello there. [pause 2s] And welcome.\n"
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


# -- a user's own script needs only what it says ----------------------------------------------------


@pytest.mark.parametrize(
    "name, text, script_id, title",
    [
        ("Evening Settle.md", "---\n---\n# Arriving\nText.\n", "evening-settle", "Arriving"),
        ("only-id.md", "---\nid: only-id\n---\nText.\n", "only-id", "only-id"),
        ("no front matter.md", "# Hello\nText.\n", "no-front-matter", "Hello"),
        ("plain.txt", "Settle in, in your own time.\n\n[pause 5s]\n\nNotice your breath.\n", "plain", "plain"),
    ],
)
def test_a_users_own_script_needs_only_what_it_says(tmp_path, name, text, script_id, title):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    script = parser.parse_file(path)
    assert (script.meta.id, script.meta.title, script.meta.category, script.meta.summary, script.meta.duration_s) == (
        script_id,
        title,
        "",
        "",
        0.0,
    )


def test_a_library_script_still_needs_every_key(tmp_path, monkeypatch):
    from sessiongen.script import library

    monkeypatch.setattr(library, "scripts_dir", lambda language=None: tmp_path)
    (tmp_path / "only-id.md").write_text("---\nid: only-id\n---\nText.\n", encoding="utf-8")
    (tmp_path / "bare.md").write_text("# Hello\nText.\n", encoding="utf-8")
    with pytest.raises(ScriptError, match="missing front-matter keys 'title', 'category', 'summary', 'duration'"):
        parser.parse_file(tmp_path / "only-id.md")
    with pytest.raises(ScriptError, match="missing front matter: the file must start with a line '---'"):
        parser.parse_file(tmp_path / "bare.md")


def test_without_a_duration_elastic_pauses_take_the_middle_of_their_range(tmp_path, settings):
    from sessiongen import pipeline

    path = tmp_path / "mine.md"
    path.write_text("Settle.\n[pause 10s..30s]\nRest.\n[pause 20s..40s]\nBack.\n", encoding="utf-8")
    with pipeline.cache_root(True) as root:
        tl = pipeline.prepare(pipeline.load(str(path)), {}, settings, root).timeline
    pauses = [e.frames / tl.rate_hz for e in tl.events if e.kind == "pause" and e.elastic]
    assert pauses == pytest.approx([20.0, 30.0], abs=0.01)


def test_a_plain_text_script_renders(tmp_path):
    from click.testing import CliRunner

    from sessiongen.cli import cli

    path = tmp_path / "notes.txt"
    path.write_text("Settle in, in your own time.\n\n[pause 5s]\n\nNotice your breath, if that feels right.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", str(path), "-o", str(tmp_path / "notes.wav"), "--engine", "fake"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notes.wav").is_file()
