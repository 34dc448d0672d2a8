"""Client profiles as YAML files in the data folder (DATA/clients/CLIENT_ID.yaml), the same
files `sessiongen render --profile` reads; and each client's past renders."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from sessiongen import options
from sessiongen.errors import SessiongenError
from sessiongen.options.kinds import Flag
from sessiongen.options.profile import PERSONAL, from_fields
from sessiongen.output.files import write_text_atomic
from sessiongen.script import yamlfile
from sessiongen.studio import fields
from sessiongen.studio.security import safe_id

# the fields the studio's client form edits, in order (a profile file may hold more: they are kept)
FORM_FIELDS = ("client_id", *PERSONAL, *(o.name for o in fields.STUDIO_OPTIONS))
FLAGS = tuple(o.name for o in fields.STUDIO_OPTIONS if isinstance(o.kind, Flag))
DEFAULTS_SHOWN = {name: "yes" if options.BY_NAME[name].default else "" for name in FLAGS}  # a new client's checkboxes


def folder(data_dir: Path) -> Path:
    return data_dir / "clients"


def path_of(data_dir: Path, client_id: str) -> Path | None:
    ident = safe_id(client_id)
    return folder(data_dir) / f"{ident}.yaml" if ident else None


def all_clients(data_dir: Path) -> list[dict]:
    """Every saved client: id and fields (a file that cannot be read is listed with its error)."""
    out = []
    for path in sorted(folder(data_dir).glob("*.yaml")):
        if path.is_symlink() or not safe_id(path.stem):
            continue
        try:
            out.append({"client_id": path.stem, **fields_of(path), "error": ""})
        except SessiongenError as exc:
            out.append({"client_id": path.stem, "error": str(exc)})
    return out


def fields_of(path: Path) -> dict:
    data = yamlfile.read(path, "profile")
    if not isinstance(data, dict):
        raise SessiongenError(f"{path.name}: a profile is a mapping of fields")
    return {str(k): v for k, v in data.items()}


def load(data_dir: Path, client_id: str) -> dict | None:
    path = path_of(data_dir, client_id)
    if path is None or not path.is_file() or path.is_symlink():
        return None
    return fields_of(path)


def save(data_dir: Path, form: dict, original_id: str = "") -> str:
    """Check the fields as a profile file is checked, then write it; returns the client id."""
    client_id = str(form.get("client_id") or "").strip()
    if not safe_id(client_id):
        raise SessiongenError("client_id: use letters, digits, '-' and '_' only (at most 64), e.g. C-022", option="client_id")
    data = {k: str(form[k]).strip() for k in FORM_FIELDS if k not in FLAGS and str(form.get(k) or "").strip()}
    data.update({name: "yes" if form.get(name) else "no" for name in FLAGS})
    from_fields(data, "client")  # every field checked by the library: the same messages as a profile file
    existing = load(data_dir, original_id or client_id) or {}
    kept = {k: v for k, v in existing.items() if k not in FORM_FIELDS}
    path = path_of(data_dir, client_id)
    if original_id != client_id and path.exists():
        raise SessiongenError(f"client_id: a client {client_id} exists already", option="client_id")
    write_text_atomic(path, yaml.safe_dump({**data, **kept}, allow_unicode=True, sort_keys=False))
    if original_id and original_id != client_id:
        delete(data_dir, original_id)
    return client_id


def delete(data_dir: Path, client_id: str) -> bool:
    path = path_of(data_dir, client_id)
    if path is None or not path.is_file() or path.is_symlink():
        return False
    path.unlink()
    return True


def renders_of(data_dir: Path, client_id: str | None = None) -> list[dict]:
    """Past renders (newest first), each from its render.json; only one client's if given."""
    out = []
    for record in sorted((data_dir / "renders").glob("*/render.json"), reverse=True):
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if client_id is None or data.get("client_id") == client_id:
            out.append(data)
    return out
