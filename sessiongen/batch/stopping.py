"""Stopping a batch: every worker stopped, its temporary files removed, before the report is written.

In the parent, a stop is a KeyboardInterrupt (Ctrl-C, or SIGTERM/SIGHUP translated by the CLI).
The parent then stops the workers itself, so one path serves every signal:

- local worker processes ignore SIGINT (a terminal's Ctrl-C reaches them too; the parent
  decides) and stop on SIGTERM or SIGHUP: a row in progress unwinds (atomic writes remove their
  temporary files), its speech worker processes are killed, and the process exits at once;
- the parent cancels the rows not started, sends SIGTERM to every worker, waits up to
  STOP_TIMEOUT_S for them to end, and kills any still running;
- on a Dask cluster, rows not started are cancelled and a stop event is set: a row in progress
  checks it as it renders and unwinds the same way.

Only then are the outcomes collected: a row is reported done only if its worker said so or its
files are complete on disk, and no stopped row's file can appear afterwards.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from concurrent.futures import Executor

from sessiongen import pipeline, signals
from sessiongen.batch import jobs as work  # work.render_job, looked up at each call
from sessiongen.batch.jobs import Job
from sessiongen.batch.validate import up_to_date
from sessiongen.model.outcome import Outcome, Status
from sessiongen.output.files import remove_temporaries
from sessiongen.speech import isolated

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0  # how long stopped workers get to clean up before they are killed
DASK_CHECK_S = 1.0  # how often a row on a Dask cluster asks whether the batch was stopped
STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class WorkerStopped(SystemExit):
    """Raised in a local worker process's row by SIGTERM or SIGHUP."""


class RowStopped(BaseException):
    """Raised in a row on a Dask cluster when the batch was stopped (passes every `except Exception`)."""


def why(stop: BaseException) -> str:
    """What stopped the batch, for the report: 'Ctrl-C', 'SIGTERM', 'SIGHUP'."""
    return getattr(stop, "signal_name", "Ctrl-C")


def exit_status(stop: BaseException) -> int:
    return getattr(stop, "exit_status", 130)


def worker_start() -> None:
    """A local worker process's initializer: the parent decides when to stop (SIGTERM, SIGHUP),
    and a parent killed outright (kill -9) stops it too."""
    signals.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in STOPPING_SIGNALS:
        signal.signal(number, _stop_worker)


_rendering = False  # in a local worker: a row is rendering (a stop unwinds it), or none is


def _stop_worker(signum: int, frame) -> None:
    for number in STOPPING_SIGNALS:
        signal.signal(number, signal.SIG_IGN)  # once: the cleanup is not interrupted again
    if not _rendering:  # between rows the pool's own code runs: it would catch the exit, send it
        isolated.stop_all()  # back as a result and wait for the next row, deaf to the parent
        os._exit(128 + signum)
    raise WorkerStopped(128 + signum)


def in_worker(job: Job, progress_queue=None, stop_event: str | None = None) -> Outcome:
    """One row in a worker: a local worker that is stopped cleans up and exits at once; a row on a
    Dask cluster that is stopped (before it starts, or as it renders) is reported interrupted."""
    global _rendering
    try:
        _rendering = True
        if stop_event is not None:
            progress_queue = _DaskStopCheck(stop_event, progress_queue)
            progress_queue.check()
        return work.render_job(job, progress_queue)
    except WorkerStopped as stop:  # the row's temporary files are gone: stop its speech, and go
        isolated.stop_all()
        os._exit(stop.code)
    except RowStopped:
        return job.outcome(Status.INTERRUPTED, "stopped")
    finally:
        _rendering = False


class _DaskStopCheck:
    """Stands in for the progress queue of a row on a Dask cluster: raises RowStopped once the
    batch's stop event is set (asked at most every DASK_CHECK_S)."""

    def __init__(self, name: str, progress_queue=None):
        self.name, self.progress_queue, self.checked = name, progress_queue, float("-inf")

    def check(self) -> None:
        from distributed import Event

        self.checked = time.monotonic()
        if Event(self.name).is_set():
            raise RowStopped

    def put(self, item) -> None:
        if time.monotonic() - self.checked >= DASK_CHECK_S:
            self.check()
        if self.progress_queue is not None:
            self.progress_queue.put(item)


def stop_event_for(executor: Executor) -> str | None:
    """A fresh stop event's name for a Dask executor; None for local worker processes."""
    return f"sessiongen-stop-{uuid.uuid4().hex}" if getattr(executor, "_client", None) is not None else None


def stop(executor: Executor, futures, stop_event: str | None) -> None:
    """Stop the rows in progress (and with them every row not started); returns when no worker of
    ours is running any more (local processes), or when every row has answered (Dask; rows
    still silent after STOP_TIMEOUT_S are cancelled, and stop at their next check)."""
    if stop_event is not None:
        _stop_dask(executor, futures, stop_event)
        return
    # No future is cancelled here: stopping the workers breaks the pool, and its manager thread then
    # fails every row not finished (BrokenProcessPool; settle() reports them interrupted). Python
    # 3.11's manager thread raised InvalidStateError on a future cancelled before that, and printed
    # its traceback to the user (seen under load: issue 28, class 6).
    _stop_processes(list((getattr(executor, "_processes", None) or {}).values()))
    # Every worker has ended: the pool's manager thread fails the rows left and ends too. Waiting
    # for it here keeps it from closing its wake-up pipe while the interpreter, exiting, writes to
    # that pipe (Python 3.11 then printed 'OSError: Bad file descriptor' with a traceback).
    executor.shutdown(wait=True)


STOPPED_PIDS: set[int] = set()  # the worker processes this run stopped: their temporary files are removed


def _stop_processes(processes) -> None:
    STOPPED_PIDS.update(p.pid for p in processes if p.pid)
    for process in signals.still_running(processes, 0.0):
        process.terminate()  # SIGTERM: the worker removes its temporary files and exits
    stragglers = signals.still_running(processes, STOP_TIMEOUT_S)
    for process in stragglers:
        log.warning("worker process %d did not stop within %g s: killed", process.pid, STOP_TIMEOUT_S)
        process.kill()
    signals.still_running(stragglers, 2.0)
    log.info("stopped %d worker process(es)", len(processes))


def _stop_dask(executor: Executor, futures, stop_event: str) -> None:
    from distributed import Event

    client = executor._client
    Event(stop_event, client=client).set()  # rows not started answer at once, rows in progress at their next check
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(not f.done() for f in futures) and time.monotonic() < deadline:
        time.sleep(0.1)
    silent = [f for f in futures if not f.done()]
    if silent:
        log.warning("%d row(s) on the Dask cluster did not answer within %g s: cancelled", len(silent), STOP_TIMEOUT_S)
        client.cancel(silent, force=True)


def settle(jobs: list[Job], outcomes: dict[int, Outcome], stopped_by: str, force: bool) -> list[Outcome]:
    """Every row's outcome after a stop, as the disk shows it once no worker runs: a row without
    an outcome is done if its recording and manifest are complete and match its inputs (it
    finished as the batch stopped), else interrupted, and any temporary file of its is removed
    (a worker killed before its own cleanup leaves them)."""
    isolated.stop_all()  # this process's speech workers (speaking ahead)
    settled = []
    for job in jobs:
        outcome = outcomes.get(job.row)
        if outcome is None or outcome.status == Status.INTERRUPTED:
            for _, path in pipeline.delivery_targets(job.output, job.packaging):
                remove_temporaries(path, pids=STOPPED_PIDS)
            outcome = up_to_date(job) or job.outcome(Status.INTERRUPTED, f"stopped by {stopped_by}")
            if outcome.status == Status.UP_TO_DATE and not force:
                outcome.status = Status.RENDERED  # it was not up to date when the batch began
        settled.append(outcome)
    return settled
