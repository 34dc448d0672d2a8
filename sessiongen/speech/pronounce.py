"""Pronunciations: how to say a name or an unusual word, applied to what the engine speaks only.

An entry maps a word (or a few words) to a respelling (`Siobhan: shi-vawn`) or to IPA phonemes
between slashes (`Nguyen: /ŋwiən/`), for engines that take phonemes. Transcripts, tags and the
review page keep the written word: only the text handed to the engine changes, and with it the
phrase's cache key.
"""

from __future__ import annotations

import re

from sessiongen.errors import SessiongenError

Entries = tuple[tuple[str, str], ...]

_LETTERS = r"[^\W\d_](?:[^\W\d_]|['’.-])*"
WORD_RE = re.compile(rf"{_LETTERS}(?: {_LETTERS}){{0,3}}")
RESPELLING_RE = re.compile(r"[^\W_][\w '’,.-]*")
FORBIDDEN_IN_PHONEMES = set("[]/{}<>\n\r\t")
MAX_ENTRIES = 200
MAX_LENGTH = 100


def parse(raw, where: str) -> Entries:
    """Entries from a mapping (YAML: front matter, a profile) or text ('Siobhan=shi-vawn; Nguyen=/ŋwiən/',
    a roster cell or a --say option). The first bad entry is an error naming it."""
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        pairs = [_split(item, where) for item in re.split(r"[;\n]", raw) if item.strip()]
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise SessiongenError(f"{_at(where)}pronunciations must be a mapping of word to respelling, e.g. Siobhan: shi-vawn")
    if len(pairs) > MAX_ENTRIES:
        raise SessiongenError(f"{_at(where)}more than {MAX_ENTRIES} pronunciations")
    return tuple(entry(word, say, where) for word, say in pairs)


def _split(item: str, where: str) -> tuple[str, str]:
    word, sep, say = item.partition("=")
    if not sep:
        raise SessiongenError(f"{_at(where)}pronunciation '{item.strip()}' must look like WORD=RESPELLING, e.g. Siobhan=shi-vawn")
    return word, say


def entry(word, say, where: str) -> tuple[str, str]:
    """One checked entry: a word of letters, and a respelling of words or /IPA phonemes/."""
    word = str(word if word is not None else "").strip()
    say = str(say if say is not None else "").strip()
    if not WORD_RE.fullmatch(word) or len(word) > MAX_LENGTH:
        raise SessiongenError(f"{_at(where)}pronunciation for '{word}': the word must be letters (up to four words), e.g. Siobhan")
    if is_phonemes(say):
        if len(say) < 3 or FORBIDDEN_IN_PHONEMES & set(say[1:-1]) or len(say) > MAX_LENGTH:
            raise SessiongenError(
                f"{_at(where)}pronunciation for '{word}': phonemes go between two slashes with no brackets inside, e.g. /ʃɪˈvɔːn/"
            )
    elif not RESPELLING_RE.fullmatch(say) or len(say) > MAX_LENGTH:
        raise SessiongenError(
            f"{_at(where)}pronunciation for '{word}': give a respelling in letters (e.g. shi-vawn) or phonemes between slashes (e.g. /ʃɪˈvɔːn/)"
        )
    return word, say


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def is_phonemes(say: str) -> bool:
    return say.startswith("/") and say.endswith("/")


def merged(*layers: Entries) -> Entries:
    """Later layers win, word by word (case does not matter)."""
    found: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for word, say in layer:
            found[word.lower()] = (word, say)
    return tuple(found.values())


def check_engine(entries: Entries, engine_name: str, phoneme_input: bool) -> None:
    if phoneme_input:
        return
    for word, say in entries:
        if is_phonemes(say):
            raise SessiongenError(
                f"the pronunciation of '{word}' is given as phonemes ({say}), which the {engine_name} engine cannot take: give a respelling, e.g. {word}=…"
            )


_MARKUP = re.compile(r"\[\[|\]\]")  # Piper's inline phonemes: only a pronunciation may write them


def apply(text: str, entries: Entries) -> str:
    """The text as the engine should speak it, in one pass (a respelling is never respelled
    again). Phonemes become Piper's inline [[ ... ]] form; text itself is never markup, so a value
    such as a client's name cannot inject phonemes (its brackets are said as nothing)."""
    text = _MARKUP.sub(" ", text)
    if not entries:
        return text
    spoken = {word.lower(): f"[[ {say[1:-1].strip()} ]]" if is_phonemes(say) else say for word, say in entries}
    words = "|".join(re.escape(word) for word in sorted(spoken, key=len, reverse=True))  # "Mary Ann" before "Mary"
    pattern = rf"(?<![\w'’])(?:{words})(?!\w)"  # Siobhan's too; Brien never inside O'Brien
    return re.sub(pattern, lambda m: spoken.get(m.group(0).lower(), m.group(0)), text, flags=re.IGNORECASE)
