"""Where rows render: in this process, in local worker processes, or on a Dask cluster; and the
loop that hands rows out, collects their outcomes and forwards their progress."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import time
from concurrent.futures import Executor, ProcessPoolExecutor

from sessiongen.batch import cluster, stopping
from sessiongen.batch import jobs as work  # work.render_job, looked up at each call (tests replace it)
from sessiongen.batch.jobs import Job
from sessiongen.errors import SessiongenError
from sessiongen.model.outcome import Outcome, Status

log = logging.getLogger(__name__)


class BatchInterrupted(Exception):
    """Ctrl-C (or SIGTERM, SIGHUP) during a batch, once every worker has stopped; `outcomes` has
    every row, the unfinished ones interrupted; `exit_status` is 128 + the signal's number."""

    def __init__(self, outcomes: list[Outcome], exit_status: int = 130, signal_name: str = "Ctrl-C"):
        super().__init__("interrupted")
        self.outcomes, self.exit_status, self.signal_name = outcomes, exit_status, signal_name


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def local_executor(workers: int) -> Executor | None:
    """Worker processes; None for one worker (rows then render in this process, one by one)."""
    if workers <= 1:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=stopping.worker_start)


def dask_executor(address: str) -> Executor:
    """Rows sent to an existing Dask distributed cluster (the optional extra sessiongen[dask])."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise SessiongenError("--dask needs the optional extra: pip install 'sessiongen[dask]'") from exc
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SessiongenError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    return client.get_executor()


def shutdown(executor: Executor | None) -> None:
    """Stop an executor without waiting; Dask's executor does not take cancel_futures."""
    if executor is None:
        return
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:
        executor.shutdown(wait=False)
    client = getattr(executor, "_client", None)
    if client is not None:
        client.close()


@contextlib.contextmanager
def executor_for(rows: int, workers: int, dask_address: str | None = None, live_progress: bool = False):
    """(executor, progress queue) for `rows` rows: None for the executor renders here; a queue
    (from a multiprocessing manager) only for local worker processes whose progress is shown."""
    executor = dask_executor(dask_address) if dask_address else local_executor(min(workers, max(1, rows)))
    manager = multiprocessing.Manager() if executor is not None and not dask_address and live_progress else None
    log.info("rendering %d rows %s", rows, f"on {dask_address}" if dask_address else f"with {workers if executor else 1} worker(s)")
    try:
        yield executor, (manager.Queue() if manager else None)
    finally:
        shutdown(executor)
        if manager is not None:
            manager.shutdown()


class _Immediate:
    """Stands in for a progress queue when rows render in this process: reports at once."""

    def __init__(self, on_progress):
        self.on_progress = on_progress or (lambda row, fraction: None)

    def put(self, item) -> None:
        self.on_progress(*item)


def run(
    todo: list[Job], executor: Executor | None, on_done=None, on_progress=None, progress_queue=None, phrases: dict | None = None
) -> list[Outcome]:
    """Render every job; `on_done(outcome)` as each finishes. A stop (Ctrl-C, SIGTERM, SIGHUP)
    stops every worker, then raises BatchInterrupted with every row's outcome.

    With no executor, rows render one by one in this process; on a Dask cluster, each row's
    inputs and `phrases` (row -> the cache entries it reads) travel with it (batch/cluster.py)."""
    outcomes: dict[int, Outcome] = {}
    try:
        if executor is None:
            for job in todo:
                outcomes[job.row] = work.render_job(job, _Immediate(on_progress))
                if on_done:
                    on_done(outcomes[job.row])
        elif getattr(executor, "_client", None) is not None:
            cluster.run(todo, executor, phrases or {}, outcomes, on_done)
        else:
            _run_parallel(todo, executor, outcomes, on_done, on_progress, progress_queue)
    except KeyboardInterrupt as stop:
        for job in todo:
            outcomes.setdefault(job.row, job.outcome(Status.INTERRUPTED, f"stopped by {stopping.why(stop)}"))
        raise BatchInterrupted([outcomes[job.row] for job in todo], stopping.exit_status(stop), stopping.why(stop)) from None
    return [outcomes[job.row] for job in todo]


def _run_parallel(todo, executor, outcomes, on_done, on_progress, progress_queue) -> None:
    stop_event = stopping.stop_event_for(executor)
    futures: dict = {}
    try:
        for job in todo:
            futures[executor.submit(stopping.in_worker, job, progress_queue, stop_event)] = job
        pending = set(futures)
        while pending:
            done = {f for f in pending if f.done()}
            for future in done:
                _collect(future.result(), outcomes, on_done)
            pending -= done
            if progress_queue is not None and not _drain(progress_queue, on_progress):
                progress_queue = None
            if pending and not done:
                time.sleep(0.1)
    except KeyboardInterrupt:
        stopping.stop(executor, futures, stop_event)
        for future in futures:  # what finished before every worker stopped
            if future.done() and not future.cancelled() and future.exception() is None and future.result().row not in outcomes:
                _collect(future.result(), outcomes, on_done)
        raise


def _collect(outcome: Outcome, outcomes: dict[int, Outcome], on_done) -> None:
    outcomes[outcome.row] = outcome
    if on_done:
        on_done(outcome)


def _drain(progress_queue, on_progress) -> bool:
    """Forward the workers' progress. False if that failed: the progress display stops, not the batch."""
    try:
        while not progress_queue.empty():
            row, fraction = progress_queue.get_nowait()
            if on_progress:
                on_progress(row, fraction)
    except queue.Empty:
        pass  # emptied between the check and the get
    except Exception as exc:  # a broken manager connection, or a bug in the display
        log.warning("progress updates stopped (%s: %s); rows go on rendering", type(exc).__name__, exc)
        log.debug("where the progress updates failed:", exc_info=True)
        return False
    return True
