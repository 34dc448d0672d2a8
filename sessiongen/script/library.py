"""Where the technique library and shipped audio live, in a checkout and in an installed wheel."""

from __future__ import annotations

import re
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.script.limits import shorten

_PACKAGE = Path(__file__).resolve().parents[1]  # sessiongen/
_NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _shipped(name: str) -> Path:
    installed = _PACKAGE / "_library" / name  # inside a wheel
    return installed if installed.is_dir() else _PACKAGE.parent / name  # a source checkout


def scripts_dir() -> Path:
    return _shipped("scripts")


def fragments_dir() -> Path:
    return scripts_dir() / "fragments"


def in_library(path: Path) -> bool:
    """Whether a script file is one of the library's techniques (held to all its front-matter keys)."""
    try:
        return path.resolve().parent == scripts_dir().resolve()
    except OSError:
        return False


def technique_paths() -> dict[str, Path]:
    """Technique id (the file's stem) -> path, for every script in the library."""
    return {p.stem: p for p in sorted(scripts_dir().glob("*.md")) if p.name.lower() != "readme.md"}


def resolve_script(ref: str) -> Path:
    """A script given as a path or as a library id."""
    path = Path(ref)
    try:
        if path.suffix and path.exists():  # the reader refuses what is not a regular file, saying what it is
            return path
    except OSError as exc:  # a name too long for the file system, ...
        raise SessiongenError(f"{shorten(ref)}: cannot be read ({exc.strerror or exc})") from None
    techniques = technique_paths()
    if ref in techniques:
        return techniques[ref]
    if path.suffix or "/" in ref or "\\" in ref:
        raise SessiongenError(f"{shorten(ref, 200)}: no such file")
    raise SessiongenError(f"no technique '{shorten(ref)}'{suggest(ref[:100], techniques)}: see `sessiongen techniques`")


def find_fragment(name: str, beside: Path) -> Path | None:
    """A fragment NAME.md beside the including script, else in the library's fragments."""
    if not _NAME_RE.fullmatch(name):
        return None
    for folder in (beside, beside / "fragments", fragments_dir()):
        candidate = folder / f"{name}.md"
        try:
            if candidate.exists():  # the reader refuses what is not a regular file, saying what it is
                return candidate
        except OSError:
            continue
    return None


def fragment_names(beside: Path) -> set[str]:
    names = {p.stem for p in fragments_dir().glob("*.md")}
    return names | {p.stem for p in beside.glob("*.md")}
