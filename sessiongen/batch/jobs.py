"""Batch production: a roster (CSV or YAML) of recordings, validated first, rendered in parallel.

One failing row never stops the others. A row whose output is up to date (its manifest's input
hash matches) is skipped. Output names come from a template and are sanitised, so nothing is
ever written outside the output folder.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import multiprocessing
import os
import re
import time
import unicodedata
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from sessiongen.script import compose
from sessiongen.output import manifest as delivery
from sessiongen import offline, pipeline
from sessiongen.errors import SessiongenError, suggest
from sessiongen.script.personalise import values_for
from sessiongen.output.files import write_text_atomic
from sessiongen.script.profile import FIELDS, Profile, from_fields
from sessiongen.script.profile import load as load_profile
from sessiongen.settings import Settings
from sessiongen.speech import choose_engine, fingerprint, get_engine

RESERVED = ("client_id", "technique", "profile", "format")
EXTRA_CELLS = "(extra cells)"
MAX_ROWS = 10_000
MAX_NAME = 100
DEFAULT_TEMPLATE = "{client_id}-{technique}-{date}"
WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Job:
    row: int  # the row's number in the roster, counting data rows from 1
    client_id: str
    technique: str  # as the roster gives it
    script_ref: str  # what compose.load takes: an id, a composition, or a resolved path
    settings: Settings
    values: dict
    output: Path
    packaging: pipeline.Packaging
    input_hash: str


@dataclass
class Outcome:
    row: int
    client_id: str
    technique: str
    output: str = ""
    status: str = "pending"  # rendered | up to date | valid | failed | invalid | interrupted
    error: str = ""
    seconds: float = 0.0
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("rendered", "up to date", "valid")


@dataclass(frozen=True)
class BatchOptions:
    out_dir: Path
    template: str = DEFAULT_TEMPLATE
    date: str = field(default_factory=lambda: datetime.date.today().isoformat())
    base: Settings = Settings()
    packaging: pipeline.Packaging = pipeline.Packaging()


# -- the roster -----------------------------------------------------------------------------------

def read_roster(path: Path) -> list[dict]:
    """Rows as dictionaries of text; CSV with a header row, or YAML (a list, or {rows: [...]})."""
    if not path.is_file():
        raise SessiongenError(f"{path}: no such roster")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SessiongenError(f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    rows = _yaml_rows(text, path) if path.suffix.lower() in (".yaml", ".yml") else _csv_rows(text, path)
    if not rows:
        raise SessiongenError(f"{path}: the roster has no rows")
    if len(rows) > MAX_ROWS:
        raise SessiongenError(f"{path}: the roster has {len(rows)} rows; split it into rosters of at most {MAX_ROWS}")
    return rows


def _csv_rows(text: str, path: Path) -> list[dict]:
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in ("client_id", "technique") if c not in columns]
    if missing:
        raise SessiongenError(f"{path}:1: the roster needs the column{'s' * (len(missing) > 1)} {', '.join(missing)}")
    if len(set(columns)) != len(columns):
        raise SessiongenError(f"{path}:1: a column name appears twice")
    rows = []
    for row in reader:
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if row.get(None):  # more cells than columns: an unquoted comma in a value
            cells[EXTRA_CELLS] = ",".join(row[None])
        rows.append(cells)
    return rows


def _yaml_rows(text: str, path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SessiongenError(f"{path}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SessiongenError(f"{path}: a YAML roster is a list of rows (mappings), or 'rows:' with such a list")
    return [{str(k): v for k, v in row.items()} for row in rows]


# -- names ------------------------------------------------------------------------------------

def safe_name(text: str) -> str:
    """A file name that is safe everywhere: no separators, no '..', no reserved device names."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"-{2,}", "-", text).strip(".-") or "unnamed"
    if WINDOWS_RESERVED.fullmatch(text):
        text = "_" + text
    return text[:MAX_NAME]


def output_path(template: str, fields: dict, out_dir: Path, ext: str) -> Path:
    try:
        stem = template.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError):
        raise SessiongenError(f"name template '{template}': use only {{client_id}}, {{technique}}, {{date}} and {{row}}") from None
    path = (out_dir / f"{safe_name(stem)}.{ext}").resolve()
    if path.parent != out_dir.resolve():  # belt and braces: safe_name leaves no separator
        raise SessiongenError(f"'{stem}' would be written outside {out_dir}")
    return path


# -- validation -------------------------------------------------------------------------------

class _Validator:
    def __init__(self, roster: Path, options: BatchOptions):
        self.roster, self.options = roster, options
        self.scripts: dict[str, object] = {}
        self.profiles: dict[str, Profile] = {}
        self.outputs: dict[Path, int] = {}
        self.engines: dict[tuple, str] = {}

    def script_ref(self, technique: str) -> str:
        """Script files in a roster are relative to the roster's folder."""
        if technique.endswith((".md", ".yaml", ".yml")) and not Path(technique).is_absolute():
            return str((self.roster.parent / technique).resolve())
        return technique

    def script(self, technique: str):
        if technique not in self.scripts:
            self.scripts[technique] = compose.load(self.script_ref(technique))
        return self.scripts[technique]

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            path = Path(name) if Path(name).is_absolute() else self.roster.parent / name
            self.profiles[name] = load_profile(path)
        return self.profiles[name]

    def job(self, number: int, row: dict) -> Job:
        if EXTRA_CELLS in row:
            raise SessiongenError(f"the row has more cells than the header ('{row[EXTRA_CELLS]}'): put a value that contains a comma in double quotes")
        client_id, technique = str(row.get("client_id") or "").strip(), str(row.get("technique") or "").strip()
        if not client_id or not technique:
            raise SessiongenError("client_id and technique must not be empty")
        script = self.script(technique)
        declared = script.meta.defaults
        base = self.profile(str(row["profile"]).strip()) if str(row.get("profile") or "").strip() else Profile()
        fields, variables = _split_columns(row, declared)
        client = base.merged(from_fields(fields, "column"))
        values = {**client.values_for(declared), **variables}
        settings = self.options.base.but(**client.settings)
        values_for(script, values)  # unknown variables name themselves
        fmt = str(row.get("format") or self.options.packaging.format or "mp3").strip().lower()
        sidecars = tuple(dict.fromkeys(self.options.packaging.sidecars + ("manifest",)))  # resuming needs it
        packaging = pipeline.Packaging(**{**asdict(self.options.packaging), "format": fmt, "sidecars": sidecars, "client_id": client_id})
        name_fields = {"client_id": client_id, "technique": script.meta.id.replace("+", "-then-"), "date": self.options.date, "row": number}
        output = output_path(self.options.template, name_fields, self.options.out_dir, fmt)
        if output in self.outputs:
            raise SessiongenError(f"the same output as row {self.outputs[output]} ({output.name}): give each row its own client_id and technique")
        self.outputs[output] = number
        extra = [str(packaging.cover or ""), settings.ambience if settings.ambience and Path(settings.ambience).is_file() else ""]
        digest = delivery.inputs_hash(script, values, settings, self.narration(settings, script.meta.language), extra, packaging.hashable())
        return Job(number, client_id, technique, self.script_ref(technique), settings, values, output, packaging, digest)


    def narration(self, settings: Settings, language: str) -> str:
        """The speech fingerprint of a row's engine and voice (as pipeline.prepare records it)."""
        name, _ = choose_engine(settings.engine, settings.voice)
        key = (name, settings.voice, language)
        if key not in self.engines:
            engine = get_engine(name)
            voice = engine.resolve_voice(settings.voice, language) if getattr(engine, "voice_identity", None) else ""
            self.engines[key] = fingerprint(engine, voice)
        return self.engines[key]


def _split_columns(row: dict, declared: dict) -> tuple[dict, dict]:
    """Profile fields, and script variables named as columns; anything else is an error."""
    fields, variables = {}, {}
    for key, value in row.items():
        if key in RESERVED:
            continue
        if key in FIELDS:
            fields[key] = value
        elif key in declared:
            if value not in (None, ""):
                variables[key] = str(value)
        else:
            raise SessiongenError(f"unknown column '{key}'{suggest(key, list(FIELDS) + list(declared))}: not a profile field or a variable of this technique")
    return fields, variables


def check_options(options: BatchOptions) -> None:
    """The name template and the date, checked once for the whole batch."""
    try:
        datetime.date.fromisoformat(options.date)
    except ValueError:
        raise SessiongenError(f"--date {options.date}: use YYYY-MM-DD") from None
    output_path(options.template, {"client_id": "c", "technique": "t", "date": options.date, "row": 1}, options.out_dir, "mp3")


def validate(roster: Path, rows: list[dict], options: BatchOptions) -> tuple[list[Job], list[Outcome]]:
    """Every row checked before anything renders: jobs for the good rows, outcomes for the bad."""
    check_options(options)
    validator, jobs, invalid = _Validator(roster, options), [], []
    for number, row in enumerate(rows, start=1):
        try:
            jobs.append(validator.job(number, row))
        except SessiongenError as exc:
            invalid.append(Outcome(number, str(row.get("client_id") or ""), str(row.get("technique") or ""), status="invalid", error=str(exc)))
    return jobs, invalid


def up_to_date(job: Job) -> Outcome | None:
    """An outcome for a row whose output and manifest match its inputs; None if it needs rendering."""
    manifest = job.output.with_name(job.output.stem + ".manifest.json")
    if not job.output.is_file() or not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data["inputs"]["sha256"] != job.input_hash:
            return None
        duration_s = float(data["output"]["duration_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Outcome(job.row, job.client_id, job.technique, str(job.output), "up to date", duration_s=duration_s)


def check_job(job: Job) -> Outcome:
    """Plan a row without rendering it (speech is synthesised, so its length can be checked)."""
    outcome = Outcome(job.row, job.client_id, job.technique, str(job.output), "valid")
    try:
        with pipeline.cache_root(True) as root:
            outcome.duration_s = pipeline.prepare(compose.load(job.script_ref), job.values, job.settings, root).timeline.duration_s
    except SessiongenError as exc:
        outcome.status, outcome.error = "invalid", str(exc)
    return outcome


# -- rendering --------------------------------------------------------------------------------

def speak_ahead(jobs: list[Job]) -> tuple[list[Job], list[Outcome]]:
    """Synthesise every row's missing phrases here, before any row renders: a phrase that many
    clients share is spoken once, by one pool of voice workers using every core, and the rows'
    workers then find all their speech in the cache. A row that fails here is reported failed."""
    ready, failed = [], []
    with pipeline.cache_root(True) as root:
        for job in jobs:
            try:
                pipeline.prepare(compose.load(job.script_ref), job.values, job.settings, root)
                ready.append(job)
            except SessiongenError as exc:
                failed.append(Outcome(job.row, job.client_id, job.technique, str(job.output), "failed", str(exc)))
    return ready, failed


def render_job(job: Job, progress_queue=None) -> Outcome:
    """Render one row (in a worker process). Never raises for a user's problem: it reports it."""
    offline.guard()
    started = time.monotonic()
    outcome = Outcome(job.row, job.client_id, job.technique, output=str(job.output))
    report = (lambda fraction: progress_queue.put((job.row, fraction))) if progress_queue is not None else None
    try:
        with pipeline.cache_root(True) as root:
            prepared = pipeline.prepare(compose.load(job.script_ref), job.values, job.settings, root)
            result = pipeline.deliver(prepared, job.values, job.settings, job.output, job.packaging, progress=report)
        outcome.status, outcome.duration_s = "rendered", result.rendered.timeline.duration_s
    except SessiongenError as exc:
        outcome.status, outcome.error = "failed", str(exc)
    except Exception as exc:  # a bug must not stop the other rows; it is reported like a failure
        outcome.status, outcome.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome


def local_executor(workers: int) -> Executor | None:
    """Worker processes; None for one worker (rows then render in this process, one by one)."""
    if workers <= 1:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def dask_executor(address: str) -> Executor:
    """Rows sent to an existing Dask distributed cluster (the optional extra sessiongen[dask])."""
    try:
        from distributed import Client
    except ImportError:
        raise SessiongenError("--dask needs the optional extra: pip install 'sessiongen[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SessiongenError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
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


class _Immediate:
    """Stands in for a progress queue when rows render in this process: reports at once."""

    def __init__(self, on_progress):
        self.on_progress = on_progress or (lambda row, fraction: None)

    def put(self, item) -> None:
        self.on_progress(*item)


def run(jobs: list[Job], executor: Executor | None, on_done=None, on_progress=None, progress_queue=None) -> list[Outcome]:
    """Render every job; `on_done(outcome)` as each finishes; Ctrl-C stops and reports.

    With no executor, rows render one by one in this process."""
    outcomes: dict[int, Outcome] = {}
    try:
        if executor is None:
            for job in jobs:
                outcomes[job.row] = render_job(job, _Immediate(on_progress))
                if on_done:
                    on_done(outcomes[job.row])
        else:
            _run_parallel(jobs, executor, outcomes, on_done, on_progress, progress_queue)
    except KeyboardInterrupt:
        for job in jobs:
            outcomes.setdefault(job.row, Outcome(job.row, job.client_id, job.technique, str(job.output), "interrupted", "stopped by Ctrl-C"))
        raise BatchInterrupted([outcomes[job.row] for job in jobs]) from None
    return [outcomes[job.row] for job in jobs]


def _run_parallel(jobs, executor, outcomes, on_done, on_progress, progress_queue) -> None:
    futures = {executor.submit(render_job, job, progress_queue): job for job in jobs}
    try:
        pending = set(futures)
        while pending:
            done = {f for f in pending if f.done()}
            for future in done:
                outcome = future.result()
                outcomes[outcome.row] = outcome
                if on_done:
                    on_done(outcome)
            pending -= done
            _drain(progress_queue, on_progress)
            if pending and not done:
                time.sleep(0.1)
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        raise


def _drain(queue, on_progress) -> None:
    if queue is None:
        return
    with contextlib.suppress(Exception):
        while not queue.empty():
            row, fraction = queue.get_nowait()
            if on_progress:
                on_progress(row, fraction)


class BatchInterrupted(Exception):
    def __init__(self, outcomes: list[Outcome]):
        super().__init__("interrupted")
        self.outcomes = outcomes


# -- reports ----------------------------------------------------------------------------------

REPORT_COLUMNS = ("row", "client_id", "technique", "output", "status", "error", "seconds")


def write_reports(out_dir: Path, outcomes: list[Outcome]) -> list[Path]:
    ordered = sorted(outcomes, key=lambda o: o.row)
    rows = [{k: getattr(o, k) for k in REPORT_COLUMNS} for o in ordered]
    for row in rows:
        row["output"] = Path(row["output"]).name if row["output"] else ""
    csv_path, json_path = out_dir / "report.csv", out_dir / "report.json"
    lines = [",".join(REPORT_COLUMNS)] + [",".join(_csv_cell(r[k]) for k in REPORT_COLUMNS) for r in rows]
    write_text_atomic(csv_path, "\n".join(lines) + "\n")
    summary = {s: sum(o.status == s for o in ordered) for s in ("rendered", "up to date", "valid", "failed", "invalid", "interrupted")}
    write_text_atomic(json_path, json.dumps({"summary": summary, "rows": rows}, indent=2, ensure_ascii=False) + "\n")
    return [csv_path, json_path]


def _csv_cell(value) -> str:
    text = str(value)
    if text[:1] in ("=", "+", "-", "@"):  # no spreadsheet formulas from a roster's text
        text = "'" + text
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def write_playlists(out_dir: Path, outcomes: list[Outcome]) -> list[Path]:
    """An M3U playlist for each client with more than one recording, in roster order."""
    by_client: dict[str, list[Outcome]] = {}
    for outcome in sorted(outcomes, key=lambda o: o.row):
        if outcome.status in ("rendered", "up to date"):
            by_client.setdefault(outcome.client_id, []).append(outcome)
    written = []
    for client_id, items in by_client.items():
        if len(items) < 2:
            continue
        lines = ["#EXTM3U"]
        for item in items:
            lines += [f"#EXTINF:{round(item.duration_s) or -1},{item.technique}", Path(item.output).name]
        path = out_dir / f"{safe_name(client_id)}.m3u"
        write_text_atomic(path, "\n".join(lines) + "\n")
        written.append(path)
    return written


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)
