"""`sessiongen voice-pack`: a clinician's recorded voice: sheet, import, accept, show, delete."""

from __future__ import annotations

from pathlib import Path

import click

from sessiongen import pipeline
from sessiongen.cli.group import Group
from sessiongen.cli.options import ENGINE_OPTION, json_option
from sessiongen.errors import SessiongenError, display_path
from sessiongen.output.jsontext import json_text
from sessiongen.settings import DEFAULTS
from sessiongen.speech import choose_engine, get_engine
from sessiongen.voicepack import importing, sheet, store
from sessiongen.voicepack.phrases import PERSONAL_MODES


@click.group("voice-pack", cls=Group)
def voice_pack():
    """Record a script once in your own voice, then render every client's session with it."""


@voice_pack.command("sheet")
@click.argument("scripts", nargs=-1, required=True, metavar="SCRIPT...")
@click.option(
    "-o", "--output", "folder", required=True, type=click.Path(file_okay=False, path_type=Path), help="The voice pack folder to make."
)
@click.option(
    "--personal",
    type=click.Choice(PERSONAL_MODES),
    default="neutral",
    show_default=True,
    help="How phrases with a client's details are spoken: your recording of a neutral version, or the synthetic voice.",
)
@ENGINE_OPTION
@click.option(
    "--voice",
    help="The synthetic voice whose reading of each phrase the import compares your take with (and that says what you allow it to).",
)
@click.option("--rate", type=int, help=f"Speech rate of that voice, words per minute [default: {DEFAULTS.rate_wpm}].")
def sheet_command(scripts, folder, personal, engine, voice, rate):
    """Make a voice pack: a recording sheet (sheet.html) and its phrase list (pack.json)."""
    parsed = [pipeline.load(ref) for ref in scripts]
    settings = DEFAULTS.but(engine=engine, voice=voice, rate_wpm=rate)
    engine_name, note = choose_engine(settings.engine, settings.voice)
    if note:
        click.echo(f"note: {note}", err=True)
    with pipeline.cache_root(True) as root:
        pack = sheet.make_pack(parsed, list(scripts), get_engine(engine_name), engine_name, settings, root, folder, personal)
    store.create(folder, pack, sheet.html(pack, [s.meta.title for s in parsed]))
    personal_n = sum(p.personal for p in pack.phrases)
    click.echo(
        f"wrote {display_path(folder / 'sheet.html')}: {len(pack.phrases)} phrases to record"
        + (f" ({personal_n} with a client's details, recorded in a neutral version)" if personal_n and personal == "neutral" else "")
    )


@voice_pack.command("import")
@click.argument("pack", type=click.Path(file_okay=False, path_type=Path))
@click.argument("takes", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="TAKE...")
@json_option("Print the report as JSON.")
def import_command(pack, takes, as_json):
    """Import one long take, several in order, or a folder of files named by phrase number."""
    report = importing.import_takes(pack, list(takes), DEFAULTS)
    if as_json:
        click.echo(json_text(report.as_dict(), "voice-pack import --json", indent=2, ensure_ascii=False))
        return
    for line in report.lines():
        click.echo(line)
    click.echo(f"report: {display_path(pack / 'report.html')}")


@voice_pack.command("accept")
@click.argument("pack", type=click.Path(file_okay=False, path_type=Path))
@click.argument("phrases", nargs=-1, required=True, type=int, metavar="N...")
def accept_command(pack, phrases):
    """Accept phrases the import marked check, after listening to them (report.html): renders then use them."""
    accepted = store.accept(pack, list(phrases))
    others = sorted(set(phrases) - set(accepted))
    if accepted:
        click.echo(f"accepted phrase{'s' * (len(accepted) != 1)} {', '.join(map(str, accepted))} of {display_path(pack)}")
    if others:
        click.echo(f"not marked check (nothing to accept): {', '.join(map(str, others))}")


@voice_pack.command("show")
@click.argument("pack", type=click.Path(file_okay=False, path_type=Path))
@json_option("Print the pack's phrases and what is recorded as JSON.")
def show_command(pack, as_json):
    """What a pack holds: its phrases, and which are recorded."""
    loaded = store.load(pack)
    if as_json:
        click.echo(json_text(loaded.as_dict(), "voice-pack show --json", indent=2, ensure_ascii=False))
        return
    click.echo(f"{loaded.name}: {len(loaded.recorded)} of {len(loaded.phrases)} phrases recorded, from {', '.join(loaded.sources)}")
    for phrase in loaded.phrases:
        mark = ("check" if store.doubtful(loaded.recorded[phrase.id]) else "recorded") if phrase.id in loaded.recorded else "-"
        personal = f" [personal: {phrase.mode}]" if phrase.personal else ""
        click.echo(f"  {phrase.id:3d}  {mark:8}  {phrase.text[:60]}{personal}")


@voice_pack.command("delete")
@click.argument("pack", type=click.Path(file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask.")
def delete_command(pack, yes):
    """Delete a voice pack completely: its takes, clips, reports and sheet."""
    store.load(pack)
    if not yes and not click.confirm(f"Delete {pack} and every recording in it?"):
        raise SessiongenError("nothing deleted")
    click.echo(f"deleted {display_path(pack)} ({store.delete(pack)} files)")
