"""YAML front matter: split it from the body and validate it into `Meta`."""

from __future__ import annotations

import re

import yaml

from sessiongen.errors import Location, SessiongenError, suggest
from sessiongen.model.script import Meta
from sessiongen.script import yamlfile
from sessiongen.script.durations import DurationError, parse_duration_s
from sessiongen.script.limits import MAX_VALUE_CHARS
from sessiongen.speech import pronounce

REQUIRED = ("id", "title", "category", "summary", "duration")
OPTIONAL = ("cautions", "variables", "ambience", "language", "pronunciations")
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
VARIABLE_RE = re.compile(r"[a-z_][a-z0-9_]*")
MAX_DURATION_S = 240 * 60.0


def split(text: str, path: str, *, required: bool) -> tuple[dict, list[str], int]:
    """(front-matter mapping, body lines, 1-based line number of the first body line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        late = next((line for line in lines if line.strip()), "").strip() == "---"  # front matter after blank lines
        if required or late:
            raise SessiongenError(
                "missing front matter: the file must start with a line '---'", Location(path, 1, 1, lines[0] if lines else "")
            )
        return {}, lines, 1
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise SessiongenError("front matter is not closed: add a line '---' after it", Location(path, 1, 1, lines[0]))
    data = _load_yaml("\n".join(lines[1:end]), path, lines)
    return data, lines[end + 1 :], end + 2


def _load_yaml(source: str, path: str, lines: list[str]) -> dict:
    try:
        data = yamlfile.load_text(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        problem = (
            ": " + yamlfile.message_of(exc)[0]
            if isinstance(exc, yamlfile.YamlLimitError)
            else " is not valid YAML: " + (getattr(exc, "problem", None) or "cannot be read")
        )
        raise SessiongenError(f"front matter{problem}", Location(path, line, (mark.column + 1) if mark else 1, _at(lines, line))) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SessiongenError("front matter must be a mapping of keys to values", Location(path, 2, 1, _at(lines, 2)))
    return data


def _at(lines: list[str], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


def key_location(path: str, lines: list[str], key: str) -> Location:
    """The line of `key:` in the front matter, for error messages."""
    for number, line in enumerate(lines, start=1):
        if re.match(rf"\s*{re.escape(key)}\s*:", line):
            return Location(path, number, 1, line)
        if number > 1 and line.strip() == "---":
            break
    return Location(path, 1, 1, _at(lines, 1))


def variables_of(data: dict, path: str, lines: list[str]) -> tuple[tuple[str, str], ...]:
    raw = data.get("variables") or {}
    where = key_location(path, lines, "variables")
    if not isinstance(raw, dict):
        raise SessiongenError("variables must be a mapping of names to default text", where)
    out = []
    for name, default in raw.items():
        if not isinstance(name, str) or not VARIABLE_RE.fullmatch(name):
            raise SessiongenError(
                f"variable name '{name}' must use a-z, 0-9 and '_', starting with a letter", key_location(path, lines, str(name))
            )
        if default is None:
            default = ""
        if not isinstance(default, (str, int, float)) or isinstance(default, bool):
            raise SessiongenError(f"variable '{name}' needs a text default, e.g. {name}: \"\"", key_location(path, lines, name))
        if len(str(default)) > MAX_VALUE_CHARS:
            raise SessiongenError(
                f"the default of '{name}' is longer than the limit of {MAX_VALUE_CHARS} characters: shorten it",
                key_location(path, lines, name),
            )
        out.append((name, str(default)))
    return tuple(out)


def _duration_of(value, path: str, lines: list[str], problems: list) -> float:
    if value in (None, ""):
        return 0.0
    try:
        duration_s = parse_duration_s(str(value))
        if duration_s > MAX_DURATION_S:
            raise DurationError(f"duration '{value}' is longer than {MAX_DURATION_S / 60:g} minutes")
        return duration_s
    except DurationError as exc:
        problems.append(SessiongenError(str(exc), key_location(path, lines, "duration")))
        return 0.0


def _cautions_of(data: dict, path: str, lines: list[str], problems: list) -> list[str]:
    cautions = data.get("cautions") or []
    if isinstance(cautions, str):
        cautions = [cautions]
    if not isinstance(cautions, list) or not all(isinstance(c, str) for c in cautions):
        problems.append(SessiongenError("cautions must be a list of text", key_location(path, lines, "cautions")))
        return []
    return cautions


def _voice_keys(data: dict, path: str, lines: list[str], problems: list) -> tuple[str, tuple]:
    """The script's `language` and `pronunciations`; a bad one is a problem, and its default is used."""
    language = data.get("language", "en")
    if not isinstance(language, str) or not LANGUAGE_RE.fullmatch(language):
        problems.append(
            SessiongenError(f"language '{language}' must be a language tag such as en, en-GB or es", key_location(path, lines, "language"))
        )
        language = "en"
    try:
        pronunciations = pronounce.parse(data.get("pronunciations"), "pronunciations")
    except SessiongenError as exc:
        problems.append(SessiongenError(exc.message.removeprefix("pronunciations: "), key_location(path, lines, "pronunciations")))
        pronunciations = ()
    return language, pronunciations


def meta_of(data: dict, path: str, lines: list[str], known_beds, *, library: bool = True) -> tuple[Meta, list[SessiongenError]]:
    """Validate a script's front matter; every problem is returned, not raised. A library script
    must give every REQUIRED key; a user's own script needs none of them (parser.py fills in id
    and title, and a script without duration is not fitted)."""
    problems: list[SessiongenError] = []
    for key in data:
        if key not in REQUIRED + OPTIONAL:
            problems.append(
                SessiongenError(
                    f"unknown front-matter key '{key}'{suggest(str(key), REQUIRED + OPTIONAL)}", key_location(path, lines, str(key))
                )
            )
    missing = [key for key in REQUIRED if data.get(key) in (None, "")] if library else []
    if missing:
        names = ", ".join(f"'{k}'" for k in missing)
        problems.append(SessiongenError(f"missing front-matter key{'s' * (len(missing) > 1)} {names}", Location(path, 1, 1, lines[0])))
    values = {k: data.get(k) for k in REQUIRED}
    for key in ("title", "category", "summary"):
        if values[key] is not None and not isinstance(values[key], str):
            problems.append(SessiongenError(f"'{key}' must be text", key_location(path, lines, key)))
    script_id = str(values["id"] or "")
    if script_id and not ID_RE.fullmatch(script_id):
        problems.append(SessiongenError(f"id '{script_id}' must use only a-z, 0-9 and '-'", key_location(path, lines, "id")))
    duration_s = _duration_of(values["duration"], path, lines, problems)
    cautions = _cautions_of(data, path, lines, problems)
    ambience = data.get("ambience")
    if ambience is not None and str(ambience) != "none" and str(ambience) not in known_beds:
        problems.append(
            SessiongenError(f"unknown ambience '{ambience}'{suggest(str(ambience), known_beds)}", key_location(path, lines, "ambience"))
        )
    try:
        variables = variables_of(data, path, lines)
    except SessiongenError as exc:
        problems.append(exc)
        variables = ()
    language, pronunciations = _voice_keys(data, path, lines, problems)
    meta = Meta(
        id=script_id,
        title=str(values["title"] or ""),
        category=str(values["category"] or ""),
        summary=str(values["summary"] or ""),
        duration_s=duration_s,
        cautions=tuple(cautions),
        variables=variables,
        ambience=None if ambience in (None, "none") else str(ambience),
        language=language,
        pronunciations=pronunciations,
    )
    return meta, problems
