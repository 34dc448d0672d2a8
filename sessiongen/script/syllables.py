"""Syllables in a phrase, to compare the pace of narration across languages.

Words a minute do not carry across languages (Spanish words are longer: about two syllables a
word against about one and a half in English), syllables a minute do. These counts are
estimates from spelling, good to a few percent over a script; they pace the library's tests and
measurements, never the audio.
"""

from __future__ import annotations

import re

from sessiongen.model.timeline import Timeline

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_ES_VOWELS = set("aeiouáéíóúü")
_ES_STRONG = set("aeoáéóíú")  # a hiatus between two of these; an unaccented i or u joins its neighbour
_EN_GROUP = re.compile(r"[aeiouy]+")


def count(text: str, language: str | None = "en") -> int:
    """The syllables of `text` in `language` (Spanish rules for es, English's for every other)."""
    counter = _spanish_word if (language or "en").lower().startswith("es") else _english_word
    return sum(counter(w.lower()) for w in _WORD.findall(text))


def _spanish_word(word: str) -> int:
    word = re.sub(r"(?<=[qg])u(?=[eéií])", "", word)  # que, gui: the u is silent
    syllables, before = 0, ""
    for letter in word:
        if letter in _ES_VOWELS and (before not in _ES_VOWELS or (before in _ES_STRONG and letter in _ES_STRONG)):
            syllables += 1
        before = letter
    return max(1, syllables)


def _english_word(word: str) -> int:
    word = word.replace("’", "'").split("'")[0]
    groups = len(_EN_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1  # a silent final e: "face", "breathe"
    return max(1, groups)


def narration_pace(timeline: Timeline) -> tuple[float, float]:
    """(words, syllables) a minute of the narration as heard: its phrases and the rests between
    them, without the practice's own pauses (as docs/content-guidelines.md §4 measures it)."""
    speech = [e for e in timeline.events if e.kind == "speech"]
    gaps = [e for e in timeline.events if e.kind == "pause" and e.text == "gap"]
    minutes = sum(e.frames for e in speech + gaps) / timeline.rate_hz / 60
    if minutes <= 0:
        return 0.0, 0.0
    words = sum(len(_WORD.findall(e.text)) for e in speech)
    return words / minutes, sum(count(e.text, timeline.language) for e in speech) / minutes
