"""How long a phrase will be spoken, without speaking it: for plans and previews (`plan`,
`techniques show`, the studio), which then say their length is estimated.

The paced engines (Kokoro, Piper) are calibrated so that a voice speaks its language's calibration
sentences (speech/calibration.py), each alone and trimmed, at `rate * 1.21` words a minute. A
phrase then takes as long, relative to those sentences, as its weight: syllables, words, pauses
at commas and sentence ends, and a fixed onset per phrase, with weights fitted on Kokoro's
af_heart over the 30-minute workload's phrases (benchmarks/kokoro_estimate.py; docs/performance.md
gives the error over the library). So the estimate needs no synthesis and no model, only the
text, the rate and the language: the voice's own calibration is what makes it hold for every
voice. Pure functions.
"""

from __future__ import annotations

import re
from functools import cache

from sessiongen.speech import calibration

PACE_VS_ESPEAK = 1.21  # as the engines' pace calibration: words a minute within a phrase per nominal word a minute
TRIM_MARGINS_S = 0.06  # clips.py keeps 30 ms of the engine's silence at each edge
# weights, in units of one syllable's time (fitted: benchmarks/kokoro_estimate.py)
WORD = 0.55
COMMA = 2.2
STOP = 1.0
PHRASE = 1.4

_VOWELS = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýœ]+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’-]*|\d+")


def syllables(word: str) -> int:
    """Vowel groups, at least one; a final silent English 'e' (calm, notice) not counted."""
    found = len(_VOWELS.findall(word))
    if found > 1 and word.lower().endswith("e") and not word.lower().endswith(("le", "ee", "ye")):
        found -= 1
    return max(1, found)


def weight(text: str) -> float:
    """A phrase's length in syllable-times: syllables, words, commas, sentence ends, one onset."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sounds = sum(syllables(w) for w in words) + WORD * len(words)
    pauses = COMMA * len(re.findall(r"[,;:—–]", text)) + STOP * max(0, len(re.findall(r"[.!?…]+(?=\s|$)", text.strip())) - 1)
    return sounds + pauses + PHRASE


@cache
def _syllable_s_at_1wpm(language: str) -> float:
    """Seconds per syllable-time at one word a minute: the calibration sentences' words over their weight."""
    sentences = calibration.sentences(language)
    words = sum(len(s.split()) for s in sentences)
    return words * 60.0 / sum(weight(s) for s in sentences)


def phrase_s(text: str, rate_wpm: int, language: str | None = None) -> float:
    """The estimated length of a clip of `text` at `rate_wpm` (trimmed, as clips.py keeps it)."""
    spoken = _syllable_s_at_1wpm((language or "en").lower()) / (rate_wpm * PACE_VS_ESPEAK) * weight(text)
    return spoken + TRIM_MARGINS_S
