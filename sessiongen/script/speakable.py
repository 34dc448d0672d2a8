"""What the voice may be asked to say: sentences of bounded words, each sentence one clip."""

from __future__ import annotations

import re

from sessiongen.errors import Location, SessiongenError
from sessiongen.script.limits import MAX_PHRASE_CHARS, MAX_WORD_CHARS, shorten
from sessiongen.words import WORDS

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*(\s+)(?=[\"'“‘«(¿¡]*[A-Z0-9ÁÉÍÓÚÜÑÀÈÌÒÙÂÊÎÔÛÇ])")
_TITLES = tuple(
    sorted({key for w in WORDS.values() if w.saying for key in w.saying.abbreviations if key[0].isupper() and key.endswith(".")})
)
_AFTER_TITLE = re.compile(rf"(?<![\w.])(?:{'|'.join(re.escape(t) for t in _TITLES)})$")  # Dr. Smith, Sra. Pérez: one sentence
_TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def split_sentences(text: str) -> list[str]:
    """Split after . ! ? or … (and any closing quote) where the next sentence starts a capital
    (accented too, and after Spanish ¿ or ¡), but not after a title or abbreviation (Dr. Smith)."""
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if _AFTER_TITLE.search(text, start, match.start(1)):
            continue
        parts.append(text[start : match.start(1)])
        start = match.end(1)
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def problem(text: str, where: Location | None, *, template: bool = False) -> SessiongenError | None:
    """A word or a sentence longer than its limit, or None. With template=True the text is a
    template's source, and only its literal text is looked at (values are checked once rendered)."""
    if template:
        text = _TEMPLATE_CODE.sub(" ", text)
    longest = max(text.split(), key=len, default="")
    if len(longest) > MAX_WORD_CHARS:
        return SessiongenError(
            f"a word of {len(longest):,} characters ('{shorten(longest)}') is longer than the limit of "
            f"{MAX_WORD_CHARS} characters for a word: put spaces between the words",
            where,
        )
    if len(text) <= MAX_PHRASE_CHARS:
        return None
    for sentence in split_sentences(text):
        if len(sentence) > MAX_PHRASE_CHARS:
            return SessiongenError(
                f"a sentence of {len(sentence):,} characters ('{shorten(sentence)}') is longer than the limit of "
                f"{MAX_PHRASE_CHARS:,} characters for a sentence: end each sentence with . ! or ? and start the next with a capital",
                where,
            )
    return None
