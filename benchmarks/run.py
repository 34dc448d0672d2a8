#!/usr/bin/env python3
"""sessiongen benchmarks (issue 8): render reproducible workloads, print a table, write JSON.

    make bench                                   # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --runs 5  # more runs per figure (median reported)
    .venv/bin/python benchmarks/run.py --quick   # smoke run: 1 run, shorter sessions
    .venv/bin/python benchmarks/run.py --only e2e,encoder

Every figure is the median of --runs runs (memory: of --memory-runs). Renders run as
subprocesses of the installed `sessiongen` command, each with its own phrase cache
(SESSIONGEN_CACHE_DIR): a warm one filled before timing, or a fresh one per run for "cold". The
user's own phrase cache is never touched. Results go to benchmarks/results/latest.json (and the
table to stdout); see benchmarks/README.md and docs/performance.md.

The runner's parts, all in benchmarks/ (not a package; they import each other as plain modules):
common.py (running and measuring a child process, machine and package facts, statistics),
sections_render.py, sections_speech.py (with speech_piper.py), sections_kokoro.py (with
kokoro_speed.py and kokoro_estimate.py) and sections_memory.py (the sections, mixins of Bench), children.py (the helpers run as `run.py _encode ...` etc.),
targets.py (the targets) and report.py (the table).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import children
import report
import speech_piper
import targets
from common import (
    HERE,
    MAIN_WORKLOAD,
    ROOT,
    SHORT_WORKLOAD,
    Proc,
    changed_files,
    cpu_share,
    cpu_times,
    env_with_cache,
    log,
    machine,
    package_state,
    run,
    sessiongen_cmd,
    workload_info,
)
from sections_kokoro import KokoroSections
from sections_memory import MemorySections
from sections_render import RenderSections
from sections_speech import SpeechSections

DEFAULT_OUTPUT = HERE / "results" / "latest.json"
SECTIONS = ("e2e", "encoder", "native", "speech", "kokoro", "memory", "batch")


# -- the benchmark run --------------------------------------------------------------------------


class Bench(RenderSections, SpeechSections, KokoroSections, MemorySections):
    """One benchmark run: its settings, work folder, results, and the sections that fill them."""

    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.runs = 1 if args.quick else args.runs
        self.memory_runs = 1 if args.quick else args.memory_runs
        self.work = Path(tempfile.mkdtemp(prefix="sessiongen-bench-"))
        self.warm_cache = self.work / "cache-warm"
        self.sessiongen = sessiongen_cmd()
        # The session the timing figures use, and the lengths of the memory sweep.
        if self.quick:
            self.session = (SHORT_WORKLOAD, 10.0)
            self.sweep = [(SHORT_WORKLOAD, 10.0), (SHORT_WORKLOAD, 20.0)]
            self.control = None
            self.cold_sweep = [(SHORT_WORKLOAD, 10.0)]
            self.batch_rows, self.batch_minutes = 2, 10.0
        else:
            self.session = (MAIN_WORKLOAD, 30.0)
            self.sweep = [(SHORT_WORKLOAD, 10.0), (MAIN_WORKLOAD, 30.0), (MAIN_WORKLOAD, 60.0), (MAIN_WORKLOAD, 120.0)]
            self.control = None if args.no_control else (SHORT_WORKLOAD, 120.0)
            self.cold_sweep = [(SHORT_WORKLOAD, 10.0), (MAIN_WORKLOAD, 120.0)]  # a fresh cache: the voice workers run
            self.batch_rows, self.batch_minutes = 8, 10.0
        self.results: dict = {}
        self.errors: dict = {}
        self.notes: list[str] = []
        self.mastered_wav: Path | None = None  # the session rendered to WAV: the encoder's input
        self.package = package_state()  # sessiongen's source at the start
        self.sections: dict[str, dict] = {}  # section -> its duration and the machine's CPU busy and stolen shares
        self.changed: dict[str, list[str]] = {}  # section -> files that differ from the start of the run at its end

    # -- helpers --
    def render(self, workload: Path, minutes: float, out: Path, cache: Path) -> Proc:
        argv = [*self.sessiongen, "render", workload, "--minutes", f"{minutes:g}", "-o", out, "--sidecars", "none"]
        return run(argv, env_with_cache(cache))

    def fresh_cache(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="cache-cold-", dir=self.work))

    def calibrated_cache(self) -> Path:
        """A fresh cache holding only the warm cache's remembered Piper pace (piper-pace.json), if
        any: cold phrases, but not the voice's one-off pace calibration (the speech section times that)."""
        cache = self.fresh_cache()
        pace = self.warm_cache / speech_piper.PACE_FILE
        if pace.exists():
            shutil.copy2(pace, cache / pace.name)
        return cache

    def warm_up(self) -> None:
        """Fill the warm cache with every phrase of both workloads: a render each (a plan would
        only estimate the phrases of a slow voice such as Kokoro's, and speak none)."""
        log("warming the phrase cache (untimed) ...")
        for workload in (MAIN_WORKLOAD, SHORT_WORKLOAD):
            out = self.work / "warm-up.wav"
            run([*self.sessiongen, "render", workload, "-o", out, "--sidecars", "none"], env_with_cache(self.warm_cache))
            out.unlink(missing_ok=True)

    def section(self, name: str, function) -> None:
        if name not in self.args.only:
            return
        log(f"== {name}")
        started, ticks = time.perf_counter(), cpu_times()
        try:
            function()
        except Exception as exc:  # one failing section must not lose the others' figures
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            log(f"   FAILED: {self.errors[name]}")
        after = package_state()
        if after["sha256"] != self.package["sha256"]:
            self.changed[name] = changed_files(self.package, after)
            log(f"   WARNING: sessiongen's source differs from the start of the run: {', '.join(self.changed[name])}")
        share = cpu_share(ticks, cpu_times())
        self.sections[name] = {"seconds": round(time.perf_counter() - started, 1), **share}
        log(
            f"   ({self.sections[name]['seconds']:.0f} s; machine CPU busy {share.get('busy_pct', '?')} %, stolen {share.get('steal_pct', '?')} %)"
        )

    # -- the whole run --
    def go(self) -> int:
        started = time.perf_counter()
        info = machine()
        log(
            f"sessiongen benchmarks: {info['nproc']} cores, {info['cpu_model']}, {info['memory_mb']} MB; "
            f"{self.runs} run(s) per figure{' (quick smoke run)' if self.quick else ''}; work folder {self.work}"
        )
        try:
            self.run_sections()
        finally:
            if not self.args.keep:
                shutil.rmtree(self.work, ignore_errors=True)
        info["loadavg_end"] = list(os.getloadavg())
        end = package_state()
        if self.changed or end["sha256"] != self.package["sha256"]:
            self.notes.append(
                f"sessiongen's source changed while the benchmark ran ({', '.join(changed_files(self.package, end))}; "
                f"first seen at the end of section {next(iter(self.changed), 'last')}): figures after that may "
                "belong to another version; run it again for figures of one version"
            )
        found = targets.check(self.results)
        if self.quick:
            self.notes.append(
                "quick smoke run: 1 run, a 10-minute session and shorter lengths; the targets are not comparable with a full run"
            )
        document = self.document(started, info, end, found)
        out = Path(self.args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2) + "\n")
        print(report.table(document))
        print(f"\nwrote {out}")
        return 1 if self.errors else 0

    def run_sections(self) -> None:
        if set(self.args.only) & {"e2e", "encoder", "memory", "batch"}:
            self.warm_up()
        self.section("e2e", self.e2e)
        self.section("encoder", self.encoder)
        self.section("native", self.native)
        self.section("speech", self.speech)
        self.section("kokoro", self.kokoro)
        self.section("memory", self.memory)
        self.section("batch", self.batch)

    def document(self, started: float, info: dict, end: dict, found: list[dict]) -> dict:
        """The JSON document: the run's settings, the machine, the package, every figure and target."""
        return {
            "schema": 1,
            "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - started, 1),
            "quick": self.quick,
            "runs": self.runs,
            "memory_runs": self.memory_runs,
            "command": " ".join([Path(sys.executable).name, "benchmarks/run.py", *sys.argv[1:]]),
            "machine": info,
            "package": {
                "start": {k: v for k, v in self.package.items() if k != "files"},
                "end": {k: v for k, v in end.items() if k != "files"},
                "changed_files": changed_files(self.package, end),
                "changed_by_section": self.changed,
            },
            "workloads": {
                "session": workload_info(self.session[0]),
                "session_minutes": self.session[1],
                "short": workload_info(SHORT_WORKLOAD),
            },
            "sections": self.sections,
            "results": self.results,
            "targets": found,
            "errors": self.errors,
            "notes": self.notes,
        }


# -- command line -------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is reported [default: 3]")
    parser.add_argument(
        "--memory-runs",
        type=int,
        default=1,
        help="runs per length of the memory sweep (peak RSS barely varies between runs; the session length reuses the end-to-end renders) [default: 1]",
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: 1 run, a 10-minute session, shorter lengths")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections to run: {', '.join(SECTIONS)}")
    parser.add_argument("--no-control", action="store_true", help="skip the same-script memory control (short workload at 120 min)")
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT), help=f"the JSON file [default: {DEFAULT_OUTPUT.relative_to(ROOT)}]")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (renders, caches) for inspection")
    return parser


def main(argv: list[str]) -> int:
    entry = children.ENTRY_POINTS.get(argv[0]) if argv else None
    if entry is not None:  # a helper, run by a section in its own process (children.py)
        entry(argv[1:])
        return 0
    command = parser()
    args = command.parse_args(argv)
    if args.runs < 1 or args.memory_runs < 1:
        command.error("--runs and --memory-runs must be at least 1")
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.only if s not in SECTIONS]
    if unknown:
        command.error(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    return Bench(args).go()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
