"""`sessiongen techniques`: the technique library; `techniques show ID` describes one."""

from __future__ import annotations

import click

from sessiongen import pipeline
from sessiongen.cli.group import Group
from sessiongen.cli.options import ENGINE_OPTION, LANGUAGE_OPTION, json_option
from sessiongen.cli.table import table_lines
from sessiongen.output.jsontext import json_text
from sessiongen.script import library, parser
from sessiongen.settings import DEFAULTS
from sessiongen.timefmt import clock, compact_duration


@click.group(cls=Group, invoke_without_command=True)
@json_option("Print the list as JSON.")
@click.option("--category", help="Only techniques of this category.")
@LANGUAGE_OPTION
@click.pass_context
def techniques(ctx, as_json, category, language):
    """List the technique library (in English, or --language es); `techniques show ID` describes one."""
    if ctx.invoked_subcommand is not None:
        return
    rows = []
    for path in library.listed_paths(language).values():
        meta = parser.parse_file(path).meta
        if category is None or meta.category == category:
            rows.append(
                {"id": meta.id, "title": meta.title, "category": meta.category, "duration_s": meta.duration_s, "summary": meta.summary}
            )
    if as_json:
        click.echo(json_text(rows, "techniques --json", indent=2, ensure_ascii=False))
        return
    cells = [[row["id"], row["category"], compact_duration(row["duration_s"]), row["title"]] for row in rows]
    for line in table_lines(cells, right={2}):
        click.echo(line)


@techniques.command("show")
@click.argument("technique", metavar="TECHNIQUE_ID|SCRIPT")
@json_option("Print the description as JSON.")
@ENGINE_OPTION
@LANGUAGE_OPTION
def show(technique, as_json, engine, language):
    """Summary, cautions, variables and the chapter outline with planned start times."""
    script = pipeline.load(technique, language)
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(script, {}, DEFAULTS.but(engine=engine), root, estimate=True)
    info = {**pipeline.outline(script, prepared.timeline), "estimated_phrases": prepared.speak.estimated}
    if as_json:
        click.echo(json_text(info, "techniques --json", indent=2, ensure_ascii=False))
        return
    lo, hi = info["range_s"]
    click.echo(f"{info['title']} ({info['id']}, {info['category']})")
    click.echo(info["summary"] + "\n")
    estimated = " (estimated: phrases not spoken yet)" if info["estimated_phrases"] else ""
    click.echo(f"Length: {clock(info['duration_s'])} by default{estimated}; from {clock(lo)} to {clock(hi)} with --minutes.")
    if info["bilateral_sets"]:
        click.echo(f"Bilateral tones: {info['bilateral_sets']} passage(s); --no-bls renders without them.")
    click.echo("\nCautions:")
    for caution in info["cautions"] or ["(none declared)"]:
        click.echo(f"  - {caution}")
    click.echo("\nVariables (--var NAME=VALUE):")
    for var in info["variables"] or [{"name": "(none)", "default": ""}]:
        click.echo(f"  {var['name']:<14} default: {var['default']!r}")
    click.echo("\nOutline:")
    for chapter in info["chapters"]:
        click.echo(f"  {clock(chapter['start_s']):>7}  {chapter['title']}")
