"""The command line's options: the specification's (sessiongen/options/table.py) made click options, and
the inputs several commands share (--var, --profile, --sidecars, --json)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from sessiongen import options
from sessiongen.errors import SessiongenError
from sessiongen.options.kinds import Flag, Number, Text
from sessiongen.output import sidecars as sidecar_files
from sessiongen.request import SessionOptions


def _decoded(text: str, option: str) -> str:
    """An argument as text; bytes that were not UTF-8 on the command line (Python keeps them as lone
    surrogates, which nothing can write) are a usage error, not a traceback later."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(text).decode("utf-8", "backslashreplace")  # the bytes as they were given
        raise click.BadParameter(
            f"'{shown}' is not UTF-8 text: check the terminal's encoding (the locale) and type it again", param_hint=option
        ) from None
    return text


def require_text(command: click.Command) -> None:
    """Every text option of `command` refuses bytes that were not UTF-8 on the command line (a
    usage error, exit 2) before its own callback sees them: --artist, --engine, --date, ...
    File and folder options are left to the checks of the names they write (`output/files.py`)."""
    for param in command.params:
        if isinstance(param, click.Option) and isinstance(param.type, click.types.StringParamType) and not hasattr(param, "_text_checked"):
            param._text_checked = True
            param.callback = _text_first(param.callback)


def _text_first(callback):
    def checked(ctx, param, value):
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str):
                _decoded(item, max(param.opts, key=len))
        return value if callback is None else callback(ctx, param, value)

    return checked


def _parse_vars(ctx, param, values) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = _decoded(item, "--var").partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{item}' must look like KEY=VALUE, e.g. --var name=Sam")
        out[key.strip()] = value
    return out


def _sidecar_kinds(ctx, param, value):
    try:
        return sidecar_files.parse_kinds(value)
    except SessiongenError as exc:
        raise click.BadParameter(str(exc)) from None


def sidecars_option(help: str):
    """--sidecars KINDS, checked and parsed into a tuple of kinds."""
    return click.option(
        "--sidecars", "sidecar_kinds", default=",".join(sidecar_files.DEFAULT_KINDS), show_default=True, callback=_sidecar_kinds, help=help
    )


def json_option(help: str):
    return click.option("--json", "as_json", is_flag=True, help=help)


def default_text(option: options.Option) -> str:
    """An option's default in words: 'on', '105', 'the script's length', or '' for none."""
    default = option.default
    if option.shown_default or default is None or default == ():
        return option.shown_default
    if isinstance(default, bool):
        return "on" if default else "off"
    return f"{default:g}" if isinstance(default, float) else str(default)


def _help(option: options.Option) -> str:
    """The help, with what the option takes ('a number from 60 to 400') and its default."""
    takes = "" if isinstance(option.kind, (Flag, Text)) else f" Takes {option.kind.describe()}."
    default = "" if option.default is False else default_text(option)  # a flag given alone: its default goes without saying
    return option.help + takes + (f" [default: {default}]" if default else "")


def click_option(option: options.Option):
    """The command line's form of an option of the specification. Values reach the library as
    given (text), so the library checks them as it checks a profile's: the same message."""
    if isinstance(option.kind, Flag):
        return click.option(option.cli_flag, option.name, is_flag=True, default=None, help=_help(option))
    metavar = option.metavar or ("N" if isinstance(option.kind, Number) else None)
    return click.option(option.cli_flag, option.name, multiple=option.multiple, metavar=metavar, help=_help(option))


def options_of(group: str) -> list[options.Option]:
    return [o for o in options.OPTIONS if o.group == group and options.CLI in o.fronts]


def with_options(group: str, extra=()):
    """Adds a group's options (and `extra` click options) to a command, handed to it as one
    `given` argument: {option name: value as given}."""

    def decorate(command):
        chosen = options_of(group)

        @functools.wraps(command)
        def wrapped(*args, **kwargs):
            kwargs[f"{group}_given"] = {o.name: kwargs.pop(o.name) for o in chosen}
            return command(*args, **kwargs)

        for made in reversed([*extra, *map(click_option, chosen)]):
            wrapped = made(wrapped)
        return wrapped

    return decorate


ENGINE_OPTION = click_option(options.BY_NAME["engine"])
LANGUAGE_OPTION = click_option(options.BY_NAME["language"])

SESSION_INPUTS = [
    click.option(
        "--var",
        "variables",
        multiple=True,
        callback=_parse_vars,
        metavar="KEY=VALUE",
        help="Set a script variable, e.g. --var name=Sam (repeatable).",
    ),
    click.option(
        "--profile", type=click.Path(dir_okay=False, path_type=Path), help="A client profile (YAML); options given here override it."
    ),
    click.option("--no-cache", is_flag=True, help="Do not read or write the phrase cache."),
]


def session_options(command):
    """The session's options of the specification and its inputs (--var, --profile, --no-cache),
    shared by `render` and `plan`, handed to the command as one `session` argument."""

    @functools.wraps(command)
    def with_session(*args, session_given, variables, profile, no_cache, manifest=None, **kwargs):
        given = SessionOptions(options=session_given, variables=variables, profile=profile, manifest=manifest, no_cache=no_cache)
        return command(*args, session=given, **kwargs)

    return with_options(options.SESSION, SESSION_INPUTS)(with_session)
