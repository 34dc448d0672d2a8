"""`sessiongen studio`: the local web studio (compose, personalise, preview, render, batch) in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from sessiongen.cli.options import ENGINE_OPTION

DEFAULT_DATA = Path("studio-data")


@click.command()
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="The port, on a loopback address of its own (127.A.B.C) [default: a free one]."
)
@click.option("--no-browser", is_flag=True, help="Do not open the default browser; open the printed login file or address yourself.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA,
    show_default=True,
    help="The folder for clients, renders and batches (made if missing).",
)
@click.option("--workers", type=click.IntRange(1, 64), help="Renders at the same time, each in its own process [default: one per core].")
@ENGINE_OPTION
def studio(port, no_browser, data_dir, workers, engine):
    """Open the studio: everything the command line does, from a page on this computer only."""
    from sessiongen.studio.app import StudioConfig
    from sessiongen.studio.server import serve

    config = StudioConfig(data_dir=data_dir, engine=engine, **({"workers": workers} if workers else {}))
    serve(config, port=port, open_browser=not no_browser, announce=click.echo)
