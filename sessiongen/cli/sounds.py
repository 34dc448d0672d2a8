"""`sessiongen sounds`: the bilateral tone timbres and styles, and the ambience beds."""

from __future__ import annotations

import click

from sessiongen.cli.options import json_option
from sessiongen.output.jsontext import json_text
from sessiongen.sound import catalog


@click.command()
@json_option("Print the list as JSON.")
def sounds(as_json):
    """List the bilateral tone timbres and styles, and the ambience beds."""
    info = {
        "timbres": [{"name": n, "description": d, "tonal": n in catalog.TONAL_TIMBRES} for n, d in catalog.TIMBRES.items()],
        "styles": [{"name": n, "description": d} for n, d in catalog.STYLES.items()],
        "beds": [{"name": n, "description": d} for n, d in catalog.BEDS.items()],
    }
    if as_json:
        click.echo(json_text(info, "sounds --json", indent=2))
        return
    for title, key in (
        ("Bilateral tones (tone=)", "timbres"),
        ("Styles (style=)", "styles"),
        ("Ambience beds (--ambience, [ambience])", "beds"),
    ):
        click.echo(f"{title}:")
        for row in info[key]:
            click.echo(f"  {row['name']:<10} {row['description']}")
    click.echo("  FILE       any WAV, FLAC, OGG or MP3 file, looped seamlessly")
