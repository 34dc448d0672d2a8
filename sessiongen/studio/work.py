"""What runs in a studio worker process: one render, one batch, a composed session's phrases
spoken ahead into the phrase cache, or one voice's sample for the voice picker, by the library's
own functions.

`run` is the process's entry point. It never raises: what happened goes back through the queue
as the job's last message. A user's problem is its one-line SessiongenError; a stop (SIGTERM,
from Cancel or from the studio quitting) unwinds exactly as the command line does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sessiongen import offline
from sessiongen.errors import SessiongenError
from sessiongen.output.files import write_text_atomic
from sessiongen.output.jsontext import json_text
from sessiongen.output.packaging import Packaging
from sessiongen.request import SessionRequest
from sessiongen.studio.security import note_internal_error


@dataclass(frozen=True)
class RenderWork:
    """One render: the script, what the form asked for, the file, and the record kept beside it."""

    ref: str
    request: SessionRequest
    out: Path
    packaging: Packaging
    record: dict

    @property
    def folder(self) -> Path:
        return self.out.parent


@dataclass(frozen=True)
class BatchWork:
    """One batch: its roster in the batch's folder, and how to run it."""

    roster: Path
    options: object  # batch.validate.BatchOptions
    how: object  # batch.produce.RunOptions

    @property
    def folder(self) -> Path:
        return self.roster.parent


@dataclass(frozen=True)
class SpeakWork:
    """A composed session's phrases, spoken into the phrase cache before Render is pressed."""

    ref: str
    request: SessionRequest
    folder: Path  # where an internal error's trace is kept


@dataclass(frozen=True)
class SampleWork:
    """One voice's sample for the picker, kept in the samples folder (preview.cached_sample)."""

    voice: str
    samples: Path
    settings: object  # Settings

    @property
    def folder(self) -> Path:
        return self.samples


def run(job_id: str, work: RenderWork | BatchWork | SpeakWork | SampleWork, messages) -> None:
    """A worker process's life: do the job, send its progress and its end."""
    from sessiongen import signals

    signals.die_with_parent()  # a studio killed outright (kill -9) stops its jobs too
    offline.guard()
    report = _Reporter(job_id, messages)
    try:
        result = {RenderWork: _render, BatchWork: _batch, SpeakWork: _speak, SampleWork: _sample}[type(work)](work, report)
        report.send(status="done", fraction=1.0, result=result)
    except SessiongenError as exc:
        report.send(status="failed", error=str(exc))
    except KeyboardInterrupt:
        report.send(status="cancelled")
    except Exception as exc:  # a bug: one line for the page, the traceback beside the job's files (it may quote a value)
        note_internal_error(exc, work.folder / "errors.log")
        report.send(status="failed", error=f"internal error: {type(exc).__name__}: {exc}")


class _Reporter:
    """Sends a job's messages, a fraction only when it moved by a percent or more."""

    def __init__(self, job_id: str, messages):
        self.job_id, self.messages, self.shown = job_id, messages, {}

    def send(self, **message) -> None:
        self.messages.put((self.job_id, message))

    def fraction(self, fraction: float, row: int | None = None) -> None:
        percent = int(fraction * 100)
        if self.shown.get(row) != percent:
            self.shown[row] = percent
            self.send(fraction=fraction) if row is None else self.send(row=row, fraction=fraction, status="rendering")


def _stoppable(do, report: _Reporter):
    """do() in a worker that SIGTERM unwinds (temporary files removed), then ends, cancelled."""
    from sessiongen.batch.stopping import WorkerStopped, worker_start
    from sessiongen.speech import isolated

    worker_start()
    try:
        return do()
    except WorkerStopped as stop:
        isolated.stop_all()
        report.send(status="cancelled")
        os._exit(stop.code)


def _speak(work: SpeakWork, report: _Reporter) -> dict:
    from sessiongen import pipeline

    stats = _stoppable(lambda: pipeline.speak_ahead(work.ref, work.request, speaking=report.fraction), report)
    return {"synthesised": stats.synthesised, "cached": stats.cached}


def _render(work: RenderWork, report: _Reporter) -> dict:
    from sessiongen import pipeline

    result = _stoppable(lambda: pipeline.render(work.ref, work.request, work.out, work.packaging, progress=report.fraction), report)
    files = [work.out.name, *(p.name for p in result.sidecars)]
    summary = {
        **work.record,
        "title": result.manifest["script"]["title"],
        "status": "done",
        "audio": work.out.name,
        "files": files,
        "duration_s": round(result.rendered.timeline.duration_s, 3),
        "warnings": list(result.warnings),
    }
    write_text_atomic(work.folder / "render.json", json_text(summary, "the studio's render record", indent=2, ensure_ascii=False))
    return summary


def _batch(work: BatchWork, report: _Reporter) -> dict:
    from sessiongen import signals
    from sessiongen.batch.produce import Watch, produce

    signals.install()  # SIGTERM stops the batch as Ctrl-C does: workers stopped, reports written

    class Progress(Watch):
        live = True

        def progress(self, row: int, fraction: float) -> None:
            report.fraction(fraction, row)

        def finished(self, outcome) -> None:
            report.send(row=outcome.row, fraction=1.0, status=str(outcome.status), error=outcome.error)

    result = produce(work.roster, work.options, work.how, Progress())
    if result.stop_status:
        raise KeyboardInterrupt
    return {"counts": result.counts, "verb": result.verb}


def _sample(work: SampleWork, report: _Reporter) -> dict:
    from sessiongen import preview

    path = preview.cached_sample(work.voice, work.samples, work.settings)
    return {"voice": work.voice, "file": path.name}
