"""The command line: parses options, calls the library, reports. No behaviour lives here.

One module per command; options shared by several commands are in `options`, error reporting
and --verbose/--debug in `diagnostics`. Adding a command: write its module, add it to COMMANDS.
"""

from __future__ import annotations

import click

from sessiongen import __version__, offline, signals
from sessiongen.cli.batch import batch
from sessiongen.cli.check import check
from sessiongen.cli.group import TopGroup
from sessiongen.cli.importing import import_script
from sessiongen.cli.plan import plan
from sessiongen.cli.render import render
from sessiongen.cli.sounds import sounds
from sessiongen.cli.streams import make_safe
from sessiongen.cli.studio import studio
from sessiongen.cli.techniques import techniques
from sessiongen.cli.voicepack import voice_pack
from sessiongen.cli.voices import voices

COMMANDS = [render, plan, check, import_script, techniques, sounds, voices, batch, voice_pack, studio]


@click.group(cls=TopGroup, commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sessiongen")
def cli():
    """Turn technique scripts into offline voice-guided audio sessions."""


def main() -> None:
    offline.guard()
    make_safe()  # a closed pipe or an unencodable name never fails a command
    signals.install()
    try:
        cli(prog_name="sessiongen")
    finally:
        signals.finishing()
