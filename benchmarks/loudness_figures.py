#!/usr/bin/env python3
"""The figures mastering anchored on the voice must hold (issue 15), at every length, mono and
stereo, with every bed: one table, and JSON in benchmarks/results/loudness-figures.json.

    .venv/bin/python benchmarks/loudness_figures.py            # the whole matrix (about an hour)
    .venv/bin/python benchmarks/loudness_figures.py --quick    # 5 and 30 minutes, two beds
    .venv/bin/python benchmarks/loudness_figures.py --engine fake   # with tests/fake_engine.py

Each case is rendered to a WAV with the library (the default voice unless --engine), in the
user's phrase cache (or $SESSIONGEN_CACHE_DIR), and read from what the render measured: the
voice's speech-gated loudness, the limiter's gain reduction over speech, and the levels against
the voice (sessiongen/master/levels.py) of the mix while the voice speaks, the bed alone, the
bilateral sets and the loudest 400 ms. tests/test_voice_anchor.py checks that those figures are
the decoded file's. A case outside a limit is marked with `!` and listed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sessiongen import pipeline  # noqa: E402
from sessiongen.errors import SessiongenError  # noqa: E402
from sessiongen.settings import Settings  # noqa: E402
from sessiongen.sound.beds import BEDS  # noqa: E402

SG5, SG10, SG30 = (str(HERE / f"workloads/steady-ground-{m}.md") for m in (5, 10, 30))
LONG = f"{SG30}+{SG30}"  # a composition: the workloads alone stop at 2h08
LENGTHS_MIN = (5, 10, 30, 60, 120, 180)
LIBRARY = ("box-breathing", "butterfly-hug", "safe-place", "body-scan-long", "tre-release", "spiral-technique")
LIMITS = {
    "voice_off_lu": 0.5,
    "limiter_mean_db": -0.2,
    "limiter_worst_db": -1.0,
    "loudest_lu": 6.0,
    "true_peak_dbtp": -1.0,
    "drift_lu": 1.0,
}


def workload(minutes: float) -> str:
    """The steady-ground workload that reaches this length (the same voice, text and bed)."""
    return SG5 if minutes < 10 else SG10 if minutes < 30 else SG30 if minutes <= 120 else LONG


def cases(quick: bool) -> list[tuple[str, float | None, bool, str | None]]:
    """(script, minutes, mono, bed): the workloads at every length, mono and stereo; every bed at
    10 minutes and the longest; library techniques at their nominal length."""
    lengths = (10, 30) if quick else LENGTHS_MIN
    beds = ("rain", "drone") if quick else tuple(BEDS)
    found = [(workload(m), m, mono, None) for mono in (False, True) for m in lengths]
    found += [(workload(m), m, False, bed) for bed in beds for m in (10, lengths[-1])]
    found += [(technique, None, False, None) for technique in (LIBRARY[:2] if quick else LIBRARY)]
    return found


def measure(script: str, minutes: float | None, mono: bool, bed: str | None, engine: str | None, folder: Path) -> dict:
    settings = Settings(engine=engine, minutes=minutes, mono=mono, ambience=bed)
    started = time.perf_counter()
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(pipeline.load(script), {}, settings, root)
        rendered = pipeline.write(prepared, settings, folder / "case.wav")
    levels = rendered.against_voice_lu
    return {
        "script": Path(script.split("+")[0]).stem + ("+…" if "+" in script else ""),
        "minutes": minutes,
        "mono": mono,
        "bed": bed or "script's",
        "target_lufs": settings.target_lufs,
        "voice_lufs": round(rendered.voice_lufs, 2),
        "programme_lufs": round(rendered.delivered.integrated_lufs, 2),
        "gain_db": round(rendered.gain_db, 2),
        "limiter_mean_db": round(rendered.limiter_on_speech_db[0], 3),
        "limiter_worst_db": round(rendered.limiter_on_speech_db[1], 2),
        "speech_lu": levels.get("speech"),
        "bed_only_lu": levels.get("bed_only"),
        "sets_lu": levels.get("sets"),
        "loudest_lu": levels.get("loudest"),
        "true_peak_dbtp": round(rendered.delivered.true_peak_db, 2),
        "seconds": round(time.perf_counter() - started, 1),
    }


def problems(row: dict, at_ten: dict | None) -> list[str]:
    found = []
    if abs(row["voice_lufs"] - row["target_lufs"]) > LIMITS["voice_off_lu"]:
        found.append("voice off target")
    if row["limiter_mean_db"] < LIMITS["limiter_mean_db"] or row["limiter_worst_db"] < LIMITS["limiter_worst_db"]:
        found.append("limiter on speech")
    if row["loudest_lu"] is not None and row["loudest_lu"] > LIMITS["loudest_lu"]:
        found.append("startle")
    if row["true_peak_dbtp"] > LIMITS["true_peak_dbtp"]:
        found.append("true peak")
    for key in ("bed_only_lu", "sets_lu"):
        if at_ten and row[key] is not None and at_ten.get(key) is not None and abs(row[key] - at_ten[key]) > LIMITS["drift_lu"]:
            found.append(f"{key} drifts from 10 min")
    return found


COLUMNS = (
    "script",
    "minutes",
    "mono",
    "bed",
    "voice_lufs",
    "programme_lufs",
    "limiter_mean_db",
    "limiter_worst_db",
    "speech_lu",
    "bed_only_lu",
    "sets_lu",
    "loudest_lu",
    "true_peak_dbtp",
    "seconds",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--engine", help="a speech engine (default: the default voice)")
    args = parser.parse_args()
    if args.engine == "fake":
        sys.path.insert(0, str(HERE.parent / "tests"))
        os.environ["SESSIONGEN_ENGINES"] = "fake=fake_engine:FakeEngine"
    rows, bad = [], []
    print("| " + " | ".join(COLUMNS) + " | |\n|" + "---|" * (len(COLUMNS) + 1), flush=True)
    with tempfile.TemporaryDirectory(prefix="sessiongen-loudness-") as folder:
        for script, minutes, mono, bed in cases(args.quick):
            try:
                row = measure(script, minutes, mono, bed, args.engine, Path(folder))
            except SessiongenError as exc:
                print(f"| {Path(script).stem} | {minutes} | {mono} | {bed} | skipped: {exc} |", flush=True)
                continue
            workload_row = row["script"].startswith("steady-ground")  # a technique has no 10-minute render of its own bed
            at_ten = (
                next((r for r in rows if r["mono"] == mono and r["bed"] == row["bed"] and r["minutes"] == 10), None)
                if workload_row
                else None
            )
            row["problems"] = problems(row, at_ten)
            rows.append(row)
            bad += [f"{row['script']} {minutes} min {'mono' if mono else 'stereo'} {row['bed']}: {p}" for p in row["problems"]]
            print(
                "| " + " | ".join(str(row[c]) for c in COLUMNS) + f" | {'! ' + ', '.join(row['problems']) if row['problems'] else ''} |",
                flush=True,
            )
    out = HERE / "results" / "loudness-figures.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"limits": LIMITS, "rows": rows}, indent=1), encoding="utf-8")
    print(f"\n{len(rows)} cases, {len(bad)} outside a limit" + "".join(f"\n  {b}" for b in bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
