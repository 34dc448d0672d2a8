"""Fuzzing batch with generated rosters (CSV and YAML), profiles and scripts."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fuzz import strategies as s
from fuzz.harness import budget, check_batch, duration_of, materialise, outcome

RENDER_MAX_S = 12.0


@st.composite
def batch_cases(draw) -> s.Case:
    files = {**draw(s.script_files()), **draw(s.roster_files())}
    roster = next(name for name in files if name.startswith("r."))
    args = ["batch", roster, "-o", "out/b", "--engine", "fake", "--workers", "1", "--date", "2026-01-01"]
    args += draw(st.sampled_from([["--no-report"], ["--no-report"], ["--no-report", "--sidecars", "none"], [], ["--dry-run"]]))
    args += draw(
        st.sampled_from([[], [], ["--name-template", "{client_id}"], ["--name-template", "{row:03}-{technique}"], ["--name-template", "x"]])
    )
    return s.Case(files, args)


@budget(30, 600)
@given(batch_cases())
def test_batch_keeps_the_invariant(worker, case):
    with tempfile.TemporaryDirectory() as folder:
        materialise(case.files, Path(folder))
        planned = outcome(worker, s.Case(case.files, ["plan", "in/s.md", "--engine", "fake", "--json"]), Path(folder))
        if planned["code"] == 0 and duration_of(planned["stdout"]) > RENDER_MAX_S and "--dry-run" not in case.args:
            case.args.append("--dry-run")
        result = outcome(worker, case, Path(folder))
        check_batch(result, Path(folder), case)
