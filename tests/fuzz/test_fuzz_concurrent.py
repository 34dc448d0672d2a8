"""Fuzzing concurrent runs (issue 28, class 1): two renders, or two batches, into one output,
started together (real processes, a random delay between them). One writer wins; the other
waits its turn or refuses in one line; never a traceback, never a half file: at the end the audio
decodes, its manifest records exactly that file, and the transcript and review page are the same
run's as the audio. No temporary file or lock is left."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from fuzz.harness import TESTS, budget, check_audio
from fuzz.strategies import Case

SCRIPT = (
    "---\nid: two\ntitle: Two\ncategory: grounding\nsummary: s\nduration: 10s\nvariables:\n  name: friend\n---\n"
    "Hello {{ name }}.\n\n[pause 1s..4s]\n\nGoodbye {{ name }}.\n"
)
NAMES = ("Alpha", "Bravo")


def _start(args: list[str], folder: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent), os.environ.get("PYTHONPATH", "")]),
        "SESSIONGEN_ENGINES": "fake=fake_engine:FakeEngine",
        "SESSIONGEN_CACHE_DIR": str(folder / "cache"),
    }
    command = [sys.executable, "-m", "sessiongen", *args]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _together(commands: list[list[str]], folder: Path, delay_s: float) -> list[tuple[int, str]]:
    first = _start(commands[0], folder)
    time.sleep(delay_s)
    second = _start(commands[1], folder)
    errors = [p.communicate(timeout=180)[1] for p in (first, second)]
    results = [(p.returncode, stderr) for p, stderr in zip((first, second), errors)]
    event(f"{commands[0][0]}: exits {[code for code, _ in results]}")  # --hypothesis-show-statistics: how often one was refused
    return results


def _one_line_or_success(code: int, stderr: str, case: Case) -> None:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("warning: ")]
    assert "Traceback" not in stderr and "internal error" not in stderr, f"{stderr}\n{case.shown()}"
    assert code in (0, 1), f"exit {code}: {stderr}\n{case.shown()}"
    if code == 1:
        assert len(lines) == 1, f"not one line: {stderr!r}\n{case.shown()}"


def _left_over(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "out").rglob("*") if p.name.endswith((".part", ".lock")))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same_run(audio: Path, case: Case) -> None:
    """The audio, its manifest, its transcript and its review page are one run's."""
    check_audio(audio, case)
    manifest = json.loads(audio.with_name(audio.stem + ".manifest.json").read_text(encoding="utf-8"))
    assert manifest["output"]["sha256"] == _sha256(audio) and manifest["output"]["bytes"] == audio.stat().st_size, case.shown()
    said = [name for name in NAMES if name in audio.with_name(audio.stem + ".vtt").read_text(encoding="utf-8")]
    assert len(said) == 1, case.shown()
    page = audio.with_name(audio.stem + ".html")
    if page.exists():
        assert said[0] in page.read_text(encoding="utf-8") and NAMES[1 - NAMES.index(said[0])] not in page.read_text(encoding="utf-8")


@budget(2, 60)
@given(st.sampled_from(["wav", "mp3"]), st.floats(0.0, 0.6), st.booleans())
def test_two_renders_into_one_file(fmt, delay_s, review):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "s.md").write_text(SCRIPT, encoding="utf-8")
        (folder / "out").mkdir()
        extra = ["--sidecars", "vtt,manifest", *(["--report"] if review else [])]
        commands = [["render", "s.md", "--engine", "fake", "-o", f"out/s.{fmt}", "--var", f"name={n}", *extra] for n in NAMES]
        case = Case({"s.md": SCRIPT.encode()}, commands[0] + ["|", *commands[1], f"delay {delay_s:.2f}s"])
        results = _together(commands, folder, delay_s)
        for code, stderr in results:
            _one_line_or_success(code, stderr, case)
        assert any(code == 0 for code, _ in results), f"{results}\n{case.shown()}"
        _same_run(folder / "out" / f"s.{fmt}", case)
        assert _left_over(folder) == [], case.shown()


@budget(1, 40)
@given(st.floats(0.0, 0.6), st.sampled_from([["--force"], []]))
def test_two_batches_into_one_folder(delay_s, force):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "s.md").write_text(SCRIPT, encoding="utf-8")
        (folder / "r.csv").write_text("client_id,technique,name\na,s.md,Alpha\nb,s.md,Bravo\n", encoding="utf-8")
        command = ["batch", "r.csv", "-o", "out", "--engine", "fake", "--workers", "1", "--format", "wav", "--date", "2026-01-01"]
        command += ["--sidecars", "vtt", *force]
        case = Case({"s.md": SCRIPT.encode()}, command + [f"twice, delay {delay_s:.2f}s"])
        results = _together([command, command], folder, delay_s)
        for code, stderr in results:
            _one_line_or_success(code, stderr, case)
        assert any(code == 0 for code, _ in results), f"{results}\n{case.shown()}"
        rows = json.loads((folder / "out" / "report.json").read_text(encoding="utf-8"))["rows"]
        assert [row["status"] for row in rows] in (["rendered"] * 2, ["up to date"] * 2), f"{rows}\n{case.shown()}"
        for client in ("a", "b"):
            _same_run(folder / "out" / f"{client}-two-2026-01-01.wav", case)
        assert _left_over(folder) == [], case.shown()
