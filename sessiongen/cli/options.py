"""Options that several commands share, declared once: the session options, the engine, sidecars."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from sessiongen.errors import SessiongenError, suggest
from sessiongen.output import sidecars as sidecar_files
from sessiongen.request import SESSION_OPTION_NAMES, SessionOptions
from sessiongen.settings import DEFAULTS
from sessiongen.sound import catalog
from sessiongen.speech import pronounce


def _decoded(text: str, option: str) -> str:
    """An argument as text; bytes that were not UTF-8 on the command line (Python keeps them as lone
    surrogates, which nothing can write) are a usage error, not a traceback later."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(text).decode("utf-8", "backslashreplace")  # the bytes as they were given
        raise click.BadParameter(f"'{shown}' is not UTF-8 text: check the terminal's encoding (the locale) and type it again", param_hint=option) from None
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


def _check_ambience(ctx, param, value):
    if value is None or value == "none" or value in catalog.BEDS:
        return value
    path = Path(value)
    try:
        if path.is_file():
            return str(path.resolve())
    except OSError as exc:
        raise click.BadParameter(f"{value}: {exc.strerror}") from None
    if path.suffix:
        raise click.BadParameter(f"{value}: no such audio file")
    raise click.BadParameter(f"unknown ambience '{value}'{suggest(value, catalog.BEDS)}: give a bed name, an audio file or none")


def _parse_say(ctx, param, values) -> tuple:
    try:
        return pronounce.merged(*(pronounce.parse(_decoded(item, "--say"), "") for item in values))
    except SessiongenError as exc:
        raise click.BadParameter(exc.message) from None


def _sidecar_kinds(ctx, param, value):
    try:
        return sidecar_files.parse_kinds(value)
    except SessiongenError as exc:
        raise click.BadParameter(str(exc)) from None


ENGINE_OPTION = click.option(
    "--engine", metavar="NAME",
    help="Speech engine: kokoro (54 natural voices, `sessiongen voices`), piper (the voice joe) or pyttsx3 (espeak-ng's voices and languages) "
         "[default: kokoro; piper where Kokoro's voices are not installed; pyttsx3 where neither loads].",
)


def sidecars_option(help: str):
    """--sidecars KINDS, checked and parsed into a tuple of kinds."""
    return click.option("--sidecars", "sidecar_kinds", default=",".join(sidecar_files.DEFAULT_KINDS), show_default=True,
                        callback=_sidecar_kinds, help=help)


def json_option(help: str):
    return click.option("--json", "as_json", is_flag=True, help=help)


SESSION_OPTIONS = [
    click.option("--var", "variables", multiple=True, callback=_parse_vars, metavar="KEY=VALUE", help="Set a script variable, e.g. --var name=Sam (repeatable)."),
    click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), help="A client profile (YAML); options given here override it."),
    click.option("--minutes", type=float, help="Fit the session to this many minutes by stretching its elastic pauses."),
    click.option("--voice", callback=lambda ctx, param, value: value if value is None else _decoded(value, "--voice"), help="A voice's name or language (see `sessiongen voices`), or a Piper .onnx file; espeak-ng variants as VOICE+VARIANT."),
    click.option("--say", multiple=True, callback=_parse_say, metavar="WORD=RESPELLING",
                 help="How to say a word: a respelling (Siobhan=shi-vawn) or IPA phonemes between slashes (Nguyen=/ŋwiən/); repeatable."),
    click.option("--rate", type=int, help=f"Speech rate in words per minute [default: {DEFAULTS.rate_wpm}]."),
    click.option("--pause-scale", type=float, help="Make every pause and rest longer (e.g. 1.3) or shorter (0.8); 0.5 to 2 [default: 1]."),
    click.option("--slow-ending", is_flag=True, help="Ease the speech rate and lengthen the pauses over the final part (for sleep)."),
    click.option("--bls/--no-bls", default=None, help="Bilateral tones on or off [default: on]."),
    click.option("--bls-rate", type=float, help="Override every set's rate (cycles per second, 0.3 to 2)."),
    click.option("--bls-tone", type=click.Choice(list(catalog.TIMBRES)), help="Override every set's timbre."),
    click.option("--bls-depth", type=float, help="Override every set's pan depth (percent)."),
    click.option("--ambience", callback=_check_ambience, metavar="NAME|FILE|none", help="Background bed for the whole session (overrides the script)."),
    click.option("--ambience-vary", is_flag=True, help="With an audio file as the bed: play seeded random stretches of it instead of one loop."),
    click.option("--duck", type=float, help=f"How far (dB) the bed dips under narration [default: {DEFAULTS.duck_db:g}]."),
    click.option("--mono", is_flag=True, help="A speaker version: one channel, bilateral tones centred (and said so)."),
    click.option("--no-headphone-check", is_flag=True, help="Leave out the script's headphone check (the tone and word in each ear)."),
    click.option("--seed", type=int, help="Seed for everything random (beds, jitter); the same seed gives the same audio [default: 0]."),
    ENGINE_OPTION,
    click.option("--voice-pack", type=click.Path(file_okay=False, path_type=Path), metavar="PACK",
                 help="Speak with a clinician's recorded voice: a voice pack folder (see `sessiongen voice-pack`)."),
    click.option("--allow-synthetic", is_flag=True, help="With --voice-pack: let the synthetic voice say the phrases the pack lacks (they are listed)."),
    click.option("--no-cache", is_flag=True, help="Do not read or write the phrase cache."),
]


def session_options(command):
    """The options shared by `render` and `plan`, handed to the command as one `session` argument."""

    @functools.wraps(command)
    def with_session(*args, **kwargs):
        given = {name: kwargs.pop(name) for name in SESSION_OPTION_NAMES}
        return command(*args, session=SessionOptions(**given), **kwargs)

    for option in reversed(SESSION_OPTIONS):
        with_session = option(with_session)
    return with_session
