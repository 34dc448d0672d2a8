"""The command line: parses options, calls the library, reports. No behaviour lives here."""

from __future__ import annotations

import functools
import multiprocessing
from dataclasses import asdict, dataclass
import json
import sys
from pathlib import Path

import click

from sessiongen import __version__, offline, pipeline
from sessiongen.batch import jobs as batch
from sessiongen.sound import catalog
from sessiongen.script import library, parser
from sessiongen.output import sidecars as sidecar_files
from sessiongen.output.encode import FORMATS, MP3_BITRATES_KBPS
from sessiongen.script.durations import format_clock, format_duration
from sessiongen.errors import ScriptError, SessiongenError, display_path, suggest
from sessiongen.script.profile import Profile, from_fields
from sessiongen.script.profile import load as load_profile
from sessiongen.settings import DEFAULTS, Settings
from sessiongen import speech
from sessiongen.speech import pronounce


def reports_errors(command):
    """A user's mistake becomes one line on stderr and exit 1; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ScriptError as exc:
            click.echo(str(exc), err=True)  # the first problem, and how many more `check` will show
            sys.exit(1)
        except SessiongenError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted: nothing was left half-written", err=True)
            sys.exit(130)
        except OSError as exc:  # a file the user named that the system refuses (too long, no access, ...)
            name = exc.filename or ""
            click.echo(f"error: {name}{': ' if name else ''}{exc.strerror or exc}", err=True)
            sys.exit(1)

    return wrapper


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SessiongenError(f"{folder}: cannot create the folder ({exc.strerror})") from None


def _parse_vars(ctx, param, values) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{item}' must look like KEY=VALUE, e.g. --var name=Sam")
        out[key.strip()] = value
    return out


def _check_ambience(ctx, param, value):
    if value is None or value == "none" or value in catalog.BEDS:
        return value
    path = Path(value)
    try:
        if path.is_file():
            return str(path.resolve())
    except OSError as exc:
        raise click.BadParameter(f"{value}: {exc.strerror}") from None
    if path.suffix:
        raise click.BadParameter(f"{value}: no such audio file")
    raise click.BadParameter(f"unknown ambience '{value}'{suggest(value, catalog.BEDS)}: give a bed name, an audio file or none")


SESSION_OPTION_NAMES = (
    "variables", "profile", "minutes", "voice", "rate", "pause_scale", "slow_ending", "bls", "bls_rate", "bls_tone",
    "bls_depth", "ambience", "ambience_vary", "duck", "mono", "seed", "engine", "no_cache", "say",
)


@dataclass
class SessionRequest:
    """The session options of one command, as settings and the values a script takes."""

    settings: Settings
    profile: Profile
    variables: dict
    use_cache: bool

    def values_for(self, script) -> dict[str, str]:
        return {**self.profile.values_for(script.meta.defaults), **self.variables}


def _session_request(opts: dict) -> SessionRequest:
    """Profile first, then every option given on the command line on top of it."""
    given = {name: opts.pop(name) for name in SESSION_OPTION_NAMES}
    profile = load_profile(given["profile"]) if given["profile"] else Profile()
    if given["duck"] is not None and not 0 <= given["duck"] <= 30:
        raise SessiongenError(f"--duck {given['duck']:g} is out of range: use 0 to 30 dB")
    cli_fields = {
        "rate": given["rate"], "minutes": given["minutes"], "pause_scale": given["pause_scale"], "bls_rate": given["bls_rate"],
        "bls_depth": given["bls_depth"], "seed": given["seed"],
    }
    overrides = from_fields({k: v for k, v in cli_fields.items() if v is not None}, "command line", variables_ok=False, as_options=True).settings
    settings = DEFAULTS.but(**profile.settings).but(
        **overrides, voice=given["voice"], bls=given["bls"], bls_timbre=given["bls_tone"], ambience=given["ambience"],
        engine=given["engine"], mono=given["mono"] or None, duck_db=given["duck"], bed_vary=given["ambience_vary"] or None,
        slow_ending=given["slow_ending"] or None,
        pronunciations=pronounce.merged(profile.settings.get("pronunciations", ()), given["say"]) or None,
    )
    return SessionRequest(settings, profile, given["variables"], not given["no_cache"])


def _parse_say(ctx, param, values) -> tuple:
    try:
        return pronounce.merged(*(pronounce.parse(item, "") for item in values))
    except SessiongenError as exc:
        raise click.BadParameter(exc.message) from None


ENGINE_OPTION = click.option(
    "--engine", metavar="NAME",
    help="Speech engine: piper (the neural voice) or pyttsx3 (espeak-ng's voices and languages) [default: piper, or pyttsx3 where piper cannot load].",
)


def session_options(command):
    """Options shared by `render` and `plan`."""
    options = [
        click.option("--var", "variables", multiple=True, callback=_parse_vars, metavar="KEY=VALUE", help="Set a script variable, e.g. --var name=Sam (repeatable)."),
        click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), help="A client profile (YAML); options given here override it."),
        click.option("--minutes", type=float, help="Fit the session to this many minutes by stretching its elastic pauses."),
        click.option("--voice", help="A voice's name or language (see `sessiongen voices`), or a Piper .onnx file; espeak-ng variants as VOICE+VARIANT."),
        click.option("--say", multiple=True, callback=_parse_say, metavar="WORD=RESPELLING",
                     help="How to say a word: a respelling (Siobhan=shi-vawn) or IPA phonemes between slashes (Nguyen=/ŋwiən/); repeatable."),
        click.option("--rate", type=int, help=f"Speech rate in words per minute [default: {DEFAULTS.rate_wpm}]."),
        click.option("--pause-scale", type=float, help="Make every pause and rest longer (e.g. 1.3) or shorter (0.8); 0.5 to 2 [default: 1]."),
        click.option("--slow-ending", is_flag=True, help="Ease the speech rate and lengthen the pauses over the final part (for sleep)."),
        click.option("--bls/--no-bls", default=None, help="Bilateral tones on or off [default: on]."),
        click.option("--bls-rate", type=float, help="Override every set's rate (cycles per second, 0.3 to 2)."),
        click.option("--bls-tone", type=click.Choice(list(catalog.TIMBRES)), help="Override every set's timbre."),
        click.option("--bls-depth", type=float, help="Override every set's pan depth (percent)."),
        click.option("--ambience", callback=_check_ambience, metavar="NAME|FILE|none", help="Background bed for the whole session (overrides the script)."),
        click.option("--ambience-vary", is_flag=True, help="With an audio file as the bed: play seeded random stretches of it instead of one loop."),
        click.option("--duck", type=float, help=f"How far (dB) the bed dips under narration [default: {DEFAULTS.duck_db:g}]."),
        click.option("--mono", is_flag=True, help="A speaker version: one channel, bilateral tones centred (and said so)."),
        click.option("--seed", type=int, help="Seed for everything random (beds, jitter); the same seed gives the same audio [default: 0]."),
        ENGINE_OPTION,
        click.option("--no-cache", is_flag=True, help="Do not read or write the phrase cache."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sessiongen")
def cli():
    """Turn technique scripts into offline voice-guided audio sessions."""


def _sidecar_kinds(ctx, param, value):
    try:
        return sidecar_files.parse_kinds(value)
    except SessiongenError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.argument("script", metavar="SCRIPT|TECHNIQUE_ID")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Output file (.mp3, .wav, .flac, .ogg) [default: output/ID[-NAME].mp3].")
@session_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format, when the file name's extension should not decide it.")
@click.option("--bitrate", type=click.Choice([str(b) for b in MP3_BITRATES_KBPS]), help="MP3 bitrate in kbps, constant [default: 192].")
@click.option("--bit-depth", type=click.Choice(["16", "24"]), help="WAV and FLAC bit depth [default: 16].")
@click.option("--loudness", type=float, help="Integrated loudness target in LUFS [default: -16, or -19 with --mono].")
@click.option("--artist", default="", help="Artist tag: the clinician or practice.")
@click.option("--album", default="", help="Album tag.")
@click.option("--cover", type=click.Path(dir_okay=False, path_type=Path), help="Cover art (JPEG or PNG) [default: one made for the technique].")
@click.option("--tag-names", is_flag=True, help="Put the listener's name (--var name=...) into the title tag.")
@click.option("--sidecars", "sidecar_kinds", default=",".join(sidecar_files.DEFAULT_KINDS), show_default=True, callback=_sidecar_kinds,
              help="Files written beside the audio: vtt, srt, lrc, chapters, manifest, json (chapters+manifest), all or none.")
@click.option("--stems", type=click.Path(file_okay=False, path_type=Path), help="Also write voice, bilateral, cues and ambience stems (WAV) into this folder.")
@click.option("--report", is_flag=True, help="Also write NAME.html (a review page with player, chapters and transcript) and NAME.timeline.png.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest (parameters, chapters, loudness measured) as JSON.")
@reports_errors
def render(script, output, fmt, bitrate, bit_depth, loudness, artist, album, cover, tag_names, sidecar_kinds, stems, report, as_json, **opts):
    """Render a script (a file or a library id) to an audio file, with its sidecars."""
    request = _session_request(opts)
    settings = request.settings.but(
        mp3_bitrate_kbps=int(bitrate) if bitrate else None, bit_depth=int(bit_depth) if bit_depth else None, loudness_lufs=_loudness(loudness),
    )
    packaging = pipeline.Packaging(artist=artist, album=album, cover=cover, sidecars=sidecar_kinds, tag_names=tag_names, stems=stems, format=fmt,
                                  review=report, client_id=request.profile.client_id)
    parsed = pipeline.load(script)
    variables = request.values_for(parsed)
    with pipeline.cache_root(request.use_cache) as root:
        prepared = pipeline.prepare(parsed, variables, settings, root)
        out = output or pipeline.default_output(parsed, variables, fmt or "mp3")
        if output is None:
            _make_folder(out.parent)
        if stems is not None:
            _make_folder(stems)
        result = pipeline.deliver(prepared, variables, settings, out, packaging, progress=_render_progress())
    for warning in pipeline.warnings(prepared, settings):
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps({**result.manifest, "sidecars": [str(p) for p in result.sidecars]}, indent=2, ensure_ascii=False))
        return
    loud = result.manifest["loudness"]
    tl = result.rendered.timeline
    click.echo(
        f"wrote {display_path(result.rendered.path)} ({format_clock(tl.duration_s)}, {len(tl.chapters)} chapters, "
        f"{loud['integrated_lufs']:.1f} LUFS, peak {loud['true_peak_dbtp']:.1f} dBTP)"
    )
    for path in result.sidecars:
        click.echo(f"  and {display_path(path)}")


def _render_progress():
    """A percentage on a terminal (stderr), nothing when piped."""
    if not sys.stderr.isatty():
        return None
    shown = {"percent": -1}

    def report(fraction: float) -> None:
        percent = int(100 * fraction)
        if percent != shown["percent"]:
            shown["percent"] = percent
            click.echo(f"\rrendering {percent:3d}%" + ("\r\033[K" if percent >= 100 else ""), err=True, nl=False)

    return report


def _loudness(lufs: float | None) -> float | None:
    if lufs is None:
        return None
    return from_fields({"loudness": lufs}, "command line", as_options=True).settings["loudness_lufs"]


@cli.command()
@click.argument("script", metavar="SCRIPT|TECHNIQUE_ID")
@session_options
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the timeline as an image (PNG) into this file.")
@reports_errors
def plan(script, as_json, png, **opts):
    """Show the timeline of a session without rendering audio."""
    request = _session_request(opts)
    parsed = pipeline.load(script)
    with pipeline.cache_root(request.use_cache) as root:
        tl = pipeline.prepare(parsed, request.values_for(parsed), request.settings, root).timeline
    if png is not None:
        from sessiongen.review import page as review

        pipeline.check_folder(png)
        review.timeline_png(tl, png, title=tl.title)
    if as_json:
        click.echo(json.dumps(tl.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{tl.title}: {format_clock(tl.duration_s)} (can be {format_duration(tl.range_frames[0] / tl.rate_hz)} to {format_duration(tl.range_frames[1] / tl.rate_hz)})")
    chapter_starts = {start: title for title, start in tl.chapters}
    for event in tl.events:
        if event.start in chapter_starts and event.kind != "ambience":
            click.echo(f"\n# {chapter_starts.pop(event.start)}")
        click.echo(f"  {format_clock(tl.seconds(event.start)):>7}  {_describe(event, tl)}")


def _describe(event, tl) -> str:
    length = f"{tl.seconds(event.frames):.1f}s"
    if event.kind == "speech":
        return f"say     {event.text}"
    if event.kind == "bls":
        t = event.tone
        where = "under narration" if event.under else "set"
        return f"bls     {length} {where}, {t.rate_hz:g}/s {t.timbre} {t.pitch_hz:g} Hz depth {t.depth_pct:g}%"
    if event.kind == "ambience":
        return f"bed     {Path(event.bed).name if event.bed else 'off'}"
    if event.kind == "breathe":
        b = event.breathe
        return f"breathe {length}: in {b.in_s:g} hold {b.hold_s:g} out {b.out_s:g} hold {b.hold_out_s:g} x{b.rounds}"
    return f"{event.kind:<7} {length}{' (elastic)' if event.elastic else ''}"


@cli.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(path_type=Path))
@reports_errors
def check(scripts):
    """Validate scripts (and fragments): every problem as FILE:LINE:COL: message, then the line."""
    failed = 0
    for path in scripts:
        try:
            parser.check_file(path)
        except ScriptError as exc:
            failed += 1
            for problem in exc.problems:
                click.echo(str(problem))
                if problem.where is not None and problem.where.text:
                    click.echo(f"    {problem.where.text.strip()}")
    if failed:
        click.echo(f"problems in {failed} of {len(scripts)} file{'s' * (len(scripts) > 1)}", err=True)
        sys.exit(1)
    click.echo(f"{len(scripts)} file{'s' * (len(scripts) > 1)} OK")


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.option("--category", help="Only techniques of this category.")
@click.pass_context
@reports_errors
def techniques(ctx, as_json, category):
    """List the technique library; `techniques show ID` describes one."""
    if ctx.invoked_subcommand is not None:
        return
    rows = []
    for technique_id, path in library.technique_paths().items():
        meta = parser.parse_file(path).meta
        if category is None or meta.category == category:
            rows.append({"id": meta.id, "title": meta.title, "category": meta.category, "duration_s": meta.duration_s, "summary": meta.summary})
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['id']:<28} {row['category']:<14} {format_duration(row['duration_s']):>6}  {row['title']}")


@techniques.command("show")
@click.argument("technique", metavar="TECHNIQUE_ID|SCRIPT")
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@ENGINE_OPTION
@reports_errors
def show(technique, as_json, engine):
    """Summary, cautions, variables and the chapter outline with planned start times."""
    settings = DEFAULTS.but(engine=engine)
    script = pipeline.load(technique)
    with pipeline.cache_root(True) as root:
        tl = pipeline.prepare(script, {}, settings, root).timeline
    info = pipeline.outline(script, tl)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    lo, hi = info["range_s"]
    click.echo(f"{info['title']} ({info['id']}, {info['category']})")
    click.echo(info["summary"] + "\n")
    click.echo(f"Length: {format_clock(info['duration_s'])} by default; from {format_clock(lo)} to {format_clock(hi)} with --minutes.")
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
        click.echo(f"  {format_clock(chapter['start_s']):>7}  {chapter['title']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def sounds(as_json):
    """List the bilateral tone timbres and styles, and the ambience beds."""
    info = {
        "timbres": [{"name": n, "description": d, "tonal": n in catalog.TONAL_TIMBRES} for n, d in catalog.TIMBRES.items()],
        "styles": [{"name": n, "description": d} for n, d in catalog.STYLES.items()],
        "beds": [{"name": n, "description": d} for n, d in catalog.BEDS.items()],
    }
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    for title, key in (("Bilateral tones (tone=)", "timbres"), ("Styles (style=)", "styles"), ("Ambience beds (--ambience, [ambience])", "beds")):
        click.echo(f"{title}:")
        for row in info[key]:
            click.echo(f"  {row['name']:<10} {row['description']}")
    click.echo("  FILE       any WAV, FLAC, OGG or MP3 file, looped seamlessly")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.option("--engine", metavar="NAME", help="Only this engine's voices (piper or pyttsx3) [default: every engine's].")
@click.option("--language", help="Only voices that speak this language (en, en-GB, es, ...).")
@reports_errors
def voices(as_json, engine, language):
    """List the voices: engine, name, language, quality, sample rate and where each lives."""
    found = speech.list_voices(engine, language)
    if as_json:
        click.echo(json.dumps([v.as_dict() for v in found], indent=2, ensure_ascii=False))
        return
    click.echo(f"{'ENGINE':<8} {'VOICE (--voice)':<26} {'LANGUAGE':<16} {'QUALITY':<8} {'RATE':>6}  WHERE")
    for v in found:
        rate = f"{v.rate_hz}" if v.rate_hz else "-"
        where = v.location if v.name == v.id else f"{v.location} ({v.name})"
        click.echo(f"{v.engine:<8} {v.id:<26} {','.join(v.languages):<16} {v.quality or '-':<8} {rate:>6}  {where}")


class _BatchProgress:
    """On a terminal: a line per finished row and a live status line; piped: nothing until the end."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.done, self.running = 0, {}

    def progress(self, row: int, fraction: float) -> None:
        self.running[row] = fraction
        self._status()

    def finished(self, outcome) -> None:
        self.done += 1
        self.running.pop(outcome.row, None)
        if self.enabled:
            name = Path(outcome.output).name if outcome.output else f"row {outcome.row}"
            click.echo(f"\r\033[K[{self.done}/{self.total}] {outcome.status:<10} {name}" + (f": {outcome.error}" if outcome.error else ""))
            self._status()

    def _status(self) -> None:
        if not self.enabled:
            return
        files = ", ".join(f"row {row} {fraction:.0%}" for row, fraction in sorted(self.running.items())[:4])
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        click.echo(f"\r\033[K[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  {files}", nl=False)


@cli.command("batch")
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output-dir", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"), show_default=True, help="Folder for the recordings and reports.")
@click.option("--workers", type=int, default=batch.default_workers(), show_default=True, help="Worker processes (1 renders in this process).")
@click.option("--dry-run", is_flag=True, help="Validate every row and report; render nothing.")
@click.option("--force", is_flag=True, help="Render rows even when their output is up to date.")
@click.option("--name-template", default=batch.DEFAULT_TEMPLATE, show_default=True, help="Output file names, from {client_id}, {technique}, {date} and {row}; always sanitised.")
@click.option("--date", "date_text", help="The {date} in file names, YYYY-MM-DD [default: today]; pin it to resume on another day.")
@click.option("--tag-names", is_flag=True, help="Put each client's name into the title tag.")
@click.option("--artist", default="", help="Artist tag: the clinician or practice.")
@click.option("--album", default="", help="Album tag.")
@click.option("--sidecars", "sidecar_kinds", default=",".join(sidecar_files.DEFAULT_KINDS), show_default=True, callback=_sidecar_kinds, help="Sidecars beside each recording (the manifest is always written).")
@ENGINE_OPTION
@click.option("--no-report", is_flag=True, help="Skip the review page and timeline image for each recording (and index.html).")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="Send rows to this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of local processes; needs sessiongen[dask].")
@reports_errors
def batch_command(roster, out_dir, workers, dry_run, force, name_template, date_text, tag_names, artist, album, sidecar_kinds, engine, no_report, dask_address):
    """Render every row of a roster (CSV or YAML): one recording per row, for many clients."""
    if workers < 1:
        raise SessiongenError("--workers must be at least 1")
    packaging = pipeline.Packaging(artist=artist, album=album, sidecars=sidecar_kinds, tag_names=tag_names, review=not no_report)
    options = batch.BatchOptions(out_dir=out_dir, template=name_template, base=DEFAULTS.but(engine=engine), packaging=packaging,
                                 **({"date": date_text} if date_text else {}))
    jobs, invalid = batch.validate(roster, batch.read_roster(roster), options)
    _make_folder(out_dir)
    if dry_run:
        if _finish_batch(out_dir, invalid + [batch.check_job(job) for job in jobs], "checked"):
            sys.exit(1)
        return
    fresh = {} if force else {j.row: batch.up_to_date(j) for j in jobs}
    skipped = [o for o in fresh.values() if o is not None]
    todo = [j for j in jobs if fresh.get(j.row) is None]
    unspoken = []
    if not dask_address:
        todo, unspoken = batch.speak_ahead(todo)
    display = _BatchProgress(len(todo), sys.stdout.isatty())
    executor = batch.dask_executor(dask_address) if dask_address else batch.local_executor(min(workers, max(1, len(todo))))
    manager = multiprocessing.Manager() if executor is not None and not dask_address and display.enabled else None
    try:
        outcomes = batch.run(todo, executor, display.finished, display.progress, manager.Queue() if manager else None)
    except batch.BatchInterrupted as stop:
        _finish_batch(out_dir, invalid + skipped + unspoken + stop.outcomes, "interrupted")
        click.echo("interrupted: finished rows are kept; run the same command again to resume", err=True)
        sys.exit(130)
    finally:
        batch.shutdown(executor)
        if manager is not None:
            manager.shutdown()
    if _finish_batch(out_dir, invalid + skipped + unspoken + outcomes, "rendered", index=not no_report):
        sys.exit(1)


def _finish_batch(out_dir: Path, outcomes: list, verb: str, index: bool = False) -> bool:
    """Reports, playlists, the review index and the summary; True if any row did not succeed."""
    batch.write_reports(out_dir, outcomes)
    batch.write_playlists(out_dir, outcomes)
    if index:
        from sessiongen.review import page as review

        review.batch_index(out_dir, [asdict(o) for o in outcomes])
    counts = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    click.echo("\r\033[K" if sys.stdout.isatty() else "", nl=False)
    click.echo(f"{verb}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + f"; report in {display_path(out_dir / 'report.csv')}")
    problems = sorted((o for o in outcomes if not o.ok), key=lambda o: o.row)
    for outcome in problems:
        click.echo(f"row {outcome.row} ({outcome.client_id or 'no client_id'}): {outcome.status}: {outcome.error}", err=True)
    return bool(problems)


def main() -> None:
    offline.guard()
    cli(prog_name="sessiongen")
