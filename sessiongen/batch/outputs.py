"""Every file a batch will write, decided before any is written.

The batch's own files (report.csv, report.json, batch.log, index.html) come first; then each
valid row in roster order claims its recording, sidecars and review files. A row whose file
would overwrite one already claimed (the batch's index, or an earlier row's sidecar) is invalid,
naming the other; nothing is ever overwritten silently. Names that differ only in case or
Unicode normalisation count as the same file (they are, on macOS and Windows).

A client with more than one row gets a playlist, CLIENT.m3u; when two clients' names give the
same playlist name (or it is taken), the later client in the roster gets CLIENT-2.m3u, -3, ...
Anything but a regular file in the place of a batch file (a folder, a link, a FIFO) refuses
the whole batch before anything is written; in the place of a row's file, that row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sessiongen import pipeline
from sessiongen.batch.jobs import Job
from sessiongen.batch.runlog import LOG_NAME
from sessiongen.errors import SessiongenError
from sessiongen.model.outcome import Outcome, Status
from sessiongen.output.files import claim, safe_file_name, same_file_key

REPORT_CSV, REPORT_JSON, INDEX_HTML = "report.csv", "report.json", "index.html"
PLAYLIST_SUFFIX = ".m3u"


@dataclass(frozen=True)
class Plan:
    jobs: list[Job]  # the rows that may render: every file of theirs is theirs alone
    clashing: list[Outcome]  # the rows made invalid by a clash, with why
    playlists: dict[str, Path] = field(default_factory=dict)  # client_id -> its playlist, when it has several rows


def batch_files(out_dir: Path, index: bool) -> list[tuple[str, Path]]:
    files = [("the batch report", out_dir / REPORT_CSV), ("the batch report", out_dir / REPORT_JSON), ("the batch log", out_dir / LOG_NAME)]
    return files + ([("the batch index", out_dir / INDEX_HTML)] if index else [])


def plan(jobs: list[Job], out_dir: Path, index: bool) -> Plan:
    """Claim every file of the batch and of each row, in roster order (see the module's doc)."""
    taken = claim(batch_files(out_dir, index))
    kept, clashing = [], []
    for job in sorted(jobs, key=lambda j: j.row):
        try:
            taken = claim(
                [
                    (f"row {job.row}'s {what.removeprefix('the ')}", path)
                    for what, path in pipeline.delivery_targets(job.output, job.packaging)
                ],
                taken,
            )
            kept.append(job)
        except SessiongenError as exc:
            clashing.append(job.outcome(Status.INVALID, str(exc)))
    return Plan(kept, clashing, playlist_names([job.client_id for job in kept], out_dir, taken))


def playlist_names(client_ids: list[str], out_dir: Path, taken: dict[str, str] | None = None) -> dict[str, Path]:
    """A playlist for each client with several rows (`client_ids` has one per row, in roster
    order), its name unique among the batch's files (`taken`, as `claim` gives it)."""
    taken = dict(taken or {})
    names = {}
    rows = Counter(client_ids)
    for client_id in (c for c in rows if rows[c] > 1):
        stem = safe_file_name(client_id)
        path = out_dir / f"{stem}{PLAYLIST_SUFFIX}"
        number = 1
        while same_file_key(path) in taken:
            number += 1
            path = out_dir / f"{stem}-{number}{PLAYLIST_SUFFIX}"
        taken = claim([(f"the playlist of {client_id}", path)], taken)
        names[client_id] = path
    return names
