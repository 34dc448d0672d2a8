"""How close the duration estimate (sessiongen/speech/estimate.py) comes to Kokoro's real clips:
reads kokoro_speed.py's output (each phrase's text and its clip's length, synthesised by
sessiongen at the default rate) and prints the error per phrase and over all of them, and the
weights a least-squares fit would give.

    python benchmarks/kokoro_speed.py --limit 24 > k.json && python benchmarks/kokoro_estimate.py k.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

from sessiongen.settings import DEFAULTS
from sessiongen.speech import estimate


def features(text: str) -> list[float]:
    words = estimate._WORD.findall(text)
    stops = max(0, len(re.findall(r"[.!?…]+(?=\s|$)", text.strip())) - 1)
    return [sum(estimate.syllables(w) for w in words), len(words), len(re.findall(r"[,;:—–]", text)), stops, 1.0]


def errors(found: dict) -> dict:
    """The estimate against the real clips of kokoro_speed.py's output: total and per-phrase error."""
    key = next(k for k in found if k.startswith("ours_"))
    actual = np.array(found[key]["phrases"])
    guessed = np.array([estimate.phrase_s(t, DEFAULTS.rate_wpm, "en") for t in found["texts"]])
    ratio = guessed / actual
    return {
        "phrases": len(actual),
        "spoken_s": round(float(actual.sum()), 2),
        "estimated_s": round(float(guessed.sum()), 2),
        "total_error_pct": round(100 * (guessed.sum() / actual.sum() - 1), 2),
        "median_phrase_error_pct": round(100 * (float(np.median(ratio)) - 1), 2),
        "p90_abs_phrase_error_pct": round(100 * float(np.quantile(np.abs(ratio - 1), 0.9)), 2),
    }


def main(path: str) -> None:
    found = json.loads(Path(path).read_text(encoding="utf-8"))
    e = errors(found)
    print(
        f"{e['phrases']} phrases, {e['spoken_s']:.1f} s spoken, {e['estimated_s']:.1f} s estimated: total error {e['total_error_pct']:+.1f} %"
    )
    print(f"per phrase: median error {e['median_phrase_error_pct']:+.1f} %, 90 % within {e['p90_abs_phrase_error_pct']:.1f} %")
    key = next(k for k in found if k.startswith("ours_"))
    actual = np.array(found[key]["phrases"])
    x = np.array([features(t) for t in found["texts"]])
    seconds = actual - estimate.TRIM_MARGINS_S
    coef, *_ = np.linalg.lstsq(x, seconds, rcond=None)
    per_syllable = coef[0]
    print("fitted weights in syllable-times: word {:.2f} comma {:.2f} stop {:.2f} phrase {:.2f}".format(*(coef[1:] / per_syllable)))


if __name__ == "__main__":
    main(sys.argv[1])
