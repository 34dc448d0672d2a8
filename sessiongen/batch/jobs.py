"""One row's work: the job a valid row becomes, its speech spoken ahead, and its rendering.

`render_job` runs in a worker process (or in this one, with one worker). It never raises for a
row's problem: the row's outcome says what went wrong, and a bug's traceback travels with it to
the run's log file.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from sessiongen import offline, pipeline
from sessiongen.errors import SessiongenError
from sessiongen.model.outcome import Outcome, Status
from sessiongen.options.profile import Profile
from sessiongen.output.packaging import Packaging
from sessiongen.request import SessionRequest
from sessiongen.script import compose
from sessiongen.settings import Settings
from sessiongen.speech.cache import recording

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    row: int  # the row's number in the roster, counting data rows from 1
    client_id: str
    technique: str  # as the roster gives it
    script_ref: str  # what compose.load takes: an id, a composition, or a resolved path
    settings: Settings
    values: dict
    output: Path
    packaging: Packaging
    input_hash: str

    def request(self) -> SessionRequest:
        """The row as the one recipe (pipeline.render) takes it: its settings and values."""
        return SessionRequest(self.settings, Profile(), self.values, use_cache=True)

    def outcome(self, status: Status = Status.PENDING, error: str = "", **more) -> Outcome:
        return Outcome(self.row, self.client_id, self.technique, str(self.output), status, error, **more)


def speak_ahead(jobs: list[Job], read: dict | None = None) -> tuple[list[Job], list[Outcome]]:
    """Synthesise every row's missing phrases here, before any row renders: a phrase that many
    clients share is spoken once, by one pool of voice workers using every core, and the rows'
    workers then find all their speech in the cache. A row that cannot be planned (a length out of
    reach) is invalid, as `--dry-run` reports it; an internal error is a failure. `read`, when
    given, gets each row's cache entries (row -> paths), for workers elsewhere."""
    ready, failed = [], []
    with pipeline.cache_root(True) as root:
        for job in jobs:
            try:
                with recording() as entries:
                    pipeline.prepare(compose.load(job.script_ref, job.settings.language), job.values, job.settings, root)
                if read is not None:
                    read[job.row] = entries
                ready.append(job)
            except SessiongenError as exc:
                failed.append(job.outcome(Status.INVALID, str(exc)))  # as its dry run (check_job) finds it
            except Exception as exc:  # a bug in one row must not stop the others
                failed.append(internal_error(job.outcome(), exc))
    log.info("spoke ahead for %d rows (%d failed)", len(jobs), len(failed))
    return ready, failed


def render_job(job: Job, progress_queue=None) -> Outcome:
    """Render one row (in a worker process). Never raises for a user's problem: it reports it."""
    offline.guard()
    started = time.monotonic()
    outcome = job.outcome()
    report = (lambda fraction: progress_queue.put((job.row, fraction))) if progress_queue is not None else None
    try:
        result = pipeline.render(job.script_ref, job.request(), job.output, job.packaging, progress=report)
        outcome.status, outcome.duration_s = Status.RENDERED, result.rendered.timeline.duration_s
        outcome.warnings = tuple(result.warnings)
    except SessiongenError as exc:
        outcome.status, outcome.error = Status.FAILED, str(exc)
    except Exception as exc:  # a bug must not stop the other rows; it is reported like a failure
        internal_error(outcome, exc)
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome


def internal_error(outcome: Outcome, exc: Exception) -> Outcome:
    """A row failed by a bug: the one-line error of the reports, and the traceback for the log."""
    outcome.status, outcome.error = Status.FAILED, f"internal error: {type(exc).__name__}: {exc}"
    outcome.trace = "".join(traceback.format_exception(exc))
    return outcome
