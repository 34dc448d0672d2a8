"""`sessiongen batch`: every row of a roster rendered, with reports; progress on a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sessiongen.batch.execute import default_workers
from sessiongen.batch.produce import BatchResult, RunOptions, Watch, produce
from sessiongen.batch.roster import DEFAULT_TEMPLATE
from sessiongen.batch.validate import BatchOptions
from sessiongen.cli.options import ENGINE_OPTION, sidecars_option, with_options
from sessiongen.errors import SessiongenError, display_path, one_line
from sessiongen.model.outcome import Status
from sessiongen.options import OUTPUT
from sessiongen.output.formats import NAMES as FORMAT_NAMES
from sessiongen.output.packaging import Packaging
from sessiongen.request import SessionOptions, session_request


class _Progress(Watch):
    """On a terminal: a line per finished row and a live status line; piped: nothing until the end."""

    def __init__(self, enabled: bool):
        self.enabled = self.live = enabled
        self.total, self.done, self.running = 0, 0, {}
        self.told: set[int] = set()  # rows whose problem is shown already

    def refused(self, outcomes) -> None:
        """Invalid rows, shown as soon as every row is checked: before any row renders."""
        for outcome in outcomes:
            click.echo("\r\033[K" * self.enabled + _problem(outcome), err=True)
            self.told.add(outcome.row)

    def starting(self, rows: int) -> None:
        self.total = rows

    def progress(self, row: int, fraction: float) -> None:
        self.running[row] = fraction
        self._status()

    def finished(self, outcome) -> None:
        self.done += 1
        self.running.pop(outcome.row, None)
        if self.enabled:
            name = Path(outcome.output).name if outcome.output else f"row {outcome.row}"
            click.echo(
                "\r\033[K"
                + one_line(f"[{self.done}/{self.total}] {outcome.status:<10} {name}" + (f": {outcome.error}" if outcome.error else ""))
            )
            self._status()

    def _status(self) -> None:
        if not self.enabled:
            return
        files = ", ".join(f"row {row} {fraction:.0%}" for row, fraction in sorted(self.running.items())[:4])
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        click.echo(f"\r\033[K[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  {files}", nl=False)


@click.command("batch")
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder for the recordings and reports.",
)
@click.option("--workers", type=int, default=default_workers(), show_default=True, help="Worker processes (1 renders in this process).")
@click.option("--dry-run", is_flag=True, help="Validate every row and report; render nothing.")
@click.option("--force", is_flag=True, help="Render rows even when their output is up to date.")
@click.option(
    "--name-template",
    default=DEFAULT_TEMPLATE,
    show_default=True,
    help="Output file names, from {client_id}, {technique}, {date} and {row}; always sanitised.",
)
@click.option("--date", "date_text", help="The {date} in file names, YYYY-MM-DD [default: today]; pin it to resume on another day.")
@click.option("--tag-names", is_flag=True, help="Put each client's name into the title tag.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_NAMES),
    help="Output format of every row (a roster's 'format' column overrides it) [default: mp3].",
)
@click.option("--artist", default="", help="Artist tag: the clinician or practice.")
@click.option("--album", default="", help="Album tag.")
@sidecars_option("Sidecars beside each recording (the manifest is always written).")
@with_options(OUTPUT, [ENGINE_OPTION])
@click.option("--no-report", is_flag=True, help="Skip the review page and timeline image for each recording (and index.html).")
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Send rows to this Dask scheduler (e.g. tcp://scheduler.clinic.lan:8786) instead of local processes; needs sessiongen[dask].",
)
def batch(
    roster,
    out_dir,
    workers,
    dry_run,
    force,
    name_template,
    date_text,
    tag_names,
    fmt,
    artist,
    album,
    sidecar_kinds,
    engine,
    output_given,
    no_report,
    dask_address,
):
    """Render every row of a roster (CSV or YAML): one recording per row, for many clients.

    The output options here apply to every row; a row's own columns (or its profile) set the rest."""
    if workers < 1:
        raise SessiongenError("--workers must be at least 1")
    packaging = Packaging(artist=artist, album=album, sidecars=sidecar_kinds, tag_names=tag_names, review=not no_report, format=fmt)
    base = session_request(SessionOptions(options={**output_given, "engine": engine})).settings
    options = BatchOptions(
        out_dir=out_dir, template=name_template, base=base, packaging=packaging, **({"date": date_text} if date_text else {})
    )
    how = RunOptions(workers=workers, dry_run=dry_run, force=force, dask_address=dask_address, index=not no_report)
    progress = _Progress(sys.stdout.isatty())
    result = produce(roster, options, how, progress)
    _summary(result, progress.told)
    if result.interrupted or result.stop_status:
        click.echo("interrupted: finished rows are kept; run the same command again to resume", err=True)
        sys.exit(result.stop_status or 130)
    if result.problems:
        sys.exit(1)


def _problem(outcome) -> str:
    return one_line(f"row {outcome.row} ({outcome.client_id or 'no client_id'}): {outcome.status}: {outcome.error}")


def _summary(result: BatchResult, told: set[int] = frozenset()) -> None:
    """The counts, then one line (on stderr) for each row that did not succeed and was not shown
    already; the rows a stop interrupted are one line, however many they are."""
    click.echo("\r\033[K" if sys.stdout.isatty() else "", nl=False)
    counts = ", ".join(f"{n} {status}" for status, n in result.counts.items())
    click.echo(f"{result.verb}: {counts}; report in {display_path(result.report)}")
    stopped = [o for o in result.problems if o.status == Status.INTERRUPTED]
    for outcome in result.problems:
        if outcome.row not in told and outcome.status != Status.INTERRUPTED:
            click.echo(_problem(outcome), err=True)
    if stopped:
        rows = f"row {stopped[0].row}" if len(stopped) == 1 else f"{len(stopped):,} rows ({_spans([o.row for o in stopped])})"
        click.echo(one_line(f"{rows} interrupted: {stopped[0].error}"), err=True)
    if result.internal_errors:
        click.echo(f"the traceback of each internal error is in {display_path(result.log_file)}", err=True)


def _spans(rows: list[int], most: int = 5) -> str:
    """'3-7, 9, 12-10000': consecutive rows as spans, the first `most` of them."""
    spans: list[list[int]] = []
    for row in sorted(rows):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    shown = [f"{a}-{b}" if b > a else str(a) for a, b in spans[:most]]
    return ", ".join(shown) + (", ..." if len(spans) > most else "")
