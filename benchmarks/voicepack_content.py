"""The voice-pack matcher on takes read by real voices that differ from the sheet's.

    .venv/bin/python benchmarks/voicepack_content.py [--scripts safe-place box-breathing] [--quick]
        [--cases 1 2] [--paces 0.7 1.3] [--spectral]

The sheet is made with one voice (Piper joe, or espeak-ng's en-gb through pyttsx3); each take is
read by another (espeak-ng en-gb, en-us with the f3 variant and en-gb-scotland with m3 at their
own rates; or Piper joe against an espeak-ng sheet) at 0.7x, 1.0x, 1.3x and 1.5x the sheet's
pace, with the retakes, remarks, missing phrase, comma pauses, noise and hum of
benchmarks/voicepack_corpus.py. Each take is imported as a clinician would (`import_takes`).

Counted per phrase said: *own* when its audio is its own (both ends within 0.15 s of the truth);
*wrong* when it was given other audio, and whether a `check` or `retake` mark says so; the
missing phrase: reported or not; and the import's wall time against the take's length.
The takes are made once and kept under $VOICEPACK_CORPUS_DIR (default /tmp/phonetic-corpus; a case
and pace always give the same take), with the sheets' synthetic readings. `--spectral` measures the
comparison by sound alone (MFCC and dynamic time warping), as the matcher was before the phonetic
one. Each line gives the import's wall time and its CPU time (the machine may be shared).
Kokoro voices are not among the cases yet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from voicepack_corpus import RATE_HZ, Take, build  # noqa: E402

from sessiongen import pipeline  # noqa: E402
from sessiongen.settings import Settings  # noqa: E402
from sessiongen.speech import get_engine  # noqa: E402
from sessiongen.voicepack import importing, matching, sheet, store  # noqa: E402

CORPUS_DIR = Path(os.environ.get("VOICEPACK_CORPUS_DIR", "/tmp/phonetic-corpus"))  # takes built once, reused
TOLERANCE_S = 0.15
PACES = (0.7, 1.0, 1.3, 1.5)
CASES = [  # (sheet engine, sheet voice), (take engine, take voice)
    (("piper", None), ("pyttsx3", "gmw/en")),
    (("piper", None), ("pyttsx3", "gmw/en-us+f3")),
    (("piper", None), ("pyttsx3", "gmw/en-gb-scotland+m3")),
    (("pyttsx3", "gmw/en"), ("piper", None)),
]


def judge(pack, take, report) -> dict:
    marks = {(p.kind, p.phrase) for p in report.problems}
    out = {
        "said": len(take.truth),
        "own": 0,
        "wrong": 0,
        "wrong_unmarked": 0,
        "checks": 0,
        "missing_reported": ("missing", take.missing) in marks and take.missing not in pack.recorded,
        "by": "/".join(sorted({rec.get("match", {}).get("by", "?") for rec in pack.recorded.values()})),
    }
    for phrase_id, rec in pack.recorded.items():
        truth = take.truth.get(phrase_id)
        out["checks"] += bool(rec.get("match", {}).get("check"))
        if truth and abs(rec["start_s"] - truth[0]) <= TOLERANCE_S and abs(rec["stop_s"] - truth[1]) <= TOLERANCE_S:
            out["own"] += 1
            continue
        out["wrong"] += 1
        if not ({("check", phrase_id), ("retake", phrase_id)} & marks):
            out["wrong_unmarked"] += 1
            out.setdefault("unmarked", []).append((phrase_id, truth, (rec["start_s"], rec["stop_s"])))
    return out


def cached_take(pack, take_side, pace: float, seed: int, rate_wpm: int, scripts: str) -> Take:
    """The take for a case, built once and kept under CORPUS_DIR (the synthesis is the slow part)."""
    name = f"{scripts}-{take_side[0]}-{(take_side[1] or 'default').replace('/', '_')}-{pace}-{seed}"
    audio, meta = CORPUS_DIR / f"{name}.flac", CORPUS_DIR / f"{name}.json"
    if audio.exists() and meta.exists():
        kept = json.loads(meta.read_text())
        truth = {int(k): tuple(v) for k, v in kept["truth"].items()}
        return Take(sf.read(audio, dtype="float32")[0], truth, set(kept["retaken"]), kept["missing"])
    engine = get_engine(take_side[0])  # in its own process: Piper's and pyttsx3's espeak-ng libraries clash in one
    voice = engine.resolve_voice(take_side[1], "en")
    take = build(pack.phrases, engine, voice, pace, seed, rate_wpm)
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    sf.write(audio, take.samples, RATE_HZ, subtype="PCM_16")
    meta.write_text(json.dumps({"truth": take.truth, "retaken": sorted(take.retaken), "missing": take.missing}))
    return take


def run_case(scripts, sheet_side, take_side, pace, seed, tmp: Path) -> dict:
    settings = Settings(engine=sheet_side[0], voice=sheet_side[1])
    parsed = [pipeline.load(ref) for ref in scripts]
    folder = tmp / f"pack-{seed}"
    pack = sheet.make_pack(
        parsed, scripts, get_engine(sheet_side[0]), sheet_side[0], settings, Path(os.environ["SESSIONGEN_CACHE_DIR"]), folder
    )
    store.create(folder, pack, sheet.html(pack, [s.meta.title for s in parsed]))
    take = cached_take(pack, take_side, pace, seed, settings.rate_wpm, "+".join(scripts))
    sf.write(tmp / "take.flac", take.samples, RATE_HZ)
    started, cpu = time.perf_counter(), time.process_time()
    report = importing.import_takes(folder, [tmp / "take.flac"], Settings())
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = judge(store.load(folder), take, report)
    result.update(take_s=len(take.samples) / RATE_HZ, import_s=took, cpu_s=cpu)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scripts", nargs="*", default=["safe-place", "box-breathing"])
    parser.add_argument("--quick", action="store_true", help="one pace per voice")
    parser.add_argument("--cases", nargs="*", type=int, help="only these cases (1-4, see CASES)")
    parser.add_argument("--paces", nargs="*", type=float, help="only these paces")
    parser.add_argument("--spectral", action="store_true", help="the spectral (MFCC) comparison alone, as before the phonetic one")
    args = parser.parse_args()
    if args.spectral:
        matching.USABLE_PHONETIC = -1.0  # never usable: the fallback decides
    totals = {"said": 0, "own": 0, "wrong": 0, "wrong_unmarked": 0, "checks": 0, "missing": 0, "missing_reported": 0}
    worst_ratio = 0.0
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("SESSIONGEN_CACHE_DIR", str(CORPUS_DIR / "cache"))  # the sheet's readings, kept too
        for number, (sheet_side, take_side) in enumerate(CASES, 1):
            if args.cases and number not in args.cases:
                continue
            for pace in args.paces or (PACES[2:3] if args.quick else PACES):
                seed = (number - 1) * len(PACES) + PACES.index(pace) + 1  # the same take for a case and pace, however chosen
                r = run_case(args.scripts, sheet_side, take_side, pace, seed, Path(folder))
                ratio = r["import_s"] / r["take_s"]
                worst_ratio = max(worst_ratio, ratio)
                for key in ("said", "own", "wrong", "wrong_unmarked", "checks"):
                    totals[key] += r[key]
                totals["missing"] += 1
                totals["missing_reported"] += r["missing_reported"]
                print(
                    f"sheet {sheet_side[0]}/{sheet_side[1] or 'default'}, take {take_side[0]}/{take_side[1] or 'default'} at {pace}x: "
                    f"{r['own']}/{r['said']} own, {r['wrong']} wrong ({r['wrong_unmarked']} unmarked), {r['checks']} check, "
                    f"missing reported: {r['missing_reported']}; import {r['import_s']:.1f} s for {r['take_s']:.0f} s ({ratio:.3f}x), "
                    f"CPU {r['cpu_s']:.1f} s ({r['cpu_s'] / r['take_s']:.3f}x), by {r['by']}"
                    + (f"  unmarked: {r['unmarked']}" if r.get("unmarked") else ""),
                    flush=True,
                )
    print(
        f"TOTAL: {totals['own']}/{totals['said']} phrases own audio ({100 * totals['own'] / max(totals['said'], 1):.1f} %), "
        f"{totals['wrong']} wrong of which {totals['wrong_unmarked']} unmarked, {totals['checks']} marked check, "
        f"missing reported {totals['missing_reported']}/{totals['missing']}, worst import time {worst_ratio:.3f}x the take"
    )


if __name__ == "__main__":
    main()
