"""`sessiongen voices`: the voices of the installed engines; `voices install` brings Kokoro's,
`voices preview NAME` renders a short sample of one."""

from __future__ import annotations

from pathlib import Path

import click

from sessiongen import speech
from sessiongen.cli.group import Group
from sessiongen.cli.options import ENGINE_OPTION, json_option
from sessiongen.cli.table import table_lines
from sessiongen.errors import display_path
from sessiongen.output.jsontext import json_text
from sessiongen.settings import DEFAULTS


@click.group(cls=Group, invoke_without_command=True)
@json_option("Print the list as JSON (objects with id, name, engine, language, languages, gender, quality, sample_rate_hz, location).")
@click.option("--engine", metavar="NAME", help="Only this engine's voices (kokoro, piper or pyttsx3) [default: every engine's].")
@click.option("--language", help="Only voices that speak this language (en, en-GB, es, fr, it, pt-BR, ...).")
@click.option("--gender", type=click.Choice(["female", "male"], case_sensitive=False), help="Only women's or men's voices.")
@click.pass_context
def voices(ctx, as_json, engine, language, gender):
    """List the voices: engine, voice, language, gender, quality grade, sample rate and where each lives."""
    if ctx.invoked_subcommand is not None:
        return
    found = speech.list_voices(engine, language, gender)
    if as_json:
        click.echo(json_text([v.as_dict() for v in found], "voices --json", indent=2, ensure_ascii=False))
        return
    cells = [["ENGINE", "VOICE (--voice)", "LANGUAGE", "GENDER", "GRADE", "RATE", "WHERE"]]
    for v in found:
        where = v.location if v.name == v.id else f"{v.location} ({v.name})"
        cells.append([v.engine, v.id, v.language or "-", v.gender or "-", v.quality or "-", f"{v.rate_hz}" if v.rate_hz else "-", where])
    for line in table_lines(cells, right={5}):
        click.echo(line)


@voices.command("install")
@click.option(
    "--from",
    "tarball",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="kokoro-js-1.2.1.tgz",
    help="Install from this npm tarball (made with `npm pack kokoro-js@1.2.1` on a machine with npm) [default: fetch it with npm].",
)
def install_command(tarball):
    """Install Kokoro's 54 voices (npm package kokoro-js 1.2.1, each file checked) and assemble its model."""
    from sessiongen.speech import kokorofiles, kokoroinstall

    names = kokoroinstall.install(tarball)
    click.echo(
        f"installed {len(names)} Kokoro voices in {display_path(kokorofiles.voices_dir())} (see `sessiongen voices --engine kokoro`)"
    )


@voices.command("preview")
@click.argument("name", metavar="NAME")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The sample to write (.mp3, .wav, .flac, .ogg)."
)
@ENGINE_OPTION
@click.option("--rate", type=int, help=f"Speech rate, words per minute [default: {DEFAULTS.rate_wpm}].")
def preview_command(name, output, engine, rate):
    """Render a short calm sample of one voice (a name, or a Kokoro blend such as af_heart:60,bf_emma:40)."""
    from sessiongen import preview

    result = preview.preview(name, output, DEFAULTS.but(engine=engine, rate_wpm=rate), preview.voice_language(name, engine))
    click.echo(
        f"wrote {display_path(result.rendered.path)} ({result.rendered.timeline.duration_s:.1f} s, {result.manifest['parameters']['engine']} {name})"
    )
