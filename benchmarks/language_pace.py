"""The narration's pace in each language of the library, in words and syllables a minute.

    PYTHONPATH=. python benchmarks/language_pace.py [--engine pyttsx3] [--voice VOICE] [--language es]

For each technique: the planned length against its nominal duration and range, and the
narration's pace as heard (phrases and the rests between them). The Spanish calm range in
docs/content-guidelines.md comes from the English library's figures with the same engine. With
an engine that plans by estimate (Kokoro), also the estimate's error: the plan's spoken time and
shortest length, made before anything is spoken (as `plan` does on an empty cache), against the
real voice's.
"""

from __future__ import annotations

import argparse
import statistics

from sessiongen import pipeline
from sessiongen.script import library, parser
from sessiongen.script.syllables import narration_pace
from sessiongen.settings import Settings


def measure(language: str, settings: Settings) -> list[tuple]:
    """Per technique: id, nominal, shortest, longest (s), words and syllables a minute, and the
    estimate's error (%) on the spoken time and on the shortest length (None when not estimated)."""
    rows = []
    with pipeline.cache_root(True) as root:
        for technique_id, path in library.technique_paths(language).items():
            script = parser.parse_file(path)
            guessed = pipeline.prepare(script, {}, settings, root, estimate=True)
            real = pipeline.prepare(script, {}, settings, root)
            tl = real.timeline
            lo, hi = (f / tl.rate_hz for f in tl.range_frames)
            wpm, spm = narration_pace(tl)
            errors = (None, None)
            if guessed.speak.estimated:
                errors = (
                    _error_pct(spoken_frames(guessed), spoken_frames(real)),
                    _error_pct(guessed.timeline.range_frames[0], tl.range_frames[0]),
                )
            rows.append((technique_id, script.meta.duration_s, lo, hi, wpm, spm, *errors))
    return rows


def spoken_frames(prepared) -> int:
    return sum(clip.frames for clip in prepared.clips.values())


def _error_pct(guessed: float, real: float) -> float:
    return 100.0 * (guessed / real - 1.0)


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
        for technique_id, nominal_s, lo, hi, wpm, spm, speech_err, shortest_err in rows:
            mark = "" if lo <= nominal_s <= hi else "  OUT OF REACH"
            guess = "" if speech_err is None else f"  estimate {speech_err:+5.1f} % spoken, {shortest_err:+5.1f} % shortest"
            print(
                f"  {technique_id:<32} nominal {nominal_s:5.0f}s range {lo:5.0f}-{hi:5.0f}s  {wpm:5.1f} words/min {spm:5.1f} syllables/min{mark}{guess}",
                flush=True,
            )
        wpms, spms = [r[4] for r in rows], [r[5] for r in rows]
        print(
            f"  all: {min(wpms):.1f}-{max(wpms):.1f} words/min (median {statistics.median(wpms):.1f}), "
            f"{min(spms):.1f}-{max(spms):.1f} syllables/min (median {statistics.median(spms):.1f}), "
            f"{statistics.mean(s / w for w, s in zip(wpms, spms)):.2f} syllables a word"
        )
        errors = [r[6] for r in rows if r[6] is not None]
        if errors:
            worst = max(rows, key=lambda r: abs(r[6] or 0))
            print(
                f"  estimate of the spoken time: {min(errors):+.1f} to {max(errors):+.1f} % (worst {worst[0]}), median {statistics.median(errors):+.1f} %"
            )


if __name__ == "__main__":
    main()
