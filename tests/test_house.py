"""The house rules the code keeps: short modules and functions, a declared API, stages that
depend only on the stages before them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sessiongen

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
CHECKED = [*sorted((ROOT / "sessiongen").rglob("*.py")), *sorted((ROOT / "benchmarks").rglob("*.py"))]


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_short(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name} has {len(text.splitlines())} lines"
    long = [f"{f.name} ({f.end_lineno - f.lineno + 1} lines)" for f in _functions(ast.parse(text)) if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines in {path.name}: {long}"


def test_the_declared_api_resolves():
    for name in sessiongen.__all__:
        assert getattr(sessiongen, name) is not None, name


# Each stage may import from the stages listed for it (and from the shared modules), never from a
# later one: the tree shows the pipeline, and the imports keep to it.
SHARED = {"errors", "settings", "offline", "model", "timefmt"}
ALLOWED = {
    "script": {"speech", "sound"},  # pronunciations, language tags and sound names are checked with the script
    "speech": {"sound", "output"},  # clips are resampled and limited like any sound; the cache writes atomically
    "plan": {"script"},
    "sound": {"output"},  # a user's bed is read with the output stage's file checks
    "mix": {"sound", "plan", "master"},
    "master": {"sound"},
    "output": {"script", "sound", "plan"},
    "voicepack": {"script", "plan", "speech", "sound", "output", "review"},  # a recorded voice: phrases, clips, pages
}


def _imported_stages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sessiongen."):
            found.add(node.module.split(".")[1])
    return found


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_a_stage_imports_only_earlier_stages(stage):
    base = ROOT / "sessiongen"
    files = sorted((base / stage).rglob("*.py")) if (base / stage).is_dir() else [base / f"{stage}.py"]
    wrong = {f"{p.relative_to(base)} imports {s}" for p in files for s in _imported_stages(p) - SHARED - ALLOWED[stage] - {stage}}
    assert not wrong, sorted(wrong)
