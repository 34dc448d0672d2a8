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
    long = [
        f"{f.name} ({f.end_lineno - f.lineno + 1} lines)"
        for f in _functions(ast.parse(text))
        if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines in {path.name}: {long}"


def test_the_declared_api_resolves():
    for name in sessiongen.__all__:
        assert getattr(sessiongen, name) is not None, name


# Each package may import from the packages listed for it (and from the shared modules), never
# from a later one: the tree shows the pipeline, and the imports keep to it. Every package and
# top-level module of sessiongen is listed, so a new one must say where it sits.
SHARED = {"__init__", "errors", "settings", "offline", "model", "timefmt", "signals", "words"}
ALLOWED = {
    "sound": {"output"},  # a user's bed is read with the output stage's file checks
    "speech": {"sound", "output"},  # clips are resampled and limited like any sound; the cache writes atomically
    "script": {"speech", "sound"},  # pronunciations, language tags and sound names are checked with the script
    "plan": {"script"},
    "reach": {"script", "plan"},  # a script's length estimated from its text (`check`)
    "mix": {"sound", "plan", "master"},
    "master": {"sound"},
    "output": {"script", "sound", "plan"},
    "options": {"script", "speech", "sound", "output"},  # the option specification: choices come from the registries
    "voicepack": {"script", "plan", "speech", "sound", "output"},  # a recorded voice: phrases, clips, pages
    "review": {"master", "output", "options"},
    "rebuild": {"options", "output"},
    "request": {"options", "rebuild"},
    "records": {"script", "output"},  # what a manifest records of a session, whose sidecars are whose
    "preparing": {"script", "speech", "plan", "options", "voicepack"},
    "pipeline": {
        "preparing",
        "records",
        "script",
        "speech",
        "sound",
        "plan",
        "mix",
        "master",
        "output",
        "options",
        "voicepack",
        "review",
        "request",
    },
    "preview": {"speech", "output", "pipeline"},  # a voice's sample, through the whole pipeline
    "batch": {"script", "speech", "output", "options", "review", "request", "pipeline"},
    "studio": {"script", "speech", "sound", "output", "options", "review", "request", "pipeline", "preview", "batch"},
    "cli": {
        "script",
        "speech",
        "sound",
        "plan",
        "reach",
        "output",
        "options",
        "voicepack",
        "review",
        "request",
        "pipeline",
        "preview",
        "batch",
        "studio",
    },
    "__main__": {"cli"},
}


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "sessiongen" and len(parts) > 1 else None


def _imported(path: Path) -> set[str]:
    """Every package of sessiongen a file imports, at the top or inside a function, in any form
    (`from sessiongen.x import y`, `from sessiongen import x`, `import sessiongen.x`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "sessiongen":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(_package_of(node.module))
        elif isinstance(node, ast.Import):
            found.update(_package_of(alias.name) for alias in node.names)
    return found - {None, "__version__"}


def _packages() -> dict[str, list[Path]]:
    base = ROOT / "sessiongen"
    out: dict[str, list[Path]] = {}
    for path in sorted(base.rglob("*.py")):
        out.setdefault(path.relative_to(base).parts[0].removesuffix(".py"), []).append(path)
    return out


def test_every_package_has_its_place_in_the_flow():
    assert set(_packages()) - SHARED == set(ALLOWED), "list the new package in ALLOWED (or SHARED)"


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_earlier_ones(package):
    files = _packages()[package]
    wrong = {f"{p.relative_to(ROOT)} imports {s}" for p in files for s in _imported(p) - SHARED - ALLOWED[package] - {package}}
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("module", sorted(SHARED - {"__init__"}))
def test_shared_modules_import_only_each_other(module):
    files = _packages()[module]
    wrong = {f"{p.relative_to(ROOT)} imports {s}" for p in files for s in _imported(p) - SHARED - {module}}
    assert not wrong, sorted(wrong)


def test_no_package_level_import_cycle():
    graph = {package: _imported_by(files) - {package} for package, files in _packages().items() if package != "__init__"}

    def reaches(start: str, goal: str, seen: set) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in graph.get(start, ()))

    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and reaches(b, a, {b}))
    assert not cycles, cycles


def _imported_by(files: list[Path]) -> set[str]:
    return set().union(*(_imported(p) for p in files))
