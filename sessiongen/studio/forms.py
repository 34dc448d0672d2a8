"""The compose form read into what the library takes: the script reference, `SessionOptions` by
the names of the option specification (the form's fields carry those names), and packaging.
Every value is checked by the library's own functions, so an error is the command line's
message, shown next to the field its option names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sessiongen import options, pipeline
from sessiongen.errors import SessiongenError
from sessiongen.options.kinds import Flag
from sessiongen.options.profile import PERSONAL
from sessiongen.output.formats import NAMES as FORMATS
from sessiongen.output.packaging import Packaging
from sessiongen.request import SessionOptions, SessionRequest, session_request
from sessiongen.script.library import technique_paths
from sessiongen.settings import Settings
from sessiongen.studio import fields
from sessiongen.studio.security import OutsideDataFolder, inside, safe_id

MAX_TECHNIQUES = 4
VAR_PREFIX = "var_"


class FormError(SessiongenError):
    """A SessiongenError about one field of the form."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Composed:
    ref: str  # what pipeline.load takes: library ids joined with '+'
    techniques: tuple[str, ...]
    request: SessionRequest
    values: dict
    packaging: Packaging
    client_id: str
    fmt: str


def techniques_of(form) -> list[str]:
    """The techniques chosen, in order; each must be in the library."""
    known = technique_paths()
    chosen = [str(form.get(f"technique_{n}") or "").strip() for n in range(1, MAX_TECHNIQUES + 1)]
    chosen = [t for t in chosen if t]
    if not chosen:
        raise FormError("technique_1", "choose a technique")
    for technique in chosen:
        if technique not in known:
            raise FormError("technique_1", f"no technique '{technique[:60]}' in the library")
    return chosen


def ambience_of(form, data_dir: Path) -> str | None:
    """'' keeps the script's bed; 'file:NAME' is a recording in the data folder; anything else is
    checked as the ambience option (a bed's name or none)."""
    choice = str(form.get("ambience") or "").strip()
    if not choice.startswith("file:"):
        return choice or None
    try:
        return str(inside(data_dir / "beds", choice[5:]))
    except OutsideDataFolder:
        raise FormError("ambience", "that recording is not in the studio's beds") from None


def cover_of(form, data_dir: Path) -> Path | None:
    """A cover image from the data folder's covers/, or None for the one made for the technique."""
    name = str(form.get("cover") or "").strip()
    if not name:
        return None
    try:
        path = inside(data_dir / "covers", name)
    except OutsideDataFolder:
        raise FormError("cover", "that image is not in the studio's covers") from None
    if not path.is_file():
        raise FormError("cover", f"no cover '{name[:60]}': add it under Your sounds and covers")
    return path


def field_for(exc: SessiongenError, default: str = "") -> str:
    """The form field an error is about: its option, 'personal' for the values, or `default`."""
    if exc.option in PERSONAL or exc.option == "variables":
        return "personal"
    return exc.option if exc.option in options.BY_NAME else default


def flags_shown(profile: dict | None = None) -> dict:
    """Each checkbox's state: a profile's yes or no where it says, else the option's default."""
    out = {}
    for o in fields.STUDIO_OPTIONS:
        if isinstance(o.kind, Flag):
            try:
                out[o.name] = o.kind.parse(profile[o.name]) if profile and o.name in profile else o.default
            except ValueError:
                out[o.name] = o.default
    return out


def in_words(option: options.Option) -> str:
    """How the studio names an option in an error: its label."""
    return option.label


def session_options(form, data_dir: Path, engine: str | None) -> SessionOptions:
    """The form's session options, by the names of the option specification: a checkbox is on or
    off, an empty field is not given (the client's profile or the default stands)."""
    client = safe_id(form.get("client", ""))
    variables = {k[len(VAR_PREFIX) :]: str(v).strip() for k, v in form.items() if k.startswith(VAR_PREFIX) and str(v).strip()}
    given = {
        o.name: bool(form.get(o.name)) if isinstance(o.kind, Flag) else str(form.get(o.name) or "").strip() for o in fields.STUDIO_OPTIONS
    }
    given.update(ambience=ambience_of(form, data_dir), engine=engine)
    profile = (data_dir / "clients" / f"{client}.yaml") if client else None
    return SessionOptions(options=given, variables=variables, profile=profile, label=in_words)


def _field_error(exc: SessiongenError, default: str = "") -> FormError:
    return exc if isinstance(exc, FormError) else FormError(field_for(exc, default), str(exc))


def settings_of(form, data_dir: Path, engine: str | None) -> Settings:
    """The settings of the form alone (for the voice and bed previews)."""
    try:
        return session_request(session_options(form, data_dir, engine)).settings
    except SessiongenError as exc:
        raise _field_error(exc) from None


def compose_form(form, data_dir: Path, engine: str | None) -> Composed:
    """The whole form, checked as the command line checks its options; FormError names the field."""
    chosen = techniques_of(form)
    fmt = str(form.get("format") or "mp3")
    if fmt not in FORMATS:
        raise FormError("format", f"the file type must be one of {', '.join(FORMATS)}")
    try:
        request = session_request(session_options(form, data_dir, engine))
        script = pipeline.load("+".join(chosen), request.settings.language)
        values = request.values_for(script)
        _check_variables(values, script)
    except SessiongenError as exc:
        raise _field_error(exc, "technique_1") from None
    packaging = Packaging(client_id=request.profile.client_id, format=fmt, review=True, cover=cover_of(form, data_dir))
    return Composed("+".join(chosen), tuple(chosen), request, values, packaging, request.profile.client_id, fmt)


def _check_variables(values: dict, script) -> None:
    from sessiongen.script.personalise import values_for

    try:
        values_for(script, values)
    except SessiongenError as exc:
        raise FormError("personal", str(exc)) from None


def declared_fields(script) -> list[tuple[str, str]]:
    """(name, default) of every variable the chosen scripts declare, the personal fields first."""
    variables = dict(script.meta.variables)
    ordered = [n for n in PERSONAL if n in variables] + [n for n in variables if n not in PERSONAL]
    return [(name, variables[name]) for name in ordered]
