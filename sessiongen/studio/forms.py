"""The compose form read into what the library takes: the script reference, `SessionOptions` (as
the command line gathers them), output settings and packaging. Every value is checked by the
library's own functions, so an error is the command line's one line, shown next to its field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sessiongen import pipeline
from sessiongen.errors import SessiongenError
from sessiongen.output.formats import NAMES as FORMATS
from sessiongen.output.packaging import Packaging
from sessiongen.request import SessionOptions, output_settings, session_request
from sessiongen.script.library import technique_paths
from sessiongen.script.profile import PERSONAL
from sessiongen.settings import Settings
from sessiongen.sound import catalog
from sessiongen.speech import pronounce
from sessiongen.studio.pages import field_of
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
    settings: Settings
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


def _number(form, name: str, kind=float):
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise FormError(name, f"--{name.replace('_', '-')} must be a number, not '{text[:40]}'") from None


def ambience_of(form, data_dir: Path) -> str | None:
    """'' keeps the script's bed; a bed's name, 'none', or 'file:NAME' for a recording in the data folder."""
    choice = str(form.get("ambience") or "").strip()
    if not choice:
        return None
    if choice.startswith("file:"):
        try:
            return str(inside(data_dir / "beds", choice[5:]))
        except OutsideDataFolder:
            raise FormError("ambience", "that recording is not in the studio's beds") from None
    if choice != "none" and choice not in catalog.BEDS:
        raise FormError("ambience", f"no bed '{choice[:40]}'")
    return choice


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


def session_options(form, data_dir: Path, engine: str | None) -> SessionOptions:
    """The form's session options, as the command line would gather them."""
    client = safe_id(form.get("client", ""))
    variables = {k[len(VAR_PREFIX):]: str(v).strip() for k, v in form.items() if k.startswith(VAR_PREFIX) and str(v).strip()}
    try:
        say = pronounce.parse(str(form.get("pronunciations") or ""), "")
    except SessiongenError as exc:
        raise FormError("pronunciations", str(exc)) from None
    return SessionOptions(
        variables=variables, profile=(data_dir / "clients" / f"{client}.yaml") if client else None,
        minutes=_number(form, "minutes"), voice=str(form.get("voice") or "").strip() or None, say=tuple(say),
        rate=_number(form, "rate", int), bls=bool(form.get("bls")), bls_rate=_number(form, "bls_rate"),
        bls_tone=str(form.get("bls_tone") or "").strip() or None, bls_depth=_number(form, "bls_depth"),
        ambience=ambience_of(form, data_dir), mono=bool(form.get("mono")), no_headphone_check=not form.get("headphone_check"), seed=_number(form, "seed", int), engine=engine,
    )


def settings_of(form, data_dir: Path, engine: str | None) -> Settings:
    """The settings of the form alone (for the voice and bed previews)."""
    try:
        return session_request(session_options(form, data_dir, engine)).settings
    except FormError:
        raise
    except SessiongenError as exc:
        raise FormError(field_of(str(exc)), str(exc)) from None


def compose_form(form, data_dir: Path, engine: str | None) -> Composed:
    """The whole form, checked as the command line checks its options; FormError names the field."""
    chosen = techniques_of(form)
    fmt = str(form.get("format") or "mp3")
    if fmt not in FORMATS:
        raise FormError("format", f"--format must be one of {', '.join(FORMATS)}")
    options = session_options(form, data_dir, engine)
    try:
        request = session_request(options)
        script = pipeline.load("+".join(chosen))
        values = request.values_for(script)
        _check_variables(values, script)
    except FormError:
        raise
    except SessiongenError as exc:
        raise FormError(field_of(str(exc), "technique_1"), str(exc)) from None
    settings = output_settings(request.settings)
    packaging = Packaging(client_id=request.profile.client_id, format=fmt, review=True, cover=cover_of(form, data_dir))
    return Composed("+".join(chosen), tuple(chosen), settings, values, packaging, request.profile.client_id, fmt)


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
