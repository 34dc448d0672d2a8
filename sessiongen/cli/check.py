"""`sessiongen check`: validate scripts, every problem with its place and its line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sessiongen import reach
from sessiongen.errors import ScriptError
from sessiongen.script import parser
from sessiongen.script.limits import shorten

ECHO_CHARS = 500  # of the offending line, echoed under its problem


@click.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(scripts):
    """Validate scripts (and fragments): every problem as FILE:LINE:COL: message, then the line."""
    failed = 0
    for path in scripts:
        try:
            for note in (*parser.check_file(path), reach.duration_note(path)):
                if note:
                    click.echo(f"warning: {note}", err=True)
        except ScriptError as exc:
            failed += 1
            for problem in exc.problems:
                click.echo(str(problem))
                if problem.where is not None and problem.where.text:
                    click.echo(f"    {shorten(problem.where.text.strip(), ECHO_CHARS)}")
    files = f"file{'s' * (len(scripts) > 1)}"
    if failed:
        click.echo(f"problems in {failed} of {len(scripts)} {files}", err=True)
        sys.exit(1)
    click.echo(f"{len(scripts)} {files} OK")
