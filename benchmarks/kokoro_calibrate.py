"""Measure the pace of every Kokoro voice (words a minute at speed 1, each calibration sentence
spoken alone and trimmed) and record it in sessiongen/speech/data/kokoro-pace.json, which the
engine reads so a first render need not measure. Run after a change of model, voices, phonemiser
or calibration sentences: `python benchmarks/kokoro_calibrate.py [--workers 2]` (about 20 s of
CPU per voice)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sessiongen" / "speech" / "data" / "kokoro-pace.json"


def measure(name: str) -> tuple[str, float]:
    from sessiongen.speech import kokorofiles as files
    from sessiongen.speech.engines.kokoro import KokoroSynth, measure_pace

    voice = files.catalogue()[name]
    return name, round(measure_pace(KokoroSynth(), files.read_voice(name), voice), 2)


def main() -> None:
    from sessiongen.speech import kokorofiles as files
    from sessiongen.speech.engines.kokoro import identity

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    names = [v.name for v in files.catalogue().values() if v.espeak]
    paces = {}
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for name, wpm in pool.imap_unordered(measure, names):
            paces[name] = wpm
            print(f"{name:<14} {wpm:7.2f} words a minute at speed 1", flush=True)
    data = {"engine": identity(), "words_per_minute_at_speed_1": dict(sorted(paces.items()))}
    OUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
