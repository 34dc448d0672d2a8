"""Long work off the server: each render or batch runs in its own worker process, at most one per
core at a time (others wait their turn), so the server never blocks. While a session is being
composed, its phrases are spoken ahead into the phrase cache the same way (`speak_ahead`), and
stopped as soon as a render or batch is asked for.

Workers report through one multiprocessing queue: `(job id, {"fraction": ...})`, a batch row's
progress, and finally `{"status": "done", "result": ...}` or `{"status": "failed", "error": ...}`.
A reader thread folds the messages into each `Job`, which pages and the progress stream read.
Cancelling terminates the worker (SIGTERM): a render unwinds and its atomic writes remove their
temporary files, a batch stops its own workers and writes its report, as on the command line;
then any `.part` file left of the job's targets is removed here too.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sessiongen import signals
from sessiongen.output.files import remove_temporaries

log = logging.getLogger(__name__)

FINAL = ("done", "failed", "cancelled")
STOP_WAIT_S = 15.0
LAST_WORD_S = 10.0  # how long a worker that ended well may take to be heard saying so


@dataclass
class Job:
    id: str
    kind: str  # "render", "batch" or "speak" (phrases spoken ahead)
    status: str = "queued"  # queued, running, done, failed, cancelled
    fraction: float = 0.0
    error: str = ""
    result: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)  # a batch: row number -> {"fraction", "status", "error"}
    targets: tuple = ()  # files the job writes: their temporaries are removed if it is cancelled
    record: Path | None = None  # where the finished job's summary is kept (render.json, batch.json)
    version: int = 0  # bumped at every change, so a progress stream sends only news
    process: object = field(default=None, repr=False)
    cancelled: bool = False
    key: str = ""  # a "speak" job: what it speaks (the same choice is not spoken twice)

    def snapshot(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "fraction": round(self.fraction, 4),
            "error": self.error,
            "result": self.result,
            "rows": self.rows,
            "version": self.version,
        }


class Jobs:
    """The studio's worker processes: `submit`, `get`, `cancel`, `close`."""

    def __init__(self, workers: int | None = None):
        self.context = multiprocessing.get_context("spawn")
        self.messages = self.context.Queue()
        self.slots = threading.BoundedSemaphore(max(1, workers or os.cpu_count() or 1))
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.closing = False
        threading.Thread(target=self._read, name="studio-progress", daemon=True).start()

    def submit(self, kind: str, task, targets=(), record: Path | None = None, job_id: str | None = None, key: str = "") -> Job:
        if kind in ("render", "batch"):
            self.stop_speaking()
        job = Job(job_id or new_id(), kind, targets=tuple(targets), record=record, key=key)
        with self.lock:
            self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, task), name=f"studio-{kind}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def running(self, kind: str) -> list[Job]:
        return [j for j in self.jobs.values() if j.kind == kind and j.status not in FINAL]

    def speak_ahead(self, key: str, task) -> Job:
        """Speak a composed session's phrases into the cache in the background, one choice at a
        time: a new choice stops the one before (what it spoke stays cached)."""
        for job in self.running("speak"):
            if job.key == key:
                return job
            self.cancel(job.id)
        return self.submit("speak", task, key=key)

    def stop_speaking(self) -> None:
        """A render or batch was asked for: it speaks what it still lacks itself, with every core."""
        for job in self.running("speak"):
            self.cancel(job.id)

    def cancel(self, job_id: str) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.status in FINAL:
            return False
        job.cancelled = True
        process = job.process
        if process is not None and process.is_alive():
            process.terminate()  # SIGTERM: the worker unwinds as the command line does on Ctrl-C
        self._update(job, status="cancelled") if process is None else None
        return True

    def close(self) -> None:
        """Stop every worker (the studio is quitting); their temporary files are removed."""
        self.closing = True
        for job in list(self.jobs.values()):
            self.cancel(job.id)
        started = [job.process for job in list(self.jobs.values()) if job.process is not None]
        stragglers = signals.still_running(started, STOP_WAIT_S)  # each job's thread reaps its own
        for process in stragglers:
            process.kill()
        signals.still_running(stragglers, 2.0)
        for job in list(self.jobs.values()):
            _clean(job)

    def _run(self, job: Job, task) -> None:
        from sessiongen.studio import work  # the worker's entry point, importable after spawn

        with self.slots:
            if job.cancelled or self.closing:
                self._update(job, status="cancelled")
                return
            process = self.context.Process(target=work.run, args=(job.id, task, self.messages), daemon=False)
            process.start()
            job.process = process  # only a started one: close() joins it (a job submitted as the studio closes)
            self._update(job, status="running")
            if job.cancelled:  # cancelled as it started
                process.terminate()
            process.join()
        deadline = time.monotonic() + (LAST_WORD_S if process.exitcode == 0 else 0.5)
        while job.status not in FINAL and time.monotonic() < deadline:
            time.sleep(0.05)  # the last messages arrive through the queue's feeder thread
        if job.status not in FINAL:
            self._update(
                job,
                status="cancelled" if job.cancelled else "failed",
                error="" if job.cancelled else f"internal error: the worker ended unexpectedly (exit {process.exitcode})",
            )
        if job.status == "cancelled":
            _clean(job)

    def _read(self) -> None:
        while True:
            try:
                job_id, message = self.messages.get(timeout=1.0)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            job = self.jobs.get(job_id)
            if job is not None:
                self._apply(job, message)

    def _apply(self, job: Job, message: dict) -> None:
        if "row" in message:
            row = job.rows.setdefault(str(message["row"]), {"fraction": 0.0, "status": "rendering", "error": ""})
            row.update({k: v for k, v in message.items() if k != "row"})
            self._update(job)
        elif job.cancelled and message.get("status") in ("done", "failed"):
            self._update(job, status="cancelled")
        else:
            self._update(job, **message)

    def _update(self, job: Job, **changes) -> None:
        with self.lock:
            for name, value in changes.items():
                setattr(job, name, value)
            job.version += 1


def new_id() -> str:
    """A job's id: sortable by time, unguessable enough to be no one's name."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]


def started(job_id: str) -> str:
    """When a job began, readably ('7 Dec 2026, 18:15'), from its id; '' for an id of another form."""
    try:
        when = time.strptime(job_id[:15], "%Y%m%d-%H%M%S")
    except ValueError:
        return ""
    return f"{when.tm_mday} {time.strftime('%b %Y, %H:%M', when)}"


def _clean(job: Job) -> None:
    for target in job.targets:
        remove_temporaries(target)
