"""Where the technique library and shipped audio live, in a checkout and in an installed wheel.

The library's own language, English, is `scripts/` (its fragments in `scripts/fragments/`); every
other language is a folder named by its primary language tag, `scripts/es/` (with
`scripts/es/fragments/`), holding the same technique ids. A technique is looked up in one
language's folder; nothing falls back to another language.
"""

from __future__ import annotations

import re
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.script.limits import shorten

_PACKAGE = Path(__file__).resolve().parents[1]  # sessiongen/
_NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")
BASE_LANGUAGE = "en"  # the language of scripts/ itself
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def _shipped(name: str) -> Path:
    installed = _PACKAGE / "_library" / name  # inside a wheel
    return installed if installed.is_dir() else _PACKAGE.parent / name  # a source checkout


def primary_language(language: str | None) -> str:
    """'es-MX' -> 'es'; None -> 'en', the library's own."""
    return (language or BASE_LANGUAGE).strip().replace("_", "-").lower().split("-")[0] or BASE_LANGUAGE


def languages() -> list[str]:
    """Every language the library has scripts in: 'en', then each language folder."""
    found = [p.name for p in sorted(_shipped("scripts").iterdir()) if p.is_dir() and _LANGUAGE_RE.fullmatch(p.name) and any(p.glob("*.md"))]
    return [BASE_LANGUAGE, *found]


def scripts_dir(language: str | None = None) -> Path:
    root = _shipped("scripts")
    code = primary_language(language)
    return root if code == BASE_LANGUAGE else root / code


def fragments_dir(language: str | None = None) -> Path:
    """The library's fragments in `language`; English for a language the library lacks."""
    folder = scripts_dir(language) / "fragments"
    return folder if folder.is_dir() else scripts_dir() / "fragments"


def in_library(path: Path) -> bool:
    """Whether a script file is one of the library's techniques, in any language (held to all its
    front-matter keys)."""
    try:
        return path.resolve().parent in {scripts_dir(lang).resolve() for lang in languages()}
    except OSError:
        return False


def technique_paths(language: str | None = None) -> dict[str, Path]:
    """Technique id (the file's stem) -> path, for every script of the library in `language`."""
    folder = scripts_dir(language)
    return {p.stem: p for p in sorted(folder.glob("*.md")) if p.name.lower() != "readme.md"} if folder.is_dir() else {}


def listed_paths(language: str | None = None) -> dict[str, Path]:
    """technique_paths, or an error naming the languages there are when `language` has none."""
    found = technique_paths(language)
    if not found:
        raise SessiongenError(f"the library has no scripts in {_language_label(language)}: it has {', '.join(languages())}")
    return found


def _language_label(language: str | None) -> str:
    code = primary_language(language)
    return f"{LANGUAGE_NAMES[code]} ({code})" if code in LANGUAGE_NAMES else f"'{code}'"


def resolve_script(ref: str, language: str | None = None) -> Path:
    """A script given as a path or as a library id (looked up in `language`'s scripts)."""
    path = Path(ref)
    try:
        if path.suffix and path.exists():  # the reader refuses what is not a regular file, saying what it is
            return path
    except OSError as exc:  # a name too long for the file system, ...
        raise SessiongenError(f"{shorten(ref)}: cannot be read ({exc.strerror or exc})") from None
    techniques = technique_paths(language)
    if ref in techniques:
        return techniques[ref]
    if path.suffix or "/" in ref or "\\" in ref:
        raise SessiongenError(f"{shorten(ref, 200)}: no such file")
    if not techniques:
        raise SessiongenError(f"the library has no scripts in {_language_label(language)}: it has {', '.join(languages())}")
    if primary_language(language) != BASE_LANGUAGE and ref in technique_paths():
        raise SessiongenError(
            f"the technique '{shorten(ref)}' has no {_language_label(language)} version; in {_language_label(language)} there are: {', '.join(techniques)}"
        )
    listing = "sessiongen techniques" + ("" if primary_language(language) == BASE_LANGUAGE else f" --language {primary_language(language)}")
    raise SessiongenError(f"no technique '{shorten(ref)}'{suggest(ref[:100], techniques)}: see `{listing}`")


def find_fragment(name: str, beside: Path, language: str | None = None) -> Path | None:
    """A fragment NAME.md beside the including script, else in the library's fragments in the
    script's language."""
    if not _NAME_RE.fullmatch(name):
        return None
    for folder in (beside, beside / "fragments", fragments_dir(language)):
        candidate = folder / f"{name}.md"
        try:
            if candidate.exists():  # the reader refuses what is not a regular file, saying what it is
                return candidate
        except OSError:
            continue
    return None


def fragment_names(beside: Path, language: str | None = None) -> set[str]:
    names = {p.stem for p in fragments_dir(language).glob("*.md")}
    return names | {p.stem for p in beside.glob("*.md")}
