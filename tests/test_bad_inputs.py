"""Issue 7: a corpus of bad inputs, each with the exact message a user gets.

- tests/data/bad/scripts/*.md (and fragments/*.md): `sessiongen check` exits 1 and prints exactly
  the golden *.err beside each; `plan` refuses each script with its first problem.
- tests/data/bad/cases.yaml: bad command lines (options, output paths, covers, profiles, rosters,
  audio files); the format is described at the top of that file.

Whatever the input, a command never shows a traceback, exits 1 for a mistake the user can fix
(one line) or 2 for a malformed command line, and leaves no output file or *.part behind.

Cases marked xfail are real product problems, reported rather than fixed here: each must keep
failing until it is fixed (strict), and then its marker goes.

Set UPDATE_GOLDEN=1 to rewrite the *.err files after a deliberate change (then review the diff);
the expected text of xfail'd scripts is never rewritten.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml
from click.testing import CliRunner

from sessiongen.cli import cli

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "data" / "bad"
SCRIPTS = BAD / "scripts"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

CALM = """---
id: calm
title: Calm
category: grounding
summary: A short calm script for the bad-input tests.
duration: 30s
variables:
  name: ""
---
# Start
Welcome{% if name %}, {{ name }}{% endif %}. [pause 2s..20s]
[bls 4s]
# End
Goodbye.
"""

# -- scripts ----------------------------------------------------------------------------------------

SCRIPT_FILES = sorted(SCRIPTS.glob("*.md")) + sorted((SCRIPTS / "fragments").glob("*.md"))

# Product problems found by the corpus (see the report on issue 7). `check` must report each of
# these exactly as its *.err says; today it does not.
CHECK_XFAIL: dict[str, str] = {}  # none left: every case the corpus found is fixed
# `plan` must refuse each script with the first line of its *.err; today these do not.
PLAN_XFAIL = {
    **{k: v for k, v in CHECK_XFAIL.items() if not k.startswith("fragments/")},
}


def _script_id(path: Path) -> str:
    return str(path.relative_to(SCRIPTS).with_suffix(""))


def _unexpected(result) -> str:
    """The traceback of an exception the command let escape, or ''."""
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return ""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(
            p,
            id=_script_id(p),
            marks=[pytest.mark.xfail(strict=True, reason=CHECK_XFAIL[_script_id(p)])] if _script_id(p) in CHECK_XFAIL else [],
        )
        for p in SCRIPT_FILES
    ],
)
def test_check_reports_the_golden_errors(script, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["check", str(script.relative_to(ROOT))])
    assert not _unexpected(result), _unexpected(result)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    assert result.stderr == "problems in 1 of 1 file\n"
    expected = script.with_suffix(".err")
    if UPDATE and _script_id(script) not in CHECK_XFAIL:
        expected.write_text(result.stdout, encoding="utf-8")
    assert expected.exists(), f"no golden file {expected.name}: run with UPDATE_GOLDEN=1 and review it"
    assert result.stdout == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(
            p,
            id=_script_id(p),
            marks=[pytest.mark.xfail(strict=True, reason=PLAN_XFAIL[_script_id(p)])] if _script_id(p) in PLAN_XFAIL else [],
        )
        for p in sorted(SCRIPTS.glob("*.md"))
    ],
)
def test_plan_refuses_with_the_first_problem(script, monkeypatch):
    """The same problems through a command that would render: one line, the first problem and how many more."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["plan", str(script.relative_to(ROOT)), "--engine", "fake"])
    assert not _unexpected(result), _unexpected(result)
    assert result.exit_code == 1, result.output
    golden = script.with_suffix(".err").read_text(encoding="utf-8").splitlines()
    problems = [line for line in golden if not line.startswith("    ")]
    more = len(problems) - 1
    expected = problems[0] + (f" (and {more} more problem{'s' * (more > 1)}: run `sessiongen check`)" if more else "")
    assert result.output.splitlines() == [expected]


def test_every_golden_error_file_has_its_script():
    scripts = {p.with_suffix("") for p in SCRIPT_FILES}
    assert {p.with_suffix("") for p in SCRIPTS.rglob("*.err")} == scripts


# -- command lines ----------------------------------------------------------------------------------

CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))["cases"]
FIELDS = {
    "name",
    "args",
    "files",
    "env",
    "readonly",
    "requires",
    "without",
    "exit",
    "message",
    "match",
    "summary",
    "rows",
    "produces",
    "no_output",
    "process",
    "xfail",
}


def _param(case: dict):
    marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
    return pytest.param(case, id=case["name"], marks=marks)


def test_the_cases_are_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in CASES:
        assert set(case) <= FIELDS, (case["name"], set(case) - FIELDS)
        assert case["exit"] in (0, 1, 2), case["name"]
        assert ("message" in case) != ("summary" in case) or case["exit"] == 0, case["name"]
        assert case["exit"] == 0 or "produces" not in case or "summary" in case, case["name"]
        if case["args"][0] in ("render", "plan"):
            assert "--engine" in case["args"], f"{case['name']}: render and plan cases use --engine fake"


def _fill(text: str, places: dict[str, str]) -> str:
    """Replace only our placeholders: messages also hold braces of their own ({client_id}, {0})."""
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _make(path: Path, spec) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(spec, str):
        path.write_text(spec, encoding="utf-8")
    elif "hex" in spec:
        path.write_bytes(bytes.fromhex(spec["hex"]))
    elif "audio" in spec:
        a = spec["audio"]
        noise = 0.1 * np.random.default_rng(7).standard_normal((int(a["seconds"] * a["rate"]), a["channels"]))
        sf.write(str(path), noise.astype(np.float32), a["rate"], subtype="PCM_16")
    elif spec.get("folder"):
        path.mkdir(parents=True, exist_ok=True)
    else:  # pragma: no cover - a mistake in cases.yaml
        raise ValueError(f"unknown file spec {spec!r}")


def _files(tmp: Path) -> set[Path]:
    return {p for p in tmp.rglob("*") if p.is_file()}


def _run_process(args: list[str], tmp: Path) -> tuple[int, str, str]:
    paths = [str(ROOT / "tests"), str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run([sys.executable, "-m", "sessiongen", *args], cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    return done.returncode, output, done.stderr if "Traceback" in done.stderr else ""


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_command_line(case, tmp_path, monkeypatch):
    tmp = tmp_path.resolve()
    monkeypatch.chdir(tmp)
    (tmp / "calm.md").write_text(CALM, encoding="utf-8")
    places = {"tmp": str(tmp), "data": str(BAD), "script": "calm.md", "long": "a" * 300}
    if case.get("requires") and not Path(case["requires"]).exists():
        pytest.skip(f"needs {case['requires']}")
    if case.get("without") and shutil.which(case["without"]):
        pytest.skip(f"only where {case['without']} is not installed")
    for name, spec in (case.get("files") or {}).items():
        _make(tmp / name, spec)
    for name, value in (case.get("env") or {}).items():
        monkeypatch.setenv(name, _fill(value, places))
    for name in case.get("readonly") or []:
        folder = tmp / name
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        if os.access(folder, os.W_OK):
            folder.chmod(stat.S_IRWXU)
            pytest.skip("a read-only folder is still writable here (running as root)")
    args = [_fill(a, places) for a in case["args"]]
    before = _files(tmp)
    try:
        if case.get("process"):
            exit_code, output, escaped = _run_process(args, tmp)
        else:
            result = CliRunner().invoke(cli, args, prog_name="sessiongen")
            exit_code, output, escaped = result.exit_code, result.output, _unexpected(result)
    finally:
        for name in case.get("readonly") or []:
            (tmp / name).chmod(stat.S_IRWXU)
    after = _files(tmp)

    assert not escaped, f"the command raised:\n{escaped}"
    assert "Traceback" not in output
    assert exit_code == case["exit"], output
    lines = output.splitlines()
    substring = case.get("match") == "substring"

    def same(actual: str, expected: str) -> bool:
        expected = _fill(expected, places)
        return expected in actual if substring else actual == expected

    if "summary" in case:  # batch: one line per bad row, as soon as every row is checked, and a summary line
        rows = case.get("rows") or []
        assert len(lines) == 1 + len(rows), output
        summary = [n for n, line in enumerate(lines) if same(line, case["summary"])]
        assert summary, output
        for actual, expected in zip(lines[: summary[0]] + lines[summary[0] + 1 :], rows):
            assert same(actual, expected), output
    elif case["exit"] == 1:
        assert len(lines) == 1, f"a mistake is reported in one line, got:\n{output}"
        assert same(lines[0], case["message"]), output
    elif case["exit"] == 2:
        assert lines[0].startswith("Usage: "), output
        assert same(lines[-1], case["message"]), output

    assert not [p for p in after if p.name.endswith(".part")], "a temporary *.part file was left behind"
    for name in case.get("no_output") or []:
        assert not (tmp / _fill(name, places)).exists(), f"{name} was left behind"
    if case["exit"] != 0 and "summary" not in case:
        assert after == before, f"a failed command wrote {sorted(str(p.relative_to(tmp)) for p in after - before)}"
    for name in case.get("produces") or []:
        produced = tmp / _fill(name, places)
        assert produced.is_file(), f"{name} was not written"
        if produced.suffix == ".wav":
            info = sf.info(str(produced))
            assert (info.samplerate, info.channels) == (44_100, 2)
