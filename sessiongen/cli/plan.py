"""`sessiongen plan`: the timeline of a session, without rendering audio."""

from __future__ import annotations

from pathlib import Path

import click

from sessiongen import pipeline
from sessiongen.cli.options import json_option, session_options
from sessiongen.model.timeline import EventKind
from sessiongen.output.jsontext import json_text
from sessiongen.request import session_request
from sessiongen.timefmt import clock, compact_duration


@click.command()
@click.argument("script", metavar="SCRIPT|TECHNIQUE_ID")
@session_options
@json_option("Print the timeline as JSON.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the timeline as an image (PNG) into this file.")
def plan(script, session, as_json, png):
    """Show the timeline of a session without rendering audio."""
    request = session_request(session)
    parsed = pipeline.load(script, request.settings.language)
    for note in parsed.notes:  # before planning, which may fail
        click.echo(f"warning: {note}", err=True)
    with pipeline.cache_root(request.use_cache) as root:
        prepared = pipeline.prepare(parsed, request.values_for(parsed), request.settings, root, estimate=True)
    for note in pipeline.warnings(prepared, request.settings):
        if note not in parsed.notes:
            click.echo(f"warning: {note}", err=True)
    tl, estimated = prepared.timeline, prepared.speak.estimated
    if png is not None:
        from sessiongen import review  # matplotlib: only when asked for

        pipeline.check_folder(png)
        review.timeline_png(tl, png, title=tl.title)
    if as_json:
        click.echo(json_text({**tl.to_json(), "estimated_phrases": estimated}, "plan --json", indent=2, ensure_ascii=False))
        return
    lo_s, hi_s = (frames / tl.rate_hz for frames in tl.range_frames)
    click.echo(f"{tl.title}: {clock(tl.duration_s)} (can be {compact_duration(lo_s)} to {compact_duration(hi_s)})")
    if estimated:
        click.echo(f"(length estimated: {estimated} phrase{'s' * (estimated != 1)} not spoken yet; a render fits it exactly)")
    chapter_starts = {start: title for title, start in tl.chapters}
    for event in tl.events:
        if event.start in chapter_starts and event.kind != EventKind.AMBIENCE:
            click.echo(f"\n# {chapter_starts.pop(event.start)}")
        click.echo(f"  {clock(tl.seconds(event.start)):>7}  {describe(event, tl)}")


def describe(event, tl) -> str:
    """One line for an event: what it is and its length."""
    length = f"{tl.seconds(event.frames):.1f}s"
    if event.kind == EventKind.SPEECH:
        return f"say     {event.text}"
    if event.kind == EventKind.BLS:
        t = event.tone
        where = "under narration" if event.under else "set"
        return f"bls     {length} {where}, {t.rate_hz:g}/s {t.timbre} {t.pitch_hz:g} Hz depth {t.depth_pct:g}%"
    if event.kind == EventKind.AMBIENCE:
        return f"bed     {Path(event.bed).name if event.bed else 'off'}"
    if event.kind == EventKind.BREATHE:
        b = event.breathe
        return f"breathe {length}: in {b.in_s:g} hold {b.hold_s:g} out {b.out_s:g} hold {b.hold_out_s:g} x{b.rounds}"
    return f"{event.kind.value:<7} {length}{' (elastic)' if event.elastic else ''}"
