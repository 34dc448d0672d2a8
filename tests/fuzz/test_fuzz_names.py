"""Fuzzing names in other scripts (issue 28, class 7): random Unicode names through --var and a
roster's columns. Never a traceback: the render completes (the voice says a transliteration, or
leaves out what cannot be said, with a warning naming it) or it is one clear line."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fuzz import strategies as s
from fuzz.harness import budget, check_audio, check_batch, check_command, materialise, outcome

SCRIPT = (
    "---\nid: names\ntitle: Names\ncategory: grounding\nsummary: s\nduration: 10s\nlanguage: {language}\nvariables:\n  name: friend\n"
    "  place: the harbour\n---\nWelcome, {{ name }}.\n\nRest in {{ place }}, {{ name }}, for 4-7-8 breaths.\n"
)
FILES = {"in/s.md": SCRIPT.format(language="en").encode("utf-8")}


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@budget(15, 600)
@given(st.lists(s.foreign_name, min_size=1, max_size=2), st.sampled_from(["en", "es", "en-US"]))
def test_a_name_in_any_script_renders_or_is_one_line(worker, names, language):
    files = {"in/s.md": SCRIPT.format(language=language).encode("utf-8")}
    args = ["render", "in/s.md", "--engine", "fake", "-o", "out/s.wav", "--sidecars", "vtt"]
    args += ["--var", f"name={names[0]}", *(["--var", f"place={names[1]}"] if len(names) > 1 else [])]
    case = s.Case(files, args)
    with tempfile.TemporaryDirectory() as folder:
        materialise(files, Path(folder))
        result = outcome(worker, case, Path(folder))
        check_command(result, Path(folder), case)
        if result["code"] == 0:
            check_audio(Path(folder) / "out" / "s.wav", case)
            transcript = (Path(folder) / "out" / "s.vtt").read_text(encoding="utf-8")
            assert "Welcome," in transcript, f"{transcript}\n{case.shown()}"


@budget(6, 300)
@given(st.lists(s.foreign_name, min_size=1, max_size=3))
def test_a_roster_of_names_in_any_script_renders_or_reports_each_row_in_one_line(worker, names):
    lines = ["client_id,technique,name,bls,ambience"] + [f"c{i},in/s.md,{_quoted(name)},false,none" for i, name in enumerate(names)]
    files = {**FILES, "r.csv": ("\n".join(lines) + "\n").encode("utf-8")}
    case = s.Case(files, ["batch", "r.csv", "-o", "out/b", "--engine", "fake", "--workers", "1", "--no-report", "--format", "wav"])
    with tempfile.TemporaryDirectory() as folder:
        materialise(files, Path(folder))
        check_batch(outcome(worker, case, Path(folder)), Path(folder), case)
