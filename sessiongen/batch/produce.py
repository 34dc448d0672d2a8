"""A whole batch, from roster to reports: validate every row, skip the rows that are up to date,
speak the shared phrases once, render the rest where asked, and write what happened.

The command line calls `produce` and prints the `BatchResult`; nothing here prints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sessiongen.batch import runlog
from sessiongen.batch.execute import BatchInterrupted, executor_for, run
from sessiongen.batch.jobs import Job, speak_ahead
from sessiongen.batch.outcome import Outcome
from sessiongen.batch.reports import REPORT_CSV, write_all
from sessiongen.batch.roster import read_roster
from sessiongen.batch.validate import BatchOptions, check_job, up_to_date, validate
from sessiongen.request import make_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How a batch runs (its rows' settings are in BatchOptions)."""

    workers: int = 1  # local worker processes; 1 renders in this process
    dry_run: bool = False  # validate and plan every row; render nothing
    force: bool = False  # render rows even when their output is up to date
    dask_address: str | None = None  # render on this Dask scheduler's workers instead
    index: bool = True  # write the review index (OUT_DIR/index.html) after rendering


@dataclass(frozen=True)
class BatchResult:
    outcomes: list[Outcome]  # one per roster row
    verb: str  # what was done: checked, rendered or interrupted
    report: Path  # OUT_DIR/report.csv
    log_file: Path  # OUT_DIR/batch.log

    @property
    def interrupted(self) -> bool:
        return self.verb == "interrupted"

    @property
    def counts(self) -> dict[str, int]:
        """How many rows have each status, by status in alphabetical order."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[str(outcome.status)] = counts.get(str(outcome.status), 0) + 1
        return dict(sorted(counts.items()))

    @property
    def problems(self) -> list[Outcome]:
        """The rows that did not succeed, in roster order."""
        return sorted((o for o in self.outcomes if not o.ok), key=lambda o: o.row)

    @property
    def internal_errors(self) -> int:
        return sum(bool(o.trace) for o in self.outcomes)


class Watch:
    """Told what happens while rows render (a progress display subclasses it)."""

    live = False  # True: rows in worker processes report their progress too (through a queue)

    def starting(self, rows: int) -> None:
        """Rendering begins: `rows` rows to render (after skipping those up to date)."""

    def finished(self, outcome: Outcome) -> None:
        """A row was rendered, or failed."""

    def progress(self, row: int, fraction: float) -> None:
        """A row is `fraction` rendered."""


def produce(roster: Path, options: BatchOptions, how: RunOptions = RunOptions(), watch: Watch | None = None) -> BatchResult:
    """Every row of the roster, validated, then checked (dry run) or rendered; the reports written."""
    watch = watch or Watch()
    jobs, invalid = validate(roster, read_roster(roster), options)
    make_folder(options.out_dir)
    with runlog.run_log(options.out_dir) as log_file:
        log.info("batch of %d rows%s", len(jobs) + len(invalid), " (dry run)" if how.dry_run else "")
        log.debug("roster %s, output folder %s", roster, options.out_dir)
        for outcome in invalid:
            runlog.row_finished(outcome)
        if how.dry_run:
            return _finish(options.out_dir, invalid + [_checked(job) for job in jobs], "checked", log_file)
        fresh = {} if how.force else {j.row: up_to_date(j) for j in jobs}
        done = invalid + [o for o in fresh.values() if o is not None]
        todo = [j for j in jobs if fresh.get(j.row) is None]
        if not how.dask_address:
            todo, unspoken = speak_ahead(todo)
            done += unspoken
        for outcome in done[len(invalid):]:
            runlog.row_finished(outcome)
        outcomes, verb = _render(todo, how, watch)
        return _finish(options.out_dir, done + outcomes, verb, log_file, index=how.index and verb == "rendered")


def _render(todo: list[Job], how: RunOptions, watch: Watch) -> tuple[list[Outcome], str]:
    def finished(outcome: Outcome) -> None:
        runlog.row_finished(outcome)
        watch.finished(outcome)

    watch.starting(len(todo))
    with executor_for(len(todo), how.workers, how.dask_address, live_progress=watch.live) as (executor, progress_queue):
        try:
            return run(todo, executor, finished, watch.progress, progress_queue), "rendered"
        except BatchInterrupted as stop:
            log.info("interrupted by Ctrl-C")
            return stop.outcomes, "interrupted"


def _checked(job: Job) -> Outcome:
    outcome = check_job(job)
    runlog.row_finished(outcome)
    return outcome


def _finish(out_dir: Path, outcomes: list[Outcome], verb: str, log_file: Path, index: bool = False) -> BatchResult:
    write_all(out_dir, outcomes, index=index)
    result = BatchResult(outcomes, verb, out_dir / REPORT_CSV, log_file)
    log.info("%s: %s", verb, ", ".join(f"{n} {status}" for status, n in result.counts.items()))
    return result
