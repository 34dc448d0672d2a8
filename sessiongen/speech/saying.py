"""What the engine is asked to say: a phrase's written text made speakable, in one stage.

`Speaker.spoken` calls `said` for every phrase it hands an engine, and only there: the transcript,
the tags, the review page and the manifest keep the script's own words (a listener reading along
sees what the script says), while the engine gets, in this order:

1. the text without markup: Piper's inline `[[ ... ]]` never comes from a value or the script;
2. the pronunciations (`--say WORD=SPOKEN`, a script's or profile's `pronunciations:`) applied,
   so a clinician's respelling always wins over what follows;
3. outside a pronunciation's phonemes: numbers, times, dates, ranges, ordinals, titles and web
   addresses said in the session's language (speech/numbers.py, num2words);
4. in an English or Spanish session, every word in letters the voice does not read (another
   script, or accents its language lacks) transliterated with anyascii: `Андрей` is said
   `Andrey`, `Ελένη` `Eleni`, `Nguyễn` `Nguyen`, `日本語` `Ri Ben Yu`. Where a transliteration is
   no way to say the word (Arabic and Hebrew are written without most vowels: `محمد` would be
   `mhmd`; an emoji), the word is left out. Each such word is a `Foreign`, for a warning that
   names it, what it will be said as, and the `--say` that changes it.

Other languages (a Japanese Kokoro voice, Russian by espeak-ng) read their own letters; their
numbers are said by num2words where it knows the language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

from sessiongen.speech import numbers, pronounce
from sessiongen.words import WORDS, primary

_PHONEMES = re.compile(r"(\[\[ .*? \]\])")
_WORDISH = re.compile(r"[^\W_][\w'’\u00b7\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff]*")
_SYMBOL = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]+")
_NO_VOWELS = ("ARABIC", "HEBREW", "SYRIAC", "THAANA", "SAMARITAN", "MANDAIC")  # scripts written without most vowels
_SPACED = ("CJK", "HANGUL")  # one syllable a character: said apart (Ri Ben Yu)


@dataclass(frozen=True)
class Foreign:
    """A word the voice cannot read as written, and what it says instead ('' when left out)."""

    written: str
    spoken: str
    script: str  # the writing system of its first letter the voice lacks, as Unicode names it (CYRILLIC, GREEK, ...)

    @property
    def left_out(self) -> bool:
        return not self.spoken


@dataclass(frozen=True)
class Said:
    spoken: str  # what the engine is given
    foreign: tuple[Foreign, ...]  # the words it says otherwise than written, or leaves out


@lru_cache(maxsize=4096)
def said(text: str, language: str | None, entries: pronounce.Entries = ()) -> Said:
    """The text as the engine should say it, and the words transliterated or left out."""
    text = pronounce.apply(unicodedata.normalize("NFC", text), entries)
    foreign: list[Foreign] = []
    pieces = [piece if _PHONEMES.fullmatch(piece) else _plain(piece, language, foreign) for piece in _PHONEMES.split(text)]
    return Said(re.sub(r"\s{2,}", " ", "".join(pieces)).strip(), tuple(dict.fromkeys(foreign)))


def _plain(text: str, language: str | None, foreign: list[Foreign]) -> str:
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)
    text = numbers.say_numbers(text, language)
    words = WORDS.get(primary(language))
    if words is None or words.saying is None:
        return text
    alphabet = set("abcdefghijklmnopqrstuvwxyz" + words.saying.letters)
    text = _SYMBOL.sub(lambda m: _note(foreign, Foreign(m.group(0), "", "SYMBOL")), text)
    return _WORDISH.sub(lambda m: _word(m.group(0), alphabet, foreign), text)


def _note(foreign: list[Foreign], found: Foreign) -> str:
    foreign.append(found)
    return found.spoken


def _word(word: str, alphabet: set[str], foreign: list[Foreign]) -> str:
    lacking = [ch for ch in word if ch.isalpha() and ch.lower() not in alphabet]
    if not lacking:
        return word
    script = unicodedata.name(lacking[0], "UNKNOWN").split()[0]
    if script in _NO_VOWELS:
        return _note(foreign, Foreign(word, "", script))
    if any(unicodedata.name(ch, "").startswith(_SPACED) for ch in word):
        spoken = " ".join(filter(None, (anyascii(ch) for ch in word)))
    else:
        spoken = anyascii(word)
    spoken = re.sub(r"[^\w'’ -]", "", spoken).strip()
    if len(spoken) > 1 and not re.search(r"[aeiouyAEIOUY]", spoken):
        spoken = ""  # consonants only: no way to say it
    return _note(foreign, Foreign(word, spoken, script))


def language_name(language: str | None) -> str:
    return {"en": "English", "es": "Spanish"}.get(primary(language), primary(language))


def warning(found: Foreign, language: str | None, values: dict[str, str] | None = None) -> str:
    """One line: the word (and the value it is part of), what the voice will say, and the --say to change it."""
    owner = next((name for name, value in (values or {}).items() if found.written in str(value)), None)
    where = f" (in {owner})" if owner else ""
    voice = f"the {language_name(language)} voice"
    fix = f"--say '{found.written}=RESPELLING'"
    if found.script == "SYMBOL":
        return f"'{found.written}'{where} is a symbol {voice} cannot say: it is left out"
    if found.left_out:
        how = "is written without its vowels, so nothing sensible can be said for it" if found.script in _NO_VOWELS else "cannot be said"
        return f"'{found.written}'{where} {how} by {voice}: it is left out; to have it said, give {fix} (e.g. a spelling in Latin letters)"
    return f"'{found.written}'{where} is not in {voice}'s letters: it will be said as '{found.spoken}'; if that is wrong, give {fix}"
