"""`sessiongen voices`: the voices of the installed engines."""

from __future__ import annotations

import click

from sessiongen import speech
from sessiongen.cli.options import json_option
from sessiongen.cli.table import table_lines
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
    cells = [["ENGINE", "VOICE (--voice)", "LANGUAGE", "QUALITY", "RATE", "WHERE"]]
    for v in found:
        where = v.location if v.name == v.id else f"{v.location} ({v.name})"
        cells.append([v.engine, v.id, ",".join(v.languages), v.quality or "-", f"{v.rate_hz}" if v.rate_hz else "-", where])
    for line in table_lines(cells, right={4}):
        click.echo(line)
