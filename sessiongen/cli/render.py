"""`sessiongen render`: a script to an audio file, with its sidecars."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from sessiongen import pipeline
from sessiongen.cli.options import json_option, session_options, sidecars_option, with_options
from sessiongen.errors import display_path
from sessiongen.options import OUTPUT
from sessiongen.output.formats import NAMES as FORMATS
from sessiongen.output.jsontext import json_text
from sessiongen.output.packaging import Packaging
from sessiongen.request import session_request
from sessiongen.timefmt import clock


@click.command()
@click.argument("script", metavar="SCRIPT|TECHNIQUE_ID", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Output file ({', '.join('.' + name for name in FORMATS)}) [default: output/ID[-NAME].mp3].",
)
@click.option(
    "--from-manifest",
    "manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.manifest.json",
    help="Render the session a manifest records again (its script, voice and every option; give the variables again with --var); options given here change it.",
)
@session_options
@with_options(OUTPUT)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format, when the file name's extension should not decide it.")
@click.option("--artist", default="", help="Artist tag: the clinician or practice.")
@click.option("--album", default="", help="Album tag.")
@click.option(
    "--cover", type=click.Path(dir_okay=False, path_type=Path), help="Cover art (JPEG or PNG) [default: one made for the technique]."
)
@click.option("--tag-names", is_flag=True, help="Put the listener's name (--var name=...) into the title tag.")
@sidecars_option("Files written beside the audio: vtt, srt, lrc, chapters, manifest, json (chapters+manifest), all or none.")
@click.option(
    "--stems",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write voice, bilateral, cues and ambience stems (WAV) into this folder.",
)
@click.option(
    "--report", is_flag=True, help="Also write NAME.html (a review page with player, chapters and transcript) and NAME.timeline.png."
)
@json_option("Print the manifest (parameters, chapters, loudness measured) as JSON.")
def render(script, output, session, output_given, fmt, artist, album, cover, tag_names, sidecar_kinds, stems, report, as_json):
    """Render a script (a file or a library id) to an audio file, with its sidecars."""
    request = session_request(replace(session, options={**session.options, **output_given}))
    if script is None and request.recorded is None:
        raise click.UsageError("give a script or a technique id (or --from-manifest FILE)")
    ref = script or request.recorded.script_ref()
    packaging = Packaging(
        artist=artist,
        album=album,
        cover=cover,
        sidecars=sidecar_kinds,
        tag_names=tag_names,
        stems=stems,
        format=fmt,
        review=report,
        client_id=request.profile.client_id,
    )
    result = pipeline.render(ref, request, output, packaging, progress=_progress(), speaking=_progress("speaking"))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(
            json_text({**result.manifest, "sidecars": [str(p) for p in result.sidecars]}, "render --json", indent=2, ensure_ascii=False)
        )
        return
    tl = result.rendered.timeline
    click.echo(
        f"wrote {display_path(result.rendered.path)} ({clock(tl.duration_s)}, {len(tl.chapters)} chapters, {_levels(result.manifest['loudness'])})"
    )
    for path in result.sidecars:
        click.echo(f"  and {display_path(path)}")


def _levels(loud: dict) -> str:
    """'voice -16.0 LUFS, programme -18.4 LUFS, peak -1.6 dBTP' (programme and peak only, without narration)."""
    shown = lambda key: "-inf" if loud[key] is None else f"{loud[key]:.1f}"  # noqa: E731
    voice = f"voice {shown('voice_lufs')} LUFS, " if loud["voice_lufs"] is not None else ""
    return f"{voice}programme {shown('integrated_lufs')} LUFS, peak {shown('true_peak_dbtp')} dBTP"


def _progress(doing: str = "rendering"):
    """A percentage on a terminal (stderr), nothing when piped."""
    if not sys.stderr.isatty():
        return None
    shown = {"percent": -1}

    def report(fraction: float) -> None:
        percent = int(100 * fraction)
        if percent != shown["percent"]:
            shown["percent"] = percent
            click.echo(f"\r{doing} {percent:3d}%" + ("\r\033[K" if percent >= 100 else ""), err=True, nl=False)

    return report
