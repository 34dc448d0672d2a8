"""The narration's pace in each language of the library, in words and syllables a minute.

    PYTHONPATH=. python benchmarks/language_pace.py [--engine pyttsx3] [--voice VOICE] [--language es]

For each technique: the planned length against its nominal duration and range, and the
narration's pace as heard (phrases and the rests between them). The Spanish calm range in
docs/content-guidelines.md comes from the English library's figures with the same engine.
"""

from __future__ import annotations

import argparse
import statistics

from sessiongen import pipeline
from sessiongen.script import library, parser
from sessiongen.script.syllables import narration_pace
from sessiongen.settings import Settings


def measure(language: str, settings: Settings) -> list[tuple[str, float, float, float, float, float]]:
    rows = []
    with pipeline.cache_root(True) as root:
        for technique_id, path in library.technique_paths(language).items():
            script = parser.parse_file(path)
            tl = pipeline.prepare(script, {}, settings, root).timeline
            lo, hi = (f / tl.rate_hz for f in tl.range_frames)
            wpm, spm = narration_pace(tl)
            rows.append((technique_id, script.meta.duration_s, lo, hi, wpm, spm))
    return rows


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--engine", default="pyttsx3")
    args.add_argument("--voice")
    args.add_argument("--language", action="append")
    given = args.parse_args()
    settings = Settings(engine=given.engine, voice=given.voice)
    for language in given.language or library.languages():
        rows = measure(language, settings)
        print(f"\n{language} ({given.engine}{'/' + given.voice if given.voice else ''})")
        for technique_id, nominal_s, lo, hi, wpm, spm in rows:
            mark = "" if lo <= nominal_s <= hi else "  OUT OF REACH"
            print(
                f"  {technique_id:<32} nominal {nominal_s:5.0f}s range {lo:5.0f}-{hi:5.0f}s  {wpm:5.1f} words/min {spm:5.1f} syllables/min{mark}"
            )
        wpms, spms = [r[4] for r in rows], [r[5] for r in rows]
        print(
            f"  all: {min(wpms):.1f}-{max(wpms):.1f} words/min (median {statistics.median(wpms):.1f}), "
            f"{min(spms):.1f}-{max(spms):.1f} syllables/min (median {statistics.median(spms):.1f}), "
            f"{statistics.mean(s / w for w, s in zip(wpms, spms)):.2f} syllables a word"
        )


if __name__ == "__main__":
    main()
