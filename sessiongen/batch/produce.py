"""A whole batch, from roster to reports: validate every row, skip the rows that are up to date,
speak the shared phrases once, render the rest where asked, and write what happened.

The command line calls `produce` and prints the `BatchResult`; nothing here prints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sessiongen.batch import outputs, runlog, stopping
from sessiongen.batch.execute import BatchInterrupted, executor_for, run
from sessiongen.batch.jobs import Job, speak_ahead
from sessiongen.batch.reports import REPORT_CSV, write_all
from sessiongen.batch.roster import read_roster
from sessiongen.batch.validate import BatchOptions, check_job, up_to_date, validate
from sessiongen.model.outcome import Outcome
from sessiongen.output.files import one_writer
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
    stop_status: int = 0  # stopped by a signal: 128 + its number (130 for Ctrl-C), the command's exit status

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

    def refused(self, outcomes: list[Outcome]) -> None:
        """Rows found invalid, told before any row renders (every row is checked first)."""


def produce(roster: Path, options: BatchOptions, how: RunOptions = RunOptions(), watch: Watch | None = None) -> BatchResult:
    """Every row of the roster, validated, then checked (dry run) or rendered; the reports written.
    Every file the batch writes is decided first (outputs.plan): a row that would overwrite
    another's file is invalid. A stop (Ctrl-C, SIGTERM, SIGHUP) stops every worker, then writes
    reports that match the files on disk."""
    watch = watch or Watch()
    jobs, invalid = validate(roster, read_roster(roster), options)
    planned = outputs.plan(jobs, options.out_dir, index=how.index and not how.dry_run)
    jobs, invalid = planned.jobs, sorted(invalid + planned.clashing, key=lambda o: o.row)
    make_folder(options.out_dir)
    with one_writer(options.out_dir, "this batch's folder"), runlog.run_log(options.out_dir) as log_file:
        log.info("batch of %d rows%s", len(jobs) + len(invalid), " (dry run)" if how.dry_run else "")
        log.debug("roster %s, output folder %s", roster, options.out_dir)
        for outcome in invalid:
            runlog.row_finished(outcome)
        watch.refused(invalid)
        if how.dry_run:
            return _finish(options.out_dir, invalid + [_checked(job) for job in jobs], "checked", log_file)
        outcomes, stop_status = _produce(jobs, how, watch)
        verb = "interrupted" if stop_status else "rendered"
        return _finish(
            options.out_dir,
            invalid + outcomes,
            verb,
            log_file,
            index=how.index and not stop_status,
            playlists=planned.playlists,
            stop_status=stop_status,
        )


def _produce(jobs: list[Job], how: RunOptions, watch: Watch) -> tuple[list[Outcome], int]:
    """Every valid row's outcome, and 0 or the exit status of the signal that stopped the batch."""
    outcomes: dict[int, Outcome] = {}

    def finished(outcome: Outcome) -> None:
        outcomes[outcome.row] = outcome
        runlog.row_finished(outcome)

    try:
        todo = []
        for job in jobs:
            fresh = None if how.force else up_to_date(job)
            finished(fresh) if fresh is not None else todo.append(job)
        phrases: dict = {}  # each row's spoken phrases, sent with it to a Dask cluster
        todo, unspoken = speak_ahead(todo, phrases if how.dask_address else None)
        for outcome in unspoken:
            finished(outcome)
        watch.refused(unspoken)
        _render(todo, how, watch, finished, phrases)
        return [outcomes[job.row] for job in jobs], 0
    except (KeyboardInterrupt, BatchInterrupted) as stop:
        log.info("stopped by %s", stopping.why(stop))
        settled = stopping.settle(jobs, outcomes, stopping.why(stop), how.force)
        for outcome in settled:
            if outcome.row not in outcomes:
                runlog.row_finished(outcome)
        return settled, stopping.exit_status(stop)


def _render(todo: list[Job], how: RunOptions, watch: Watch, finished, phrases: dict) -> None:
    def done(outcome: Outcome) -> None:
        finished(outcome)
        watch.finished(outcome)

    watch.starting(len(todo))
    with executor_for(len(todo), how.workers, how.dask_address, live_progress=watch.live) as (executor, progress_queue):
        run(todo, executor, done, watch.progress, progress_queue, phrases)


def _checked(job: Job) -> Outcome:
    outcome = check_job(job)
    runlog.row_finished(outcome)
    return outcome


def _finish(
    out_dir: Path,
    outcomes: list[Outcome],
    verb: str,
    log_file: Path,
    index: bool = False,
    playlists: dict[str, Path] | None = None,
    stop_status: int = 0,
) -> BatchResult:
    try:
        write_all(out_dir, outcomes, index=index, playlists=playlists)
    except KeyboardInterrupt as stop:  # the reports must match the disk: written whole, then the batch stops
        write_all(out_dir, outcomes, index=index, playlists=playlists)
        stop_status = stop_status or stopping.exit_status(stop)
    result = BatchResult(outcomes, verb, out_dir / REPORT_CSV, log_file, stop_status)
    log.info("%s: %s", verb, ", ".join(f"{n} {status}" for status, n in result.counts.items()))
    return result
