"""A roster (CSV or YAML) read into rows, and the safe file names its rows are written to."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import yaml

from sessiongen.errors import SessiongenError

EXTRA_CELLS = "(extra cells)"
MAX_ROWS = 10_000
MAX_NAME = 100
DEFAULT_TEMPLATE = "{client_id}-{technique}-{date}"
WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?", re.IGNORECASE)


def read_roster(path: Path) -> list[dict]:
    """Rows as dictionaries of text; CSV with a header row, or YAML (a list, or {rows: [...]})."""
    if not path.is_file():
        raise SessiongenError(f"{path}: no such roster")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SessiongenError(f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})") from exc
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
        raise SessiongenError(f"{path}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SessiongenError(f"{path}: a YAML roster is a list of rows (mappings), or 'rows:' with such a list")
    return [{str(k): v for k, v in row.items()} for row in rows]


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
    """A row's output file: the template filled in and sanitised, always inside out_dir."""
    try:
        stem = template.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError):
        raise SessiongenError(f"name template '{template}': use only {{client_id}}, {{technique}}, {{date}} and {{row}}") from None
    path = (out_dir / f"{safe_name(stem)}.{ext}").resolve()
    if path.parent != out_dir.resolve():  # belt and braces: safe_name leaves no separator
        raise SessiongenError(f"'{stem}' would be written outside {out_dir}")
    return path
