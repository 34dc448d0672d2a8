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


def main(path: str) -> None:
    found = json.loads(Path(path).read_text(encoding="utf-8"))
    key = next(k for k in found if k.startswith("ours_"))
    actual = np.array(found[key]["phrases"])
    texts = found["texts"]
    guessed = np.array([estimate.phrase_s(t, DEFAULTS.rate_wpm, "en") for t in texts])
    ratio = guessed / actual
    print(
        f"{len(texts)} phrases, {actual.sum():.1f} s spoken, {guessed.sum():.1f} s estimated: total error {100 * (guessed.sum() / actual.sum() - 1):+.1f} %"
    )
    print(f"per phrase: median error {100 * (np.median(ratio) - 1):+.1f} %, 90 % within {100 * np.quantile(np.abs(ratio - 1), 0.9):.1f} %")
    x = np.array([features(t) for t in texts])
    seconds = actual - estimate.TRIM_MARGINS_S
    coef, *_ = np.linalg.lstsq(x, seconds, rcond=None)
    per_syllable = coef[0]
    print("fitted weights in syllable-times: word {:.2f} comma {:.2f} stop {:.2f} phrase {:.2f}".format(*(coef[1:] / per_syllable)))


if __name__ == "__main__":
    main(sys.argv[1])
