"""Printing never fails a finished command: a reader that stops early, a terminal that cannot
show a name. Real processes, because both live in the real stdout (CliRunner replaces it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict:
    paths = [str(ROOT / "tests"), str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "SESSIONGEN_ENGINES": "fake=fake_engine:FakeEngine", **extra}


@pytest.mark.parametrize("args", [["voices"], ["techniques"], ["plan", "safe-place", "--engine", "fake"]])
def test_a_reader_that_stops_early_is_no_error(args, tmp_path):
    """`sessiongen voices | head`: the pipe is closed before the command writes a byte."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sessiongen", *args], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()  # the reader has gone: every write to stdout now meets a closed pipe
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert "error" not in stderr and "Traceback" not in stderr, stderr  # a warning (the fake voice's reach) may come


def test_a_name_the_terminal_cannot_show_is_replaced(tmp_path):
    script = tmp_path / "cyrillic.md"
    script.write_text("---\nid: cyrillic\ntitle: Сессия покоя\nduration: 1m\n---\nHello there.\n", encoding="utf-8")
    for args in (["plan", str(script), "--engine", "fake"], ["check", str(script)]):
        done = subprocess.run(
            [sys.executable, "-m", "sessiongen", *args],
            cwd=tmp_path,
            env=_env(PYTHONIOENCODING="latin-1"),
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode("latin-1")
        assert b"internal error" not in done.stderr
    plan = subprocess.run(
        [sys.executable, "-m", "sessiongen", "plan", str(script), "--engine", "fake"],
        cwd=tmp_path,
        env=_env(PYTHONIOENCODING="cp1252"),
        capture_output=True,
        timeout=120,
    )
    assert plan.returncode == 0 and plan.stdout.decode("cp1252").startswith("?????? ?????:"), plan.stderr
