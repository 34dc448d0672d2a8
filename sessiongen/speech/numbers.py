"""Numbers, times, dates, ranges, ordinals, titles and web addresses as the voice should say them.

One pass over a piece of text (never over a pronunciation's phonemes: speech/saying.py cuts those
out first), in the session's language, with num2words for the numbers and words.py (`Saying`) for
the rest: `4-7-8` is "four seven eight", `10-15 minutes` "ten to fifteen minutes", `7:30` "seven
thirty", `21st` "twenty-first", `Dr.` "Doctor", `12/05/2024` "the twelfth of May, twenty
twenty-four" (month first in en-US), `example.org/help` "example dot org slash help", `and/or`
"and or", and a number after `call` or `contact`, or one that starts with 0, digit by digit
(`call 988` is "call nine eight eight"). Spanish reads them in Spanish (`1 hora` is "una hora").
A language without `Saying` in words.py gets only its numbers, where num2words knows it.
"""

from __future__ import annotations

import re
from functools import cache

from num2words import CONVERTER_CLASSES, num2words

from sessiongen.words import WORDS, Saying, primary

_NUMBER = r"\d+(?:[.,]\d+)*"
_CHAIN = re.compile(r"(?<![\w.,:/-])(\d+(?:\s?[-–—]\s?\d+)+)(?![\w/]|[.,:]\d)")
_TIME = re.compile(r"(?<![\w.:])([01]?\d|2[0-3]):([0-5]\d)(?![\w:]|[.,]\d)(?:\s?([AaPp])\.?\s?[Mm]\b)?")
_RATIO = re.compile(r"(?<![\w.:])(\d+)((?::\d+)+)(?![\w:])")
_ISO_DATE = re.compile(r"(?<![\w/-])(\d{4})-(\d{2})-(\d{2})(?![\w/-])")
_DATE = re.compile(r"(?<![\w/.])(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|\.\d)")
_EMAIL = re.compile(r"(?<![\w.@])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)(?!\w)")
_URL = re.compile(
    r"(?<![\w@/])(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|info|io|uk|us|es|mx|ar|co|au|ca|ie|nz|eu|de|fr|nhs|health)"
    r"(?:\.[a-z]{2})?)((?:/[\w~%=&?-]+(?:\.[\w~%=&?-]+)*)*/?)(?![\w@])",
    re.IGNORECASE,
)
_ORDINAL_EN = re.compile(r"(?<![\w.,])(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_ORDINAL_ES = re.compile(r"(?<![\w.,])(\d+)\.?([ºª°])")
_PERCENT = re.compile(rf"(?<![\w.,])({_NUMBER})\s?%")
_PLAIN = re.compile(rf"(?<![\w.,])({_NUMBER})(?![\w])")
_WORD_SLASH = re.compile(r"(?<=[^\W\d_])/(?=[^\W\d_])")


@cache
def _speaks(language: str) -> str | None:
    """num2words' name for a language (es, en, ...), or None where it has none."""
    tag = primary(language)
    return tag if tag in CONVERTER_CLASSES else None


def cardinal(n: int, language: str) -> str:
    lang = _speaks(language)
    return num2words(n, lang=lang) if lang else str(n)


def say_numbers(text: str, language: str | None) -> str:
    """`text` with its numbers, times, dates, ranges, titles and addresses as the voice should say them."""
    tag = (language or "en").strip().replace("_", "-").lower()
    words = WORDS.get(primary(tag))
    if words is None or words.saying is None:
        return _PLAIN.sub(lambda m: _number(m.group(1), tag, None), text) if _speaks(tag) else text
    say = words.saying
    text = _abbreviations(text, say)
    text = _EMAIL.sub(lambda m: f"{_address(m.group(1), say)} {say.joins['at']} {_address(m.group(2), say)}", text)
    text = _URL.sub(lambda m: _url(m, say), text)
    text = _ISO_DATE.sub(lambda m: _date(int(m.group(3)), int(m.group(2)), m.group(1), tag, say) or m.group(0), text)
    text = _DATE.sub(lambda m: _slashed_date(m, tag, say), text)
    text = _TIME.sub(lambda m: _time(int(m.group(1)), int(m.group(2)), m.group(3), tag, say), text)
    text = _phone_runs(text, tag, say)
    text = _CHAIN.sub(lambda m: _chain(re.split(r"\s?[-–—]\s?", m.group(1)), tag, say), text)
    text = _RATIO.sub(lambda m: _chain([m.group(1), *m.group(2)[1:].split(":")], tag, say), text)
    text = _ordinals(text, tag)
    text = _PERCENT.sub(lambda m: f"{_number(m.group(1), tag, say)} {say.joins['percent']}", text)
    text = _PLAIN.sub(lambda m: _agreeing(_number(m.group(1), tag, say), text, m.end(), say), text)
    text = text.replace("and/or", f"{say.joins['and']} {say.joins['or']}").replace("y/o", "y o")
    text = _WORD_SLASH.sub(f" {say.joins['or']} ", text)
    return re.sub(r"\s*&\s*", f" {say.joins['and']} ", text)


def _abbreviations(text: str, say: Saying) -> str:
    if not say.abbreviations:
        return text
    keys = sorted(say.abbreviations, key=len, reverse=True)
    pattern = "|".join(re.escape(key) for key in keys)

    def spoken(m: re.Match) -> str:
        word = say.abbreviations[m.group(0)]
        final = m.group(0).endswith(".") and not text[m.end() :].strip(" \"'”’»)")
        return word + ("." if final else "")

    return re.sub(rf"(?<![\w.])(?:{pattern})(?![\w])(?!\.\w)", spoken, text)


def _address(part: str, say: Saying) -> str:
    return f" {say.joins['dot']} ".join(p for p in part.split(".") if p)


def _url(m: re.Match, say: Saying) -> str:
    path = [p for p in m.group(2).split("/") if p]
    return " ".join([_address(m.group(1), say), *(f"{say.joins['slash']} {_address(p, say)}" for p in path)])


def _digits(run: str, language: str) -> str:
    """'0800 123' -> 'zero eight zero zero, one two three'."""
    groups = [g for g in re.split(r"[\s.-]+", run) if g]
    return ", ".join(" ".join(cardinal(int(d), language) for d in group) for group in groups)


def _phone_runs(text: str, language: str, say: Saying) -> str:
    """After a phone word (call, contact, teléfono), and for a number starting with 0: digit by digit."""
    words = "|".join(re.escape(w) for w in say.phone_words)
    if words:
        text = re.sub(
            rf"(?<!\w)((?:{words})\s+(?:[^\W\d_]+\s+)?)(\+?\d+(?:[\s.-]\d+)*)(?![\w:])",
            lambda m: m.group(1) + _digits(m.group(2).lstrip("+"), language),
            text,
            flags=re.IGNORECASE,
        )
    text = re.sub(r"(?<![\w.,:])(0\d+(?:[\s-]\d{2,})*)(?![\w:]|[.,]\d)", lambda m: _digits(m.group(1), language), text)
    return re.sub(r"(?<![\w.,])(\d{7,})(?![\w.,])", lambda m: _digits(m.group(1), language), text)


def _chain(parts: list[str], language: str, say: Saying) -> str:
    """Two numbers are a range (10-15: ten to fifteen); more are said one after another (4-7-8)."""
    said = [cardinal(int(p), language) for p in parts]
    if len(said) == 2:
        return f"{said[0]} {say.joins['range']} {said[1]}"
    return " ".join(said)


def _time(hour: int, minute: int, half: str | None, language: str, say: Saying) -> str:
    if primary(language) == "es":
        hours = _feminine(cardinal(hour, language))
        said = f"{hours} {say.joins['oclock']}" if minute == 0 else f"{hours} y {cardinal(minute, language)}"
    elif minute == 0:
        said = f"{cardinal(hour, language)} {say.joins['oclock'] if hour <= 12 else 'hundred'}"
    elif minute < 10:
        said = f"{cardinal(hour, language)} {say.joins['oh']} {cardinal(minute, language)}"
    else:
        said = f"{cardinal(hour, language)} {cardinal(minute, language)}"
    return f"{said} {half.upper()} M" if half else said


def _year(year: str, language: str) -> str:
    lang = _speaks(language)
    if len(year) == 2:
        year = f"20{year}"
    return num2words(int(year), lang=lang, to="year") if lang == "en" else cardinal(int(year), language)


def _date(day: int, month: int, year: str, language: str, say: Saying) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    name = say.months[month - 1]
    if primary(language) == "es":
        return f"{cardinal(day, language)} de {name} de {_year(year, language)}"
    nth = num2words(day, lang="en", to="ordinal")
    if language.split("-")[-1] in say.month_first:
        return f"{name} {nth}, {_year(year, language)}"
    return f"the {nth} of {name}, {_year(year, language)}"


def _slashed_date(m: re.Match, language: str, say: Saying) -> str:
    first, second = int(m.group(1)), int(m.group(3))
    month_first = language.split("-")[-1] in say.month_first
    if (month_first and first > 12) or (not month_first and second > 12):  # only the other way round makes a date
        month_first = not month_first
    day, month = (second, first) if month_first else (first, second)
    return _date(day, month, m.group(4), language, say) or m.group(0)


def _ordinals(text: str, language: str) -> str:
    if primary(language) == "es":
        return _ORDINAL_ES.sub(
            lambda m: (lambda said: _feminine(said, every=True) if m.group(2) == "ª" else said)(
                num2words(int(m.group(1)), lang="es", to="ordinal")
            ),
            text,
        )
    return _ORDINAL_EN.sub(lambda m: num2words(int(m.group(1)), lang="en", to="ordinal"), text)


def _feminine(said: str, every: bool = False) -> str:
    """'uno' -> 'una' (la una, veintiuna); every=True: each word's final o (primera, vigésima)."""
    if every:
        return re.sub(r"o\b", "a", said)
    return re.sub(r"uno$", "una", said)


def _number(written: str, language: str, say: Saying | None) -> str:
    """A written number as words: thousands separators and a decimal part as the language writes them."""
    thousands, decimal = (".", ",") if primary(language) == "es" else (",", ".")
    if re.fullmatch(rf"\d{{1,3}}(?:\{thousands}\d{{3}})+", written):
        return cardinal(int(written.replace(thousands, "")), language)
    whole, sep, fraction = written.partition(decimal)
    if sep and whole.isdigit() and fraction.isdigit() and say is not None:
        digits = " ".join(cardinal(int(d), language) for d in fraction)
        return f"{cardinal(int(whole), language)} {say.joins['point']} {digits}"
    if written.isdigit():
        return cardinal(int(written), language)
    return " ".join(cardinal(int(p), language) for p in re.split(r"[.,]", written) if p)


def _agreeing(said: str, text: str, end: int, say: Saying | None) -> str:
    """Spanish 'uno' before a noun: 'un minuto', 'una hora', 'veintiún días'."""
    if say is None or not say.feminine_ends or not said.endswith("uno"):
        return said
    following = re.match(r"\s+([^\W\d_]+)", text[end:])
    if not following:
        return said
    noun = following.group(1).lower()
    feminine = noun.endswith(say.feminine_ends) and noun not in say.masculine_words
    if feminine:
        return said[:-1] + "a"
    return said[:-3] + ("ún" if said.endswith("iuno") else "un")
