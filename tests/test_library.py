"""The technique library: every script is complete, safe in structure, and renders."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from sessiongen import pipeline
from sessiongen.cli import cli
from sessiongen.mix.render import Renderer
from sessiongen.model.script import Bls, BlsOn, Breathe, Chapter, Say
from sessiongen.script import library, parser
from sessiongen.script.personalise import personalise
from sessiongen.settings import Settings

REQUIRED = {
    "orienting-to-the-room", "resourcing-pendulation", "safe-place", "container", "butterfly-hug",
    "box-breathing", "extended-exhale-breathing", "four-seven-eight-breathing", "five-senses-grounding",
    "body-scan-short", "body-scan-long", "progressive-muscle-relaxation", "tre-release", "stretching-release",
    "spiral-technique", "somatic-body-awareness", "bilateral-resourcing", "safety-plan", "aftercare-and-closing",
}
BODY_FOCUS = {"body-scan-short", "body-scan-long", "somatic-body-awareness", "resourcing-pendulation"}
IDS = sorted(library.technique_paths())
TEMPLATE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
PERSONAL = {"name": "Robin", "anchor": "my hands resting together", "safe_place": "a lake at dawn", "cue_word": "harbour"}


def script(technique_id):
    return parser.parse_file(library.technique_paths()[technique_id])


def test_every_technique_in_scope_exists():
    assert set(IDS) >= REQUIRED
    assert len(IDS) >= 18


def test_ids_are_unique_and_match_file_names():
    for technique_id, path in library.technique_paths().items():
        assert parser.parse_file(path).meta.id == technique_id == path.stem


def test_every_script_and_fragment_passes_check():
    files = [str(p) for p in library.scripts_dir().glob("*.md")] + [str(p) for p in library.fragments_dir().glob("*.md")]
    result = CliRunner().invoke(cli, ["check", *files])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("technique_id", IDS)
def test_opens_with_the_safety_opening_and_closes_with_the_reorienting_close(technique_id):
    nodes = script(technique_id).nodes
    said = [n for n in nodes if isinstance(n, Say)]
    chapters = [n for n in nodes if isinstance(n, Chapter)]
    assert said[0].fragment == "safety-opening" and chapters[0].title == "Arriving"
    assert said[-1].fragment == "reorienting-close" and chapters[-1].title == "Returning"
    assert len(chapters) >= 4  # the opening, at least two phases of the technique, the close


@pytest.mark.parametrize("technique_id", IDS)
def test_cautions_cover_what_the_technique_needs(technique_id):
    parsed = script(technique_id)
    cautions = " ".join(parsed.meta.cautions).lower()
    assert "driving" in cautions and "overwhelm" in cautions
    if any(isinstance(n, (Bls, BlsOn)) and n.fragment != "headphone-note" for n in parsed.nodes):
        assert "bilateral" in cautions and "never" in cautions and "memor" in cautions
    if any(isinstance(n, Breathe) and (n.hold_s or n.hold_out_s) for n in parsed.nodes):
        assert "hold" in cautions and "pregnan" in cautions
    if technique_id in BODY_FOCUS:
        assert "body" in cautions
    if technique_id == "tre-release":
        assert all(w in cautions for w in ("psychosis", "pregnancy", "surgery", "provider"))


@pytest.mark.parametrize("technique_id", IDS)
def test_mid_session_exit_where_the_technique_is_intense(technique_id):
    intense = BODY_FOCUS | {"tre-release", "safe-place", "resourcing-pendulation", "container", "spiral-technique", "bilateral-resourcing"}
    if technique_id in intense:
        assert any(n.fragment == "gentle-exit" for n in script(technique_id).nodes)


@pytest.mark.parametrize("technique_id", IDS)
@pytest.mark.parametrize("values", [{}, PERSONAL], ids=["defaults", "personal"])
def test_no_template_syntax_is_left_unrendered(technique_id, values):
    parsed = script(technique_id)
    given = {k: v for k, v in values.items() if k in parsed.meta.defaults}
    for node in personalise(parsed, given).nodes:
        if isinstance(node, Say):
            assert not TEMPLATE.search(node.text), node.text
    if "name" in given:
        assert any("Robin" in n.text for n in personalise(parsed, given).nodes if isinstance(n, Say))


@pytest.mark.parametrize("technique_id", IDS)
def test_declares_its_personalisation_variables(technique_id):
    defaults = script(technique_id).meta.defaults
    assert {"name", "anchor"} <= set(defaults)
    assert defaults["name"] == ""  # renders without a name, and never says an empty one


@pytest.mark.parametrize("technique_id", IDS)
def test_renders_with_the_fake_engine(technique_id):
    settings = Settings(engine="fake")
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(script(technique_id), {}, settings, root)
    tl = prepared.timeline
    renderer = Renderer(tl, prepared.clips, settings)
    frames, peak = 0, 0.0
    for window in renderer.windows(int(120 * tl.rate_hz)):
        mix = window.mix()
        assert np.all(np.isfinite(mix))
        frames += len(mix)
        peak = max(peak, float(np.abs(mix).max()))
    assert frames == tl.frames and 0.05 < peak < 2.0


@pytest.mark.e2e
@pytest.mark.parametrize("engine", ["piper", "pyttsx3", pytest.param("kokoro", marks=pytest.mark.slow)])
def test_planned_length_and_pace_with_the_real_voice(engine):
    """Nominal durations are reachable and narration paces at 90-120 words a minute, as heard,
    with the neural voices and with espeak-ng (Kokoro's sweep speaks the whole library: slow,
    `make test-all`)."""
    settings = Settings(engine=engine)
    problems = []
    with pipeline.cache_root(True) as root:
        for technique_id in IDS:
            parsed = script(technique_id)
            tl = pipeline.prepare(parsed, {}, settings, root).timeline
            lo, hi = (f / tl.rate_hz for f in tl.range_frames)
            if not lo <= parsed.meta.duration_s <= hi:
                problems.append(f"{technique_id}: nominal {parsed.meta.duration_s:.0f}s outside {lo:.0f}-{hi:.0f}s")
            speech = [e for e in tl.events if e.kind == "speech"]
            gaps = [e for e in tl.events if e.kind == "pause" and e.text == "gap"]
            words = sum(len(e.text.split()) for e in speech)
            wpm = words / (sum(e.frames for e in speech + gaps) / tl.rate_hz / 60)
            if not 90 <= wpm <= 120:
                problems.append(f"{technique_id}: narration at {wpm:.0f} words a minute")
    assert not problems, problems


@pytest.mark.parametrize("category", ["breathing", "somatic"])
def test_techniques_filter_by_category(category):
    import json

    rows = json.loads(CliRunner().invoke(cli, ["techniques", "--json", "--category", category]).output)
    assert rows and all(r["category"] == category for r in rows)


def test_techniques_show_tells_a_clinician_what_the_client_will_hear():
    import json

    result = CliRunner().invoke(cli, ["techniques", "show", "safe-place", "--json", "--engine", "fake"])
    info = json.loads(result.output)
    assert info["id"] == "safe-place" and info["cautions"] and info["summary"]
    assert {"name": "cue_word", "default": "calm"} in info["variables"]
    starts = [c["start_s"] for c in info["chapters"]]
    assert starts[0] == 0.0 and starts == sorted(starts) and info["chapters"][-1]["title"] == "Returning"
    assert info["range_s"][0] <= info["duration_s"] <= info["range_s"][1]
    text = CliRunner().invoke(cli, ["techniques", "show", "safe-place", "--engine", "fake"]).output
    assert "Cautions:" in text and "Outline:" in text and "cue_word" in text
