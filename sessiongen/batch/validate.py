"""Every row checked before anything renders: a job for each good row, an outcome for each bad.

Also: whether a row's output is already up to date (its manifest carries the same input hash),
and a dry run's check of one row (planned, so a length out of reach is found too).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sessiongen import pipeline
from sessiongen.batch.jobs import Job
from sessiongen.batch.roster import DEFAULT_TEMPLATE, EXTRA_CELLS, output_path
from sessiongen.errors import SessiongenError, suggest
from sessiongen.model.outcome import Outcome, Status
from sessiongen.options import OPTIONS as ALL_OPTIONS
from sessiongen.options import check as check_settings
from sessiongen.options.kinds import Bed, Folder
from sessiongen.options.profile import FIELDS, Profile, from_fields
from sessiongen.options.profile import load as load_profile
from sessiongen.output import manifest as delivery
from sessiongen.output.packaging import Packaging
from sessiongen.script import compose
from sessiongen.script.limits import MAX_CELL_CHARS, shorten
from sessiongen.script.personalise import values_for
from sessiongen.settings import Settings

log = logging.getLogger(__name__)

_LIBRARY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")  # no dot, no slash: never a file's name
RESERVED = ("client_id", "technique", "profile", "format")  # columns that are neither fields nor variables


@dataclass(frozen=True)
class BatchOptions:
    out_dir: Path
    template: str = DEFAULT_TEMPLATE
    date: str = field(default_factory=lambda: datetime.date.today().isoformat())
    base: Settings = Settings()
    packaging: Packaging = Packaging()
    confine: Path | None = None  # every file a row names (script, profile, bed) must lie in this folder (the studio's data folder)


class _Validator:
    """Turns rows into jobs, loading each script, profile and voice once for the whole roster."""

    def __init__(self, roster: Path, options: BatchOptions):
        self.roster, self.options = roster, options
        self.scripts: dict[str, object] = {}
        self.profiles: dict[str, Profile] = {}
        self.outputs: dict[Path, int] = {}
        self.engines: dict[tuple, str] = {}

    def script_ref(self, technique: str) -> str:
        """Script files in a roster are relative to the roster's folder. Confined (the studio), a
        technique is library ids only: a script or session file could read, or list, any file."""
        if self.options.confine is not None and not all(_LIBRARY_ID.fullmatch(part.strip()) for part in technique.split("+")):
            raise SessiongenError(
                f"the technique '{shorten(technique, 80)}' names a file: in the studio a roster names library techniques "
                "by id (box-breathing, or ids joined with +)"
            )
        if technique.endswith((".md", ".yaml", ".yml")) and not Path(technique).is_absolute():
            return str(self.confined((self.roster.parent / technique).resolve(), "the script"))
        return str(self.confined(Path(technique), "the script")) if technique.endswith((".md", ".yaml", ".yml")) else technique

    def confined(self, path: Path, what: str) -> Path:
        """A file a row names, refused outside options.confine when that is set."""
        if self.options.confine is not None and not path.resolve().is_relative_to(self.options.confine.resolve()):
            raise SessiongenError(f"{what} {path.name} is outside the data folder: use a technique id, a saved client or a bed name")
        return path

    def confined_settings(self, settings: Settings) -> None:
        """Confined, every file or folder a row's settings name (a bed, a voice pack) must be in
        the folder, checked before any is read."""
        if self.options.confine is None:
            return
        for option in ALL_OPTIONS:
            value = getattr(settings, option.field, None) if option.field else None
            if isinstance(option.kind, (Bed, Folder)) and isinstance(value, str) and Path(value).is_absolute():
                self.confined(Path(value), f"the {option.label.lower()}")

    def script(self, technique: str, language: str | None):
        if (technique, language) not in self.scripts:
            self.scripts[technique, language] = compose.load(self.script_ref(technique), language)
        return self.scripts[technique, language]

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            path = self.confined(Path(name) if Path(name).is_absolute() else self.roster.parent / name, "the profile")
            self.profiles[name] = load_profile(path)
        return self.profiles[name]

    def job(self, number: int, row: dict) -> Job:
        _check_cells(row)
        if EXTRA_CELLS in row:
            raise SessiongenError(
                f"the row has more cells than the header ('{row[EXTRA_CELLS]}'): put a value that contains a comma in double quotes"
            )
        client_id, technique = str(row.get("client_id") or "").strip(), str(row.get("technique") or "").strip()
        if not client_id or not technique:
            raise SessiongenError("client_id and technique must not be empty")
        base = self.profile(str(row["profile"]).strip()) if str(row.get("profile") or "").strip() else Profile()
        client = base.merged(from_fields({k: v for k, v in row.items() if k in FIELDS}, "column"))
        settings = check_settings(self.options.base.but(**client.settings))
        self.confined_settings(settings)
        script = self.script(technique, settings.language)  # the row's language picks the script
        declared = script.meta.defaults
        variables = _variables(row, declared)
        values = {**client.values_for(declared), **variables}
        values_for(script, values)  # unknown variables name themselves
        packaging = self.packaging(row, client_id)
        output = self.output(number, client_id, script.meta.id, packaging.format)
        digest = delivery.inputs_hash(script, values, settings, self.narration(settings, script.meta.language), packaging)
        return Job(number, client_id, technique, self.script_ref(technique), settings, values, output, packaging, digest)

    def packaging(self, row: dict, client_id: str) -> Packaging:
        """The batch's packaging for one row: its format, and always a manifest (resuming needs it)."""
        fmt = str(row.get("format") or self.options.packaging.format or "mp3").strip().lower()
        sidecars = tuple(dict.fromkeys(self.options.packaging.sidecars + ("manifest",)))
        return Packaging(**{**asdict(self.options.packaging), "format": fmt, "sidecars": sidecars, "client_id": client_id})

    def output(self, number: int, client_id: str, script_id: str, fmt: str) -> Path:
        """The row's file, from the name template; no two rows may share one."""
        name_fields = {"client_id": client_id, "technique": script_id.replace("+", "-then-"), "date": self.options.date, "row": number}
        output = output_path(self.options.template, name_fields, self.options.out_dir, fmt)
        if output in self.outputs:
            raise SessiongenError(
                f"the same output as row {self.outputs[output]} ({output.name}): give each row its own client_id and technique"
            )
        self.outputs[output] = number
        return output

    def narration(self, settings: Settings, language: str) -> str:
        """Who speaks the row (pipeline.speech_identity), worked out once per voice and language."""
        key = (settings.engine, settings.voice, settings.voice_pack, settings.allow_synthetic, language)
        if key not in self.engines:
            self.engines[key] = pipeline.speech_identity(settings, language)
        return self.engines[key]


def _cell_chars(value, limit: int) -> int:
    """A cell's size in characters (a YAML roster's lists and mappings counted through), counting
    no further than just past `limit`."""
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple)):
        total = 0
        for item in value:
            total += _cell_chars(item, limit - total)
            if total > limit:
                break
        return total
    return len(value) if isinstance(value, str) else len(str(value)[: limit + 1])


def _check_cells(row: dict) -> None:
    """Every cell of a row bounded before it is used (a file name, a path, a variable)."""
    for key, value in row.items():
        if len(str(key)) > MAX_CELL_CHARS:
            raise SessiongenError(f"the column name '{shorten(key)}' is longer than the limit of {MAX_CELL_CHARS:,} characters: shorten it")
        if _cell_chars(value, MAX_CELL_CHARS) > MAX_CELL_CHARS:
            raise SessiongenError(f"the cell '{shorten(key)}' is longer than the limit of {MAX_CELL_CHARS:,} characters: shorten it")


def _variables(row: dict, declared: dict) -> dict:
    """Script variables named as columns (the profile fields are read already); any other column is an error."""
    variables = {}
    for key, value in row.items():
        if key in RESERVED or key in FIELDS:
            continue
        if key in declared:
            if isinstance(value, (list, dict)):
                raise SessiongenError(f"the cell '{shorten(key)}' must be text, not a list or a mapping")
            if value not in (None, ""):
                variables[key] = str(value)
        else:
            raise SessiongenError(
                f"unknown column '{key}'{suggest(key, list(FIELDS) + list(declared))}: not a profile field or a variable of this technique"
            )
    return variables


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
            invalid.append(
                Outcome(
                    number,
                    shorten(row.get("client_id") or "", MAX_CELL_CHARS),
                    shorten(row.get("technique") or "", MAX_CELL_CHARS),
                    status=Status.INVALID,
                    error=str(exc),
                )
            )
    log.info("validated %d rows: %d valid, %d invalid", len(rows), len(jobs), len(invalid))
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
        if not delivery.same_audio(job.output, data["output"]):  # cut short, emptied or replaced since
            log.info("row %d: %s is not the file its manifest recorded: rendering it again", job.row, job.output.name)
            return None
        duration_s = float(data["output"]["duration_s"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.debug("row %d: its manifest cannot be read (%s): rendering it again", job.row, type(exc).__name__)
        return None
    return job.outcome(Status.UP_TO_DATE, duration_s=duration_s)


def check_job(job: Job) -> Outcome:
    """Plan a row without rendering it (speech is synthesised, so its length can be checked)."""
    outcome = job.outcome(Status.VALID)
    try:
        with pipeline.cache_root(True) as root:
            outcome.duration_s = pipeline.prepare(
                compose.load(job.script_ref, job.settings.language), job.values, job.settings, root
            ).timeline.duration_s
    except SessiongenError as exc:
        outcome.status, outcome.error = Status.INVALID, str(exc)
    return outcome
