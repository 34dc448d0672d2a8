"""The harness itself: a command past its bounds fails its case, and the worker comes back."""

from __future__ import annotations

import pytest

from fuzz.harness import WorkerDied
from fuzz.strategies import Case

SCRIPT = "---\nid: probe\ntitle: Probe\ncategory: grounding\nsummary: s\nduration: 1m\n---\n# A\nHello there.\n"


def test_a_hung_command_is_killed_and_the_next_runs_in_a_new_worker(worker, tmp_path):
    (tmp_path / "s.md").write_text(SCRIPT, encoding="utf-8")
    flaky = worker.scratch / "flaky"
    flaky.write_text("hang-always", encoding="utf-8")  # tests/fake_engine.py: FlakyEngine sleeps for an hour
    try:
        with pytest.raises(WorkerDied, match="no answer within 3 s"):
            worker.run(["render", "s.md", "--engine", "flaky", "--no-cache", "-o", "x.wav"], tmp_path, wall_s=3)
    finally:
        flaky.unlink()
    assert worker.proc is None
    assert worker.run(["check", "s.md"], tmp_path)["code"] == 0


def test_a_command_past_its_bounds_fails_with_the_input_shown(worker, tmp_path, monkeypatch):
    from fuzz import harness

    monkeypatch.setattr(harness, "PEAK_MB", -1)  # every command "grows" past this bound
    (tmp_path / "s.md").write_text(SCRIPT, encoding="utf-8")
    with pytest.raises(AssertionError, match=r"grew by .* MB(.|\n)*args: \['check', 's.md'\]"):
        harness.outcome(worker, Case({"s.md": b""}, ["check", "s.md"]), tmp_path)
