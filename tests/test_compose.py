"""Several techniques as one session: one opening, one close, a chapter each, smooth transitions."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.model.script import Bell, Chapter, Say
from sessiongen.script import compose

TRIO = "orienting-to-the-room+safe-place+box-breathing"


def fragment_phrases(script, name):
    return [n for n in script.nodes if isinstance(n, Say) and n.fragment == name]


def test_one_opening_one_close_and_a_chapter_per_technique():
    single = compose.load("orienting-to-the-room")
    joined = compose.load(TRIO)
    assert len(fragment_phrases(joined, "safety-opening")) == len(fragment_phrases(single, "safety-opening"))
    assert len(fragment_phrases(joined, "reorienting-close")) == len(fragment_phrases(single, "reorienting-close"))
    assert joined.chapters == ["Arriving", "Orienting to the Room", "Calm Place", "Box Breathing", "Returning"]
    assert joined.nodes[0] == Chapter(title="Arriving") and joined.nodes[0].fragment == "safety-opening"


def test_the_headphone_check_is_kept_once_where_it_first_appears():
    joined = compose.load("safe-place+butterfly-hug")
    headphone_notes = fragment_phrases(joined, "headphone-note")
    single = fragment_phrases(compose.load("safe-place"), "headphone-note")
    assert len(headphone_notes) == len(single) > 0


def test_techniques_are_joined_by_a_bell_and_a_spoken_transition():
    joined = compose.load(TRIO)
    transitions = [n for n in joined.nodes if isinstance(n, Say) and "next practice" in n.text]
    assert [t.text.rsplit(": ", 1)[1] for t in transitions] == ["Calm Place.", "Box Breathing."]
    for transition in transitions:
        index = joined.nodes.index(transition)
        assert isinstance(joined.nodes[index - 1], Bell)


def test_meta_merges_variables_and_cautions_without_duplicates():
    joined = compose.load(TRIO)
    assert {"name", "anchor", "safe_place", "cue_word"} <= set(joined.meta.defaults)
    assert len(joined.meta.cautions) == len(set(joined.meta.cautions))
    assert any("breath" in c.lower() for c in joined.meta.cautions) and any("bilateral" in c for c in joined.meta.cautions)


def test_a_session_file_lists_techniques(tmp_path):
    (tmp_path / "mine.md").write_text(
        "---\nid: mine\ntitle: My Own\ncategory: grounding\nsummary: s\nduration: 2m\n---\n"
        "[include safety-opening]\n# Mine\nA practice of my own. [pause 10s..30s]\n[include reorienting-close]\n",
        encoding="utf-8",
    )
    session_file = tmp_path / "evening.yaml"
    session_file.write_text("title: Evening Session\ntechniques:\n  - orienting-to-the-room\n  - mine.md\n", encoding="utf-8")
    joined = compose.load(str(session_file))
    assert joined.meta.title == "Evening Session"
    assert joined.chapters == ["Arriving", "Orienting to the Room", "My Own", "Returning"]


@pytest.mark.parametrize(
    "ref, message",
    [("safe-place+", re.escape("join technique ids with '+'")), ("safe-place+nope", "no technique 'nope'")],
)
def test_bad_compositions_are_clear_errors(ref, message):
    with pytest.raises(SessiongenError, match=message):
        compose.load(ref)


def test_bad_session_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(SessiongenError, match="needs 'techniques:'"):
        compose.load(str(bad))
    with pytest.raises(SessiongenError, match="no such file"):
        compose.load(str(tmp_path / "missing.yaml"))


def test_a_composed_session_plans_fits_and_keeps_chapters_in_order():
    result = CliRunner().invoke(cli, ["plan", TRIO, "--json", "--engine", "fake", "--minutes", "30"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["duration_s"] == pytest.approx(1800.0, abs=0.01)
    titles = [c["title"] for c in plan["chapters"]]
    assert titles == ["Arriving", "Orienting to the Room", "Calm Place", "Box Breathing", "Returning"]
    starts = [c["start_s"] for c in plan["chapters"]]
    assert starts == sorted(starts)


def test_composed_default_output_name(tmp_path, monkeypatch):
    from sessiongen import pipeline

    joined = compose.load("safe-place+box-breathing")
    assert pipeline.default_output(joined, {"name": "Sam"}).name == "safe-place-then-box-breathing-sam.mp3"
