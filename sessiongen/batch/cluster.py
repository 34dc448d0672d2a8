"""Rows on a Dask cluster: each row's task packed as it is sent (a few per worker thread in
flight, so a long roster's inputs and phrases are not all held at once), its files written here
as it comes back (batch/remote.py), and the cluster's faults reported:

- a worker that dies during a row (killed, out of memory): the scheduler gives the row to another
  worker, up to its `distributed.scheduler.allowed-failures` times (start the scheduler with
  DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1 for one retry), then the row is failed;
- a scheduler that goes away (unreachable for LOST_AFTER_S): the batch stops like a Ctrl-C, its
  report matching the files on disk, and exits 1;
- Ctrl-C (or SIGTERM, SIGHUP): the cluster's tasks are stopped (batch/stopping.py).
"""

from __future__ import annotations

import logging
import time
import warnings
from concurrent.futures import CancelledError, Executor

from sessiongen.batch import remote, stopping
from sessiongen.batch.jobs import Job, internal_error
from sessiongen.errors import SessiongenError
from sessiongen.model.outcome import Outcome, Status

log = logging.getLogger(__name__)

IN_FLIGHT_PER_THREAD = 2
LOST_AFTER_S = 20.0  # the scheduler unreachable this long: the batch stops


class ClusterLost(KeyboardInterrupt):
    """The Dask scheduler went away: the batch stops as for Ctrl-C, and exits 1."""

    signal_name = "the Dask scheduler going away"
    exit_status = 1


def run(todo: list[Job], executor: Executor, phrases: dict, outcomes: dict[int, Outcome], on_done) -> None:
    """Every row rendered on the cluster; `phrases`: each row's spoken phrases (row -> cache
    entries), sent with it. A stop stops the cluster's tasks, then raises."""
    client = executor._client
    stop_event = stopping.stop_event_for(executor)
    waiting, futures, pending = list(todo), {}, set()
    watch = _Watch(client)

    def collect(outcome: Outcome) -> None:
        outcomes[outcome.row] = outcome
        if on_done:
            on_done(outcome)

    try:
        while waiting or pending:
            while waiting and len(pending) < watch.window():
                job = waiting.pop(0)
                future = _submit(executor, job, phrases.get(job.row), stop_event, collect)
                if future is not None:
                    futures[future] = job
                    pending.add(future)
            done = {f for f in pending if f.done()}
            for future in done:
                collect(_outcome(future, futures[future], client))
            pending -= done
            watch.check()
            if pending and not done:
                time.sleep(0.1)
    except KeyboardInterrupt as stop:
        if not isinstance(stop, ClusterLost):
            stopping.stop(executor, futures, stop_event)
        for future, job in futures.items():  # what came back before every task stopped
            if future.done() and not future.cancelled() and future.exception() is None and job.row not in outcomes:
                collect(_outcome(future, job, client))
        raise


def _submit(executor: Executor, job: Job, phrases, stop_event: str | None, collect):
    """The row's task sent; None when its inputs cannot be read here (the row failed)."""
    try:
        parcel = remote.pack(job, phrases)
    except SessiongenError as exc:
        collect(job.outcome(Status.FAILED, str(exc)))
        return None
    except OSError as exc:
        collect(job.outcome(Status.FAILED, f"{exc.filename or job.script_ref}: cannot be read ({exc.strerror})"))
        return None
    with warnings.catch_warnings():  # a row's phrases are several MB: Dask's advice to load data on the workers does not apply
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        return executor.submit(remote.render_parcel, parcel, stop_event)


def _outcome(future, job: Job, client) -> Outcome:
    """A finished task's row: its files written here, or why it failed. A task cancelled because
    the scheduler went away (the client cancels every task it loses) stops the batch."""
    from distributed import KilledWorker

    try:
        return remote.receive(future.result())
    except CancelledError:
        if client.status != "running":
            raise ClusterLost from None
        return job.outcome(Status.FAILED, "cancelled on the Dask cluster (by someone else)")
    except KilledWorker as exc:
        return job.outcome(Status.FAILED, f"the Dask worker rendering it ended (killed, or out of memory) and the retry failed too: {exc}")
    except Exception as exc:  # a task's own failure (e.g. sessiongen missing or too old on a worker)
        return internal_error(job.outcome(), exc)


class _Watch:
    """How many rows to keep in flight, and whether the scheduler is still there."""

    def __init__(self, client):
        self.client, self.away_since, self.threads = client, None, 0

    def window(self) -> int:
        if not self.threads:
            try:
                self.threads = sum(self.client.nthreads().values())
            except Exception:  # the scheduler is not answering: check() decides
                return 1
        return max(2, IN_FLIGHT_PER_THREAD * self.threads)

    def check(self) -> None:
        if self.client.status == "running":
            self.away_since = None
            return
        self.threads = 0
        self.away_since = self.away_since or time.monotonic()
        if time.monotonic() - self.away_since > LOST_AFTER_S:
            log.warning("the Dask scheduler has not answered for %g s (client %s): stopping", LOST_AFTER_S, self.client.status)
            raise ClusterLost
