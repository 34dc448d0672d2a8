"""Fuzzing check, plan and render with generated scripts, fragments, profiles, values and names.

Every input keeps the invariant of `harness`: exit 0 with valid files, or one line, exit 1 or 2
and nothing written; within the child's time and memory bounds.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fuzz import strategies as s
from fuzz.harness import budget, check_audio, check_command, duration_of, materialise, outcome

FAKE = ["--engine", "fake"]
RENDER_MAX_S = 40.0  # longer sessions are planned, not rendered, to keep the budget for variety


@st.composite
def check_cases(draw) -> s.Case:
    files = draw(s.script_files())
    targets = draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=2, unique=True))
    return s.Case(files, ["check", *targets])


@st.composite
def plan_cases(draw) -> s.Case:
    files = draw(s.script_files())
    args = ["plan", draw(s.script_ref(files)), *FAKE, "--json"]
    for value in draw(st.lists(s.var_arg, max_size=2)):
        args += ["--var", value]
    if draw(st.integers(0, 3)) == 0:
        files["in/p.yaml"] = draw(s.profile_yaml())
        args += ["--profile", "in/p.yaml"]
    if draw(st.integers(0, 4)) == 2:
        args += ["--minutes", draw(st.sampled_from(["0.5", "1", "0", "-1", "nan", "1e308", "240", "²"]))]
    return s.Case(files, args)


@st.composite
def render_cases(draw) -> s.Case:
    case = draw(plan_cases())
    args = ["render", *[a for a in case.args[1:] if a != "--json"], *draw(s.output_args())]
    args += draw(st.sampled_from([[], ["--sidecars", "none"], ["--sidecars", "all"], ["--report"], ["--format", "wav"], ["--mono"]]))
    args += draw(
        st.sampled_from([[], [], ["--artist", "Dr. Zoë"], ["--artist", "caf\udce9"], ["--album", "\u202eA\x07"], ["--stems", "out/stems"]])
    )
    return s.Case(case.files, args)


@budget(200)
@given(check_cases())
def test_check_keeps_the_invariant(worker, case):
    with tempfile.TemporaryDirectory() as folder:
        materialise(case.files, Path(folder))
        result = outcome(worker, case, Path(folder))
        check_command(result, Path(folder), case)


@budget(150)
@given(plan_cases())
def test_plan_keeps_the_invariant_and_agrees_with_check(worker, case):
    with tempfile.TemporaryDirectory() as folder:
        materialise(case.files, Path(folder))
        result = outcome(worker, case, Path(folder))
        check_command(result, Path(folder), case)
        if result["code"] == 0:
            duration_of(result["stdout"])  # strict JSON, with a duration
        checked = outcome(worker, s.Case(case.files, ["check", "in/s.md"]), Path(folder))
        plain = outcome(worker, s.Case(case.files, ["plan", "in/s.md", *FAKE, "--json"]), Path(folder))
        if checked["code"] == 0:  # what check passes, plan with the script's own defaults takes, but for the engine's say
            assert plain["code"] == 0 or not re.match(r"error: in/\S+\.md:\d+", plain["stderr"]), (
                f"check passed, plan failed: {plain['stderr']}\n{case.shown()}"
            )


@budget(150, 2000)
@given(render_cases())
def test_render_keeps_the_invariant(worker, case):
    with tempfile.TemporaryDirectory() as folder:
        materialise(case.files, Path(folder))
        planned = outcome(worker, s.Case(case.files, _plan_only(case.args)), Path(folder))
        if planned["code"] == 0 and duration_of(planned["stdout"]) > RENDER_MAX_S:
            return
        result = outcome(worker, case, Path(folder))
        check_command(result, Path(folder), case)
        if result["code"] == 0:
            target = Path(folder) / case.args[case.args.index("-o") + 1]
            assert target.is_file(), f"exit 0 without {target}\n{case.shown()}"
            if target.suffix in (".wav", ".flac", ".ogg", ".mp3"):
                check_audio(target, case)


def _plan_only(args: list[str]) -> list[str]:
    """The render's command as a plan (--json), without the options only render takes."""
    out, skip = ["plan", args[1], "--json"], False
    for arg in args[2:]:
        if skip:
            skip = False
        elif arg in ("-o", "--sidecars", "--format", "--artist", "--album", "--stems"):
            skip = True
        elif arg not in ("--report", "--json"):
            out.append(arg)
    return out
