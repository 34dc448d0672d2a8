"""Rows on a Dask cluster, with no shared disk: a row's inputs travel with its task, its files come
back to the client and are written there.

On the client, every row's speech is spoken ahead (as for a local batch: a phrase many clients
share is spoken once) and the cache entries each row read are recorded. A row's task carries a
Parcel: the job as the client planned it, the content of every file it reads (the script and its
fragments, a session file, a bed or cover file, a voice pack's clips) and its phrase-cache
entries. The worker puts the files under a temporary folder mirroring the client's paths (so a
fragment's relative path still works), adds the phrases to its own cache, renders into another
temporary folder, and sends back every file of the delivery (Returned). The client writes each
atomically into its own output folder, the manifest last: a row is up to date (and skipped on
resume) only once all of its files are in place. Worker paths never reach the client's files:
they are replaced by the client's, and the manifest carries the inputs' hash as the client
computed it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sessiongen import pipeline
from sessiongen.batch import stopping
from sessiongen.batch.jobs import Job
from sessiongen.errors import SessiongenError
from sessiongen.model.outcome import Outcome, Status
from sessiongen.output.files import atomic_path
from sessiongen.script import compose
from sessiongen.speech.cache import default_root

MANIFEST_SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class Parcel:
    job: Job  # as the client planned it: its paths are the client's
    inputs: dict[str, bytes]  # the client's path of each file the row reads -> its content
    phrases: dict[str, bytes]  # phrase-cache entries, by their path inside the cache folder


@dataclass(frozen=True)
class Returned:
    outcome: Outcome
    files: dict[str, bytes]  # the client's path of each file of the delivery -> its content


def input_files(job: Job) -> list[Path]:
    """Every file of the client's that rendering `job` reads."""
    script = compose.load(job.script_ref, job.settings.language)
    found = [Path(p) for p in script.sources]
    found += [Path(part) for part in job.script_ref.split("+") if Path(part).suffix and Path(part).is_file()]
    if job.settings.ambience and Path(job.settings.ambience).is_file():
        found.append(Path(job.settings.ambience))
    if job.packaging.cover:
        found.append(Path(job.packaging.cover))
    if job.settings.voice_pack and Path(job.settings.voice_pack).is_dir():
        found += [p for p in Path(job.settings.voice_pack).rglob("*") if p.is_file()]
    return list(dict.fromkeys(p.resolve() for p in found))


def pack(job: Job, phrases: set[Path] | None = None) -> Parcel:
    """A row's task: the job, its input files and its spoken phrases (`phrases`: the cache
    entries it read when spoken ahead)."""
    root = default_root()
    inputs = {str(path): path.read_bytes() for path in input_files(job)}
    found = {}
    for path in phrases or ():
        with contextlib.suppress(OSError, ValueError):
            found[str(path.relative_to(root))] = path.read_bytes()
    return Parcel(job, inputs, found)


def _under(root: Path, path: Path | str) -> Path:
    """Where the client's `path` lives under `root` on a worker (its folders mirrored)."""
    path = Path(path)
    return root / path.relative_to(path.anchor) if path.is_absolute() else root / path


def _relocated(job: Job, inside: Path, outside: Path, inputs: dict[str, bytes]) -> Job:
    """The job with every client path replaced by its place on this worker."""

    def moved(value):  # input files are placed by their resolved path
        if not value:
            return value
        key = str(value) if str(value) in inputs else str(Path(value).resolve())
        return str(_under(inside, key)) if key in inputs else value

    ref = "+".join(moved(part) for part in job.script_ref.split("+"))
    pack_folder = (
        str(_under(inside, Path(job.settings.voice_pack).resolve()))
        if job.settings.voice_pack and Path(job.settings.voice_pack).is_absolute()
        else job.settings.voice_pack
    )
    settings = dataclasses.replace(job.settings, ambience=moved(job.settings.ambience), voice_pack=pack_folder)
    cover = Path(moved(job.packaging.cover)) if job.packaging.cover else None
    stems = _under(outside, job.packaging.stems) if job.packaging.stems else None
    packaging = dataclasses.replace(job.packaging, cover=cover, stems=stems)
    return dataclasses.replace(job, script_ref=ref, settings=settings, output=_under(outside, job.output), packaging=packaging)


def _seed_cache(phrases: dict[str, bytes]) -> None:
    """The client's phrases added to this worker's cache (entries carry their own checksum)."""
    root = default_root()
    for name, data in phrases.items():
        target = root / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as temp:
                temp.write_bytes(data)


def worker_name() -> str:
    """This Dask worker's address and host name, for errors."""
    try:
        from distributed import get_worker

        return f"{get_worker().address} ({socket.gethostname()})"
    except (ImportError, ValueError):
        return socket.gethostname()


def render_parcel(parcel: Parcel, stop_event: str | None = None) -> Returned:
    """One row on a Dask worker: its inputs placed, rendered, its files returned. Never raises
    for a row's problem; a failure names this worker."""
    job = here = parcel.job
    with tempfile.TemporaryDirectory(prefix="sessiongen-row-") as temp:
        inside, outside = Path(temp) / "in", Path(temp) / "out"
        try:
            for client_path, data in parcel.inputs.items():
                target = _under(inside, client_path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            _seed_cache(parcel.phrases)
            here = _relocated(job, inside, outside, parcel.inputs)
            outside.mkdir()
            outcome = stopping.in_worker(here, None, stop_event)
        except (OSError, SessiongenError) as exc:
            outcome = job.outcome(Status.FAILED, f"{exc}")
        files = _returned_files(job, here, temp) if outcome.status == Status.RENDERED else {}
    outcome.output = str(job.output)
    if outcome.status == Status.FAILED:
        outcome.error = f"on the Dask worker {worker_name()}: {outcome.error}"
    return Returned(outcome, files)


def _returned_files(job: Job, here: Job, temp: str) -> dict[str, bytes]:
    """Every file of the worker's delivery, by the client's path; worker paths in text files
    replaced by the client's, and the inputs' hash by the one the client computed."""
    files = {}
    theirs, ours = pipeline.delivery_targets(here.output, here.packaging), pipeline.delivery_targets(job.output, job.packaging)
    worker_hash = _manifest_hash(here.output)
    for (_, worker_path), (_, client_path) in zip(theirs, ours, strict=True):
        if not worker_path.is_file():
            continue
        data = worker_path.read_bytes()
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode("utf-8")
            for folder in ("in", "out"):
                text = text.replace(str(Path(temp) / folder), "")
            if worker_hash:
                text = text.replace(worker_hash, job.input_hash)
            data = text.encode("utf-8")
        files[str(client_path)] = data
    return files


def _manifest_hash(output: Path) -> str | None:
    import json

    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return json.loads(output.with_name(output.stem + MANIFEST_SUFFIX).read_text(encoding="utf-8"))["inputs"]["sha256"]
    return None


def receive(returned: Returned) -> Outcome:
    """A row's files written in the client's output folder, each atomically and the manifest
    last; its outcome (failed, naming the file, when one cannot be written)."""
    outcome = returned.outcome
    last = sorted(returned.files, key=lambda name: name.endswith(MANIFEST_SUFFIX))
    try:
        for name in last:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(name) as temp:
                temp.write_bytes(returned.files[name])
    except (OSError, SessiongenError) as exc:
        outcome.status, outcome.error = Status.FAILED, f"the rendered files could not be written here: {exc}"
    return outcome
