"""`sessiongen voices`: the voices of the installed engines."""

from __future__ import annotations

import click

from sessiongen import speech
from sessiongen.cli.options import json_option
from sessiongen.output.jsontext import json_text


@click.command()
@json_option("Print the list as JSON.")
@click.option("--engine", metavar="NAME", help="Only this engine's voices (piper or pyttsx3) [default: every engine's].")
@click.option("--language", help="Only voices that speak this language (en, en-GB, es, ...).")
def voices(as_json, engine, language):
    """List the voices: engine, name, language, quality, sample rate and where each lives."""
    found = speech.list_voices(engine, language)
    if as_json:
        click.echo(json_text([v.as_dict() for v in found], "voices --json", indent=2, ensure_ascii=False))
        return
    click.echo(f"{'ENGINE':<8} {'VOICE (--voice)':<26} {'LANGUAGE':<16} {'QUALITY':<8} {'RATE':>6}  WHERE")
    for v in found:
        rate = f"{v.rate_hz}" if v.rate_hz else "-"
        where = v.location if v.name == v.id else f"{v.location} ({v.name})"
        click.echo(f"{v.engine:<8} {v.id:<26} {','.join(v.languages):<16} {v.quality or '-':<8} {rate:>6}  {where}")
