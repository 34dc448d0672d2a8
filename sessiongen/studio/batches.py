"""A batch in the studio: its roster kept in DATA/batches/ID/ with the date its file names use
(so running it again, after the browser or the studio was closed, resumes: rows already
rendered are up to date and skipped), validated by the library, and zipped for download."""

from __future__ import annotations

import datetime
import json
import threading
import zipfile
from pathlib import Path

import yaml

from sessiongen.batch.roster import read_roster
from sessiongen.batch.validate import BatchOptions, check_job, validate
from sessiongen.errors import SessiongenError
from sessiongen.model.outcome import Status
from sessiongen.output.files import write_text_atomic
from sessiongen.output.jsontext import json_text
from sessiongen.output.packaging import Packaging
from sessiongen.settings import DEFAULTS
from sessiongen.studio.security import safe_id

SUFFIXES = (".csv", ".yaml", ".yml")


def folder(data_dir: Path, batch_id: str) -> Path | None:
    ident = safe_id(batch_id)
    path = data_dir / "batches" / ident if ident else None
    return path if path is not None and (path / "batch.json").is_file() and not path.is_symlink() else None


def create(data_dir: Path, batch_id: str, file_name: str, content: bytes) -> Path:
    """A new batch from an uploaded roster; a profile cell naming a saved client points at its file."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise SessiongenError("the roster must be a .csv or .yaml file")
    where = data_dir / "batches" / batch_id
    where.mkdir(parents=True)
    upload = where / f"uploaded{suffix}"
    upload.write_bytes(content)
    rows = read_roster(upload)  # the library's own reading and its one-line errors
    for row in rows:
        client = safe_id(str(row.get("profile") or ""))
        if client and (data_dir / "clients" / f"{client}.yaml").is_file():
            row["profile"] = str(data_dir / "clients" / f"{client}.yaml")
    write_text_atomic(where / "roster.yaml", yaml.safe_dump({"rows": rows}, allow_unicode=True, sort_keys=False))
    info = {"id": batch_id, "file": Path(file_name).name[:100], "date": datetime.date.today().isoformat(), "rows": len(rows)}
    write_text_atomic(where / "batch.json", json_text(info, "the studio's batch record", indent=2, ensure_ascii=False))
    return where


def info(where: Path) -> dict:
    return json.loads((where / "batch.json").read_text(encoding="utf-8"))


def options(where: Path, data_dir: Path, engine: str | None) -> BatchOptions:
    return BatchOptions(
        out_dir=where / "out",
        date=info(where)["date"],
        base=DEFAULTS.but(engine=engine),
        packaging=Packaging(review=True),
        confine=data_dir,
    )


_CHECKED: dict[Path, tuple[tuple, list[dict]]] = {}  # batch folder -> (what its rows were checked against, the rows)
_CHECKING: dict[Path, threading.Lock] = {}
_GUARD = threading.Lock()
_PLANNED: dict[str, str | None] = {}  # a row's script, values and settings -> its dry run's error, or None: it plans
MAX_PLANNED = 100_000


def rows(where: Path, data_dir: Path, engine: str | None) -> list[dict]:
    """Every row, as `_rows` checks them, checked again only when something they depend on has
    changed: the roster, its last report, the engine, or the data folder's saved clients, beds and
    files (by modification time and size). Loads at once (many tabs) wait for one check."""
    with _GUARD:
        lock = _CHECKING.setdefault(where, threading.Lock())
    with lock:
        against = _signature(where, data_dir, engine)
        known = _CHECKED.get(where)
        if known is None or known[0] != against:
            _CHECKED[where] = (against, _rows(where, data_dir, engine))
        return [dict(row) for row in _CHECKED[where][1]]


def _signature(where: Path, data_dir: Path, engine: str | None) -> tuple:
    def stamp(path: Path):
        try:
            found = path.stat()
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size, found.st_ino

    watched = [where / "roster.yaml", where / "out" / "report.json", data_dir, data_dir / "clients", data_dir / "beds"]
    return (engine, *(stamp(path) for path in watched))


def _rows(where: Path, data_dir: Path, engine: str | None) -> list[dict]:
    """Every row: valid or invalid with its error, and its last run's status. The same check as
    `batch --dry-run` (validate, then check_job: voices, files, every column, and a length in
    reach); a row its last run finished is not checked again."""
    roster = where / "roster.yaml"
    jobs, invalid = validate(roster, read_roster(roster), options(where, data_dir, engine))
    last = _last_report(where)
    out = [_checked(j, last.get(j.row)) for j in jobs]
    out += [
        {
            "row": o.row,
            "client_id": o.client_id,
            "technique": o.technique,
            "valid": False,
            "error": o.error,
            "output": "",
            "status": "invalid",
        }
        for o in invalid
    ]
    return sorted(out, key=lambda r: r["row"])


def _checked(job, last: dict | None) -> dict:
    row = {
        "row": job.row,
        "client_id": job.client_id,
        "technique": job.technique,
        "valid": True,
        "error": "",
        "output": Path(job.output).name,
    }
    if last is not None:
        return {**row, **last}
    script = Path(job.script_ref)
    version = (script.stat().st_mtime_ns, script.stat().st_size) if script.is_file() else None  # a script file edited since
    planned = repr((job.script_ref, version, sorted(job.values.items()), job.settings))  # what the plan depends on (not the client_id)
    if planned not in _PLANNED:  # planned once per distinct script, values and settings
        if len(_PLANNED) > MAX_PLANNED:
            _PLANNED.clear()
        outcome = check_job(job)
        _PLANNED[planned] = outcome.error if outcome.status == Status.INVALID else None
    error = _PLANNED[planned]
    if error is not None:
        return {**row, "valid": False, "error": error, "status": "invalid"}
    return {**row, "status": "ready"}


FINISHED = ("rendered", "up to date")


def counts(rows: list[dict]) -> str:
    """The header's line: how many rows are in each state, following the last run."""
    states = {}
    for r in rows:
        state = "finished" if r.get("status") in FINISHED else r.get("status", "ready")
        states[state] = states.get(state, 0) + 1
    order = ["ready", "finished", "failed", "invalid"]
    return ", ".join(f"{states[s]} {s}" for s in sorted(states, key=lambda s: order.index(s) if s in order else len(order)))


def _last_report(where: Path) -> dict[int, dict]:
    try:
        data = json.loads((where / "out" / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {r["row"]: {"status": r["status"], "error": r["error"]} for r in data.get("rows", []) if r.get("status") != "invalid"}


def all_batches(data_dir: Path) -> list[dict]:
    found = []
    for record in sorted((data_dir / "batches").glob("*/batch.json"), reverse=True):
        try:
            found.append(json.loads(record.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def zip_of(where: Path, target: Path) -> Path:
    """Every file of the batch's output (recordings, sidecars, review pages, index, reports) in one zip."""
    out = where / "out"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(out.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(".part"):
                archive.write(path, path.relative_to(out).as_posix())
    return target
