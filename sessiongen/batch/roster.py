"""A roster (CSV or YAML) read into rows, and the safe file names its rows are written to."""

from __future__ import annotations

import csv
import io
import re
import string
from pathlib import Path

import yaml

from sessiongen.errors import SessiongenError
from sessiongen.output.files import safe_file_name
from sessiongen.script import yamlfile
from sessiongen.script.limits import MAX_CELL_CHARS, MAX_ROSTER_BYTES, MAX_ROSTER_ROWS, shorten
from sessiongen.script.sourcefile import read_bounded

EXTRA_CELLS = "(extra cells)"
MAX_ROWS = MAX_ROSTER_ROWS
MAX_NAME = 100
DEFAULT_TEMPLATE = "{client_id}-{technique}-{date}"
TEMPLATE_FIELDS = ("client_id", "technique", "date", "row")
WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?", re.IGNORECASE)


def read_roster(path: Path) -> list[dict]:
    """Rows as dictionaries of text; CSV with a header row, or YAML (a list, or {rows: [...]}).
    The file is bounded before it is read; a cell over MAX_CELL_CHARS is left for its row's check."""
    if not path.is_file():
        raise SessiongenError(f"{path}: no such roster")
    raw = read_bounded(path, MAX_ROSTER_BYTES, shown=str(path), what="roster", advice=f"split it into rosters of at most {MAX_ROWS:,} rows")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SessiongenError(f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})") from exc
    rows = _yaml_rows(text, path) if path.suffix.lower() in (".yaml", ".yml") else _csv_rows(text, path)
    if not rows:
        raise SessiongenError(f"{path}: the roster has no rows")
    if len(rows) > MAX_ROWS:
        raise _too_many_rows(path)
    return rows


def _too_many_rows(path: Path) -> SessiongenError:
    return SessiongenError(f"{path}: the roster has more than the limit of {MAX_ROWS:,} rows: split it into smaller rosters")


def _csv_rows(text: str, path: Path) -> list[dict]:
    """Rows of a CSV roster. Python's csv refuses a cell over 131,072 characters with an error that
    ends the whole read, so the field limit is lifted while reading (the file is bounded already)
    and each row checks its own cells (batch/validate.py)."""
    limit = csv.field_size_limit(MAX_ROSTER_BYTES)
    try:
        return _csv_read(csv.DictReader(io.StringIO(text, newline="")), path)
    except csv.Error as exc:
        raise SessiongenError(f"{path}: not a readable CSV file ({exc})") from None
    finally:
        csv.field_size_limit(limit)


def _csv_read(reader: csv.DictReader, path: Path) -> list[dict]:
    columns = [c.strip() for c in reader.fieldnames or []]
    if any(len(c) > MAX_CELL_CHARS for c in columns):
        raise SessiongenError(
            f"{path}:1: a column name is longer than the limit of {MAX_CELL_CHARS:,} characters: is the first row the header?"
        )
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
        if len(rows) > MAX_ROWS:
            raise _too_many_rows(path)
    return rows


def _yaml_rows(text: str, path: Path) -> list[dict]:
    try:
        data = yamlfile.load_text(text)
    except yaml.YAMLError as exc:
        message, line = yamlfile.message_of(exc)
        raise SessiongenError(f"{path}{'' if line is None else f':{line + 1}'}: {message}") from None
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SessiongenError(f"{path}: a YAML roster is a list of rows (mappings), or 'rows:' with such a list")
    return [{str(k): v for k, v in row.items()} for row in rows]


def safe_name(text: str) -> str:
    """A file name that is safe everywhere (no separators, no '..', no reserved device names),
    keeping the letters of every script: Андрей and Ελένη do not collapse to one name."""
    return safe_file_name(text, MAX_NAME)


def check_template(template: str) -> None:
    """A name template uses only TEMPLATE_FIELDS, each with at most a short format (`{row:03}`):
    a width such as `{client_id:999999999}` would build a gigabyte before it is cut to MAX_NAME."""
    usage = f"name template '{shorten(template)}': use only {{client_id}}, {{technique}}, {{date}} and {{row}}"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise SessiongenError(usage) from None
    for _, field, spec, _ in parts:
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS:
            raise SessiongenError(usage)
        if "{" in (spec or "") or any(len(width) > 3 or int(width) > MAX_NAME for width in re.findall(r"[0-9]+", spec or "")):
            raise SessiongenError(
                f"name template '{shorten(template)}': a width in {{{field}:{shorten(spec, 20)}}} is over the limit of {MAX_NAME} characters for a file name"
            )


def output_path(template: str, fields: dict, out_dir: Path, ext: str) -> Path:
    """A row's output file: the template filled in and sanitised, always inside out_dir."""
    check_template(template)
    try:
        stem = template.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError):
        raise SessiongenError(f"name template '{shorten(template)}': use only {{client_id}}, {{technique}}, {{date}} and {{row}}") from None
    path = (out_dir / f"{safe_name(stem)}.{ext}").resolve()
    if path.parent != out_dir.resolve():  # belt and braces: safe_name leaves no separator
        raise SessiongenError(f"'{stem}' would be written outside {out_dir}")
    return path
