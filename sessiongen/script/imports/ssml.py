"""SSML (Amazon Polly, Google, Azure, Alexa; W3C SSML 1.1) -> items of writing.py.

Parsed with defusedxml's SAX reader: a DTD, an entity declaration or an external reference is
refused (nothing is expanded or fetched), the input is bounded (MAX_SCRIPT_BYTES, read before
parsing) and so is the nesting (MAX_DEPTH). Vendor prefixes (`amazon:`, `mstts:`) need no
namespace declaration: names are read as written and matched on their local part.

What each element becomes (docs/import.md): `p` a paragraph; `s` a sentence; `break` a pause of
its `time`, or of its `strength` (STRENGTH_S); `sub` and `phoneme` a pronunciation in the front
matter (the written word stays in transcripts); `say-as` words the voice reads right (sayas.py);
`mark name="chapter: Title"` a chapter; `prosody rate` a `[pace N%]` passage (RATE_KEYWORDS, a
percentage, Azure's relative `+10%`/`-20%` or multiplier `0.8`; within PACE_RANGE_PCT; the innermost
rate holds, as SSML gives a percentage of the voice's default rate, not of the enclosing one);
`emphasis`, prosody's pitch and volume, `voice`, `lang` and the vendors' effects keep their words and
lose their effect; `audio` keeps its fallback text; `desc`,
`lexicon`, `meta`, `metadata` and `amazon:breath` are dropped. Every one is noted.
"""

from __future__ import annotations

import re
import xml.sax
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.sax import parseString

from sessiongen.errors import Location, SessiongenError
from sessiongen.script.directives import PACE_RANGE_PCT
from sessiongen.script.imports import sayas
from sessiongen.script.imports.writing import Converted, Heading, PaceChange, Paragraph, Pause, Text, end_sentence, pace_text
from sessiongen.speech import pronounce

MAX_DEPTH = 64
STRENGTH_S = {"none": 0.0, "x-weak": 0.25, "weak": 0.5, "medium": 0.75, "strong": 1.0, "x-strong": 1.5}
_TIME = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(ms|s)\s*", re.IGNORECASE)
# SSML leaves the keywords' rates to the voice. Polly's guide pairs rate="slow" with "85%" for
# slowing "slightly"; the others keep the steps even and inside our 50-150 % (Azure's own, 0.5 x to
# 2 x, would go past it).
RATE_KEYWORDS = {"x-slow": 0.70, "slow": 0.85, "medium": 1.0, "default": 1.0, "fast": 1.15, "x-fast": 1.30}
_RATE = re.compile(r"\s*([+-])?([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(%?)\s*")
_CHAPTER_MARK = re.compile(r"chapter\s*[:\-_ ]\s*(.+)", re.IGNORECASE)
SKIPPED = {"desc", "lexicon", "meta", "metadata", "breath", "auto-breaths-off"}  # their content is not spoken
EFFECTS = {
    "emphasis",
    "prosody",
    "voice",
    "lang",
    "effect",
    "domain",
    "express-as",
    "w",
    "token",
    "auto-breaths",
    "amazon-effect",
    "silence",
}


def detect(text: str, suffix: str) -> bool:
    head = text.lstrip("\ufeff \t\n")[:200].lower()
    return suffix in (".ssml", ".xml") or head.startswith("<speak") or (head.startswith("<?xml") and "<speak" in text[:2000].lower())


def convert(text: str, shown: str) -> Converted:
    handler = _Handler(shown, text.split("\n"))
    try:
        parseString(text.encode("utf-8"), handler, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except xml.sax.SAXParseException as exc:
        raise handler.error(f"not well-formed SSML: {exc.getMessage()}", exc.getLineNumber(), exc.getColumnNumber()) from None
    except DefusedXmlException:
        raise handler.error(
            "SSML with a DTD or an entity declaration is refused (nothing is expanded): remove the <!DOCTYPE> and <!ENTITY> lines"
        ) from None
    if not handler.seen_speak:
        raise SessiongenError("not SSML: the document's root element must be <speak>", Location(shown, 1, 1, text.split("\n")[0]))
    for name, (count, line) in handler.counted.items():
        what = {"p": "paragraphs (a blank line between them)", "s": "sentences"}[name]
        handler.out.note(line, f"<{name}> x{count} -> {what}")
    return handler.out


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def _tag(name: str, attrs) -> str:
    shown = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return f"<{name}{' ' + shown if shown else ''}>"


class _Handler(ContentHandler):
    def __init__(self, shown: str, lines: list[str]):
        super().__init__()
        self.shown, self.lines = shown, lines
        self.out = Converted()
        self.stack: list[tuple[str, int, dict]] = []  # (local name, line, attributes)
        self.skipping = 0  # inside an element whose content is dropped
        self.capture: list[list[str]] = []  # text of sub, phoneme, say-as, audio as it arrives
        self.seen_speak = False
        self.counted: dict[str, tuple[int, int]] = {}  # p and s: (how many, first line)
        self.rates: list[float | None] = []  # each open <prosody>'s rate (None: it gives none)
        self._locator = None

    def setDocumentLocator(self, locator) -> None:  # noqa: N802 - SAX's name
        self._locator = locator

    def where(self) -> tuple[int, int]:
        return (self._locator.getLineNumber(), self._locator.getColumnNumber()) if self._locator else (0, 0)

    def error(self, message: str, line: int | None = None, col: int | None = None) -> SessiongenError:
        here_line, here_col = self.where()
        line = here_line if line is None else line
        col = here_col if col is None else col
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return SessiongenError(message, Location(self.shown, line, col + 1, text))

    # -- elements ----------------------------------------------------------------------------------
    def startElement(self, name, attrs) -> None:  # noqa: N802 - SAX's name
        line, _ = self.where()
        local, attrs = _local(name), dict(attrs.items())
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(f"SSML nested more than the limit of {MAX_DEPTH} elements deep: flatten it")
        if not self.stack and local != "speak":
            raise self.error(f"not SSML: the document's root element must be <speak>, not <{name}>")
        self.stack.append((local, line, attrs))
        if self.skipping or local in SKIPPED:
            self.skipping += 1
            if self.skipping == 1:
                self.out.note(line, f"<{name}> -> dropped with its content (not spoken)")
            return
        getattr(self, f"_start_{local.replace('-', '_')}", self._start_other)(name, attrs, line)

    def endElement(self, name) -> None:  # noqa: N802 - SAX's name
        local, line, attrs = self.stack.pop()
        if self.skipping:
            self.skipping -= 1
            return
        ending = getattr(self, f"_end_{local.replace('-', '_')}", None)
        if ending is not None:
            ending(name, attrs, line)

    def characters(self, content) -> None:
        if self.skipping:
            return
        if self.capture:
            self.capture[-1].append(content)
        else:
            line, _ = self.where()
            self.out.items.append(Text(content, line))

    # -- what each element does --------------------------------------------------------------------
    def _start_speak(self, name, attrs, line) -> None:
        self.seen_speak = True
        language = attrs.get("xml:lang", "").strip()
        if language and len(self.stack) == 1:
            self.out.language = language
            self.out.note(line, f'<speak xml:lang="{language}"> -> language: {language}')

    def _count(self, name: str, line: int) -> None:
        count, first = self.counted.get(name, (0, line))
        self.counted[name] = (count + 1, first)

    def _start_p(self, name, attrs, line) -> None:
        self._count("p", line)
        self.out.items.append(Paragraph())

    def _end_p(self, name, attrs, line) -> None:
        end_sentence(self.out.items)
        self.out.items.append(Paragraph())

    def _start_s(self, name, attrs, line) -> None:
        self._count("s", line)
        end_sentence(self.out.items)
        self.out.items.append(Text(" ", line))

    def _end_s(self, name, attrs, line) -> None:
        end_sentence(self.out.items)
        self.out.items.append(Text(" ", line))

    def _start_break(self, name, attrs, line) -> None:
        source = _tag(name, attrs)[:-1] + "/>"
        if "time" in attrs:
            found = _TIME.fullmatch(attrs["time"])
            if not found:
                raise self.error(f'break time \'{attrs["time"]}\' is not a length: write e.g. time="3s" or time="500ms"')
            seconds = float(found.group(1)) / (1000.0 if found.group(2).lower() == "ms" else 1.0)
        else:
            strength = attrs.get("strength", "medium").strip().lower()
            if strength not in STRENGTH_S:
                raise self.error(f"break strength '{strength}' is not one of {', '.join(STRENGTH_S)}")
            seconds = STRENGTH_S[strength]
        if seconds <= 0:
            self.out.note(line, f"{source} -> no pause")
            return
        self.out.items.append(Pause(seconds, line, source))

    def _start_mark(self, name, attrs, line) -> None:
        found = _CHAPTER_MARK.fullmatch(attrs.get("name", "").strip())
        if found:
            self.out.items.append(Heading(" ".join(found.group(1).split()), line, _tag(name, attrs)))
        else:
            self.out.note(line, f"{_tag(name, attrs)} -> dropped (a mark named 'chapter: Title' starts a chapter)")

    def _start_audio(self, name, attrs, line) -> None:
        self.out.note(line, f"{_tag(name, attrs)} -> dropped (nothing is fetched); its fallback text, if any, is spoken")

    def _start_sub(self, name, attrs, line) -> None:
        self.capture.append([])

    def _end_sub(self, name, attrs, line) -> None:
        self._say_as_word(" ".join("".join(self.capture.pop()).split()), attrs.get("alias", ""), line, _tag(name, attrs))

    def _start_phoneme(self, name, attrs, line) -> None:
        self.capture.append([])

    def _end_phoneme(self, name, attrs, line) -> None:
        word = " ".join("".join(self.capture.pop()).split())
        alphabet, ph = attrs.get("alphabet", "ipa").strip().lower(), attrs.get("ph", "").strip()
        if alphabet != "ipa":
            self.out.note(line, f"{_tag(name, attrs)} -> the word '{word}' kept, its {alphabet} phonemes dropped (only IPA is taken)")
            self.out.items.append(Text(word, line))
            return
        self._say_as_word(word, f"/{ph}/", line, _tag(name, attrs))

    def _say_as_word(self, word: str, say: str, line: int, source: str) -> None:
        """A pronunciation for `word` when it is one our format takes, else the alias said inline."""
        try:
            entry = pronounce.entry(word, say, "")
        except SessiongenError:
            entry = None
        known = self.out.pronunciations.get(word)
        if entry is not None and known in (None, say):
            self.out.pronunciations[word] = say
            self.out.items.append(Text(word, line))
            self.out.note(line, f"{source} -> pronunciation '{word}: {say}' (transcripts keep '{word}')")
        elif say.startswith("/"):
            self.out.items.append(Text(word, line))
            self.out.note(
                line, f"{source} -> the word '{word}' kept, its phonemes dropped (not a word our pronunciations take, or said two ways)"
            )
        else:
            self.out.items.append(Text(say, line))
            self.out.note(line, f"{source} -> '{say}' said in place of '{word}'")

    def _start_say_as(self, name, attrs, line) -> None:
        self.capture.append([])

    def _end_say_as(self, name, attrs, line) -> None:
        written = " ".join("".join(self.capture.pop()).split())
        said, how = sayas.words(written, attrs.get("interpret-as", ""), attrs.get("format", ""))
        self.out.items.append(Text(said, line))
        self.out.note(line, f"{_tag(name, attrs)}{written}</say-as> -> {how}")

    def _pace_now(self) -> float:
        return next((share for share in reversed(self.rates) if share is not None), 1.0)

    def _start_prosody(self, name, attrs, line) -> None:
        before = self._pace_now()
        share, how = rate_share(attrs["rate"]) if "rate" in attrs else (None, "")
        self.rates.append(share)
        dropped = "; ".join(f"{k} dropped" for k in attrs if k != "rate" or share is None)
        if share is None:
            self.out.note(line, f"{_tag(name, attrs)} -> words kept, {dropped or 'its effect dropped'}")
            return
        if share != before:
            self.out.items.append(PaceChange(share))
        pace = pace_text(share) if share != 1.0 else "the session's own pace"
        how = "" if pace == f"[pace {how}]" else f" ({how})"
        self.out.note(line, f"{_tag(name, attrs)} -> {pace}{how}{', ' + dropped if dropped else ''}")

    def _end_prosody(self, name, attrs, line) -> None:
        before = self._pace_now()
        self.rates.pop()
        if self._pace_now() != before:
            self.out.items.append(PaceChange(self._pace_now()))

    def _start_other(self, name, attrs, line) -> None:
        local = _local(name)
        if local in EFFECTS or attrs:
            kept = "; ".join(f"{k} dropped" for k in attrs) or "its effect dropped"
            self.out.note(line, f"{_tag(name, attrs)} -> words kept, {kept}")
        else:
            self.out.note(line, f"<{name}> -> words kept (an element sessiongen does not know)")


def rate_share(value: str) -> tuple[float | None, str]:
    """A prosody rate as a share of the session's rate, and how it was read; (None, why) when it is
    not a rate. Kept within PACE_RANGE_PCT."""
    keyword = value.strip().lower()
    if keyword in RATE_KEYWORDS:
        return RATE_KEYWORDS[keyword], keyword
    found = _RATE.fullmatch(value)
    if not found:
        return None, ""
    sign, number, percent = found.groups()
    amount = float(number) / (100.0 if percent else 1.0)
    share = 1.0 + amount * (1 if sign == "+" else -1) if sign else amount
    lo, hi = (bound / 100.0 for bound in PACE_RANGE_PCT)
    kept = min(hi, max(lo, share))
    how = value.strip() if kept == share else f"{value.strip()}, kept within {PACE_RANGE_PCT[0]:g}-{PACE_RANGE_PCT[1]:g}%"
    return round(kept, 3), how
