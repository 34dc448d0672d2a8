"""A 10,000-row roster (issue 28, class 9): a bad last row is shown before any row renders (every
row is checked first), and a stop is one summary line, not a line per row. Real processes, a real
Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from helpers import script_text
from test_signals import finish, send, start

ROWS = 10_000


def _roster(folder: Path, bad: str = "rain-of-frogs") -> Path:
    (folder / "tiny.md").write_text(script_text("Hello {{ name }}.\n", id="tiny", duration="3s", extra="variables:\n  name: friend\n"))
    lines = ["client_id,technique,name,engine,bls,ambience"]
    lines += [f"c{i},tiny.md,Sam {i},fake,false,none" for i in range(1, ROWS)]
    lines.append(f"c{ROWS},tiny.md,Sam,fake,false,{bad}")
    roster = folder / "roster.csv"
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return roster


def test_a_bad_last_row_is_shown_before_any_row_renders_and_a_stop_is_one_line(tmp_path):
    roster, out = _roster(tmp_path), tmp_path / "out"
    process = start(["batch", str(roster), "-o", str(out), "--workers", "1", "--format", "wav"], tmp_path)
    watchdog = threading.Timer(120, process.kill)  # without the early report the line comes only at the very end
    watchdog.start()
    try:
        first = process.stderr.readline()
        rendered = sorted(p.name for p in out.glob("*.wav")) if out.exists() else []
        assert first.startswith(f"row {ROWS} (c{ROWS}): invalid: column: ambience must be a bed name"), first
        assert rendered == []  # shown before any row rendered
        time.sleep(3)  # into speaking ahead: 9,999 rows' phrases, many seconds of work
        send(process, signal.SIGINT)
        status, rest = finish(process)
    finally:
        watchdog.cancel()
    lines = rest.strip().splitlines()
    assert status == 130, rest
    assert len(lines) == 2, lines  # the rows a stop interrupted, in one line; then how to resume
    assert lines[0] == "9,999 rows (1-9999) interrupted: stopped by Ctrl-C", lines
    assert lines[-1].startswith("interrupted: finished rows are kept")
    assert f"row {ROWS}" not in rest  # told once, at the start
