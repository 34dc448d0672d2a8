"""`sessiongen import`: a script written for another speech tool (SSML, bracket pauses) in our format."""

from __future__ import annotations

from pathlib import Path

import click

from sessiongen import pipeline
from sessiongen.errors import display_path
from sessiongen.script.imports import DIALECTS


@click.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the script here [default: print it].")
@click.option(
    "--dialect",
    type=click.Choice(tuple(DIALECTS)),
    help="What the file is written in [default: recognised from its content and extension].",
)
def import_script(source, output, dialect):
    """Convert SSML (Polly, Google, Azure, Alexa) or a text with bracket pauses ([pause:5],
    [PAUSE:10], [pause 500ms], [short pause], [long pause]) into a sessiongen script, saying
    what each construct became and what was dropped."""
    imported = pipeline.import_script(source, output, dialect)
    if output is None:
        click.echo(imported.text, nl=False)
    notes = "\n".join(imported.notes)
    if notes:
        click.echo(notes, err=output is None)
    if output is not None:
        click.echo(
            f"wrote {display_path(output)} from {display_path(source)} ({imported.dialect}): render, plan or check it, or edit it first"
        )
