"""Options applied: a user's values parsed into settings changes, a built `Settings` checked, and
the values a manifest records (and reads back).

Every front end goes through `changes` with its own way of naming an option in an error ('--rate'
on the command line, 'client.yaml: rate' in a profile, the field in the studio), so every front
end gives the same message for the same bad value; the error carries the option's name
(`SessiongenError.option`), which the studio shows beside the field.
"""

from __future__ import annotations

from collections.abc import Callable

from sessiongen.errors import SessiongenError
from sessiongen.options.table import BY_NAME, OPTIONS, Option
from sessiongen.settings import Settings
from sessiongen.speech import pronounce


def parse(option: Option, raw, label: str):
    """One option's value from what a user gave; SessiongenError naming the option if it is bad."""
    try:
        return option.kind.parse(raw)
    except ValueError as exc:
        raise SessiongenError(f"{label} {exc}", option=option.name) from None


def given(raw) -> bool:
    """Whether a front end gave a value: None, '' and () are 'not given'."""
    return raw is not None and raw != "" and raw != ()


def changes(values: dict, label: Callable[[Option], str]) -> dict:
    """Settings changes (by field) from options given by name; unknown names are the caller's."""
    out = {}
    for name, raw in values.items():
        if given(raw):
            option = BY_NAME[name]
            out[option.field] = parse(option, raw, label(option))
    return out


def merged(*layers: dict) -> dict:
    """Settings changes, each layer over the ones before; pronunciations add up (a later entry for
    the same word wins) rather than replace each other."""
    out: dict = {}
    for layer in layers:
        out.update(layer)
    entries = [layer["pronunciations"] for layer in layers if "pronunciations" in layer]
    if entries:
        out["pronunciations"] = pronounce.merged(*entries)
    return out


def check(settings: Settings) -> Settings:
    """Every option's value in `settings` is one it may take (a library caller's Settings is
    checked as a command line's options are); the first bad one is an error naming it."""
    for option in OPTIONS:
        value = getattr(settings, option.field)
        if value is None and option.default is None:
            continue
        try:
            option.kind.check(value)
        except ValueError as exc:
            raise SessiongenError(f"{option.name} {exc}", option=option.name) from None
    return settings


def recorded(settings: Settings, resolved: dict | None = None) -> dict:
    """The manifest's record of every option, by name: what a render used, `resolved` where the
    session decided it (the engine and voice chosen, the loudness target), so the same values
    render the same audio again."""
    resolved = resolved or {}
    out = {}
    for option in OPTIONS:
        if not option.manifest:
            continue
        value = resolved.get(option.name, getattr(settings, option.field))
        out[option.name] = None if value is None else option.kind.recorded(value)
    return out
