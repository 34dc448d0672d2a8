"""The run's log file, OUT_DIR/batch.log: what each run did (INFO) and, for a row that failed by
a bug, its traceback naming the row and client_id. Appended to, run after run.

Log lines name rows by number and status only; client names, safe places and other values are
never logged at INFO. A traceback is written as Python gives it (an exception's message may
quote a value), to this file only: stderr shows the row's one-line error.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from sessiongen.model.outcome import Outcome

LOG_NAME = "batch.log"
PACKAGE = logging.getLogger("sessiongen")
TRACEBACKS = logging.getLogger("sessiongen.batch.tracebacks")
TRACEBACKS.propagate = False  # to the log file only, never to the terminal
TRACEBACKS.addHandler(logging.NullHandler())  # outside a run: nowhere (not Python's last-resort stderr)

log = logging.getLogger(__name__)


@contextlib.contextmanager
def run_log(out_dir: Path):
    """While a batch runs: sessiongen's INFO messages and the rows' tracebacks go to OUT_DIR/batch.log."""
    handler = logging.FileHandler(out_dir / LOG_NAME, encoding="utf-8", delay=True)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = PACKAGE.level
    if PACKAGE.getEffectiveLevel() > logging.INFO:
        PACKAGE.setLevel(logging.INFO)  # the terminal's handler keeps its own level
    PACKAGE.addHandler(handler)
    TRACEBACKS.addHandler(handler)
    try:
        yield out_dir / LOG_NAME
    finally:
        TRACEBACKS.removeHandler(handler)
        PACKAGE.removeHandler(handler)
        PACKAGE.setLevel(previous)
        handler.close()


def row_finished(outcome: Outcome) -> None:
    """A row's status in the log; its traceback too if a bug failed it."""
    log.info("row %d: %s%s", outcome.row, outcome.status, f" in {outcome.seconds:.1f} s" if outcome.seconds else "")
    for warning in outcome.warnings:
        log.info("row %d: warning: %s", outcome.row, warning)
    if outcome.trace:
        TRACEBACKS.error("row %d (client_id %s) failed with an internal error:\n%s", outcome.row, outcome.client_id, outcome.trace.rstrip())
        log.debug("row %d's traceback:\n%s", outcome.row, outcome.trace.rstrip())
