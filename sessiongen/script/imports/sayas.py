"""SSML `say-as`: the words a voice reads right, where our voices would not by themselves.

Numbers (cardinal, number) are left as written (every engine reads digits); ordinals get their
suffix (3 -> 3rd, read 'third'); digits, characters, spell-out and telephone are spaced so each is
read on its own; dates in a `format` (mdy, dmy, ymd, md, dm, ym, my, y) become 'December 7, 2026'.
Anything else keeps its words as written.
"""

from __future__ import annotations

import re

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_PARTS = re.compile(r"[0-9]+")


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _date(text: str, fmt: str) -> str | None:
    parts = [int(p) for p in _PARTS.findall(text)]
    fmt = (fmt or "ymd" if len(parts) == 3 else fmt).lower()
    if not fmt or len(parts) != len(fmt) or not set(fmt) <= set("ymd"):
        return None
    value = dict(zip(fmt, parts))
    month = value.get("m")
    if month is not None and not 1 <= month <= 12 or not 1 <= value.get("d", 1) <= 31:
        return None
    name = MONTHS[month - 1] if month else ""
    if "d" in value:
        said = f"{name} {ordinal(value['d'])}".strip() if name else f"the {ordinal(value['d'])}"
        return f"{said}, {value['y']}" if "y" in value else said
    return " ".join(str(x) for x in (name, value.get("y", "")) if x)


def words(text: str, interpret_as: str, fmt: str) -> tuple[str, str]:
    """(what the voice is given, what was done) for the text of one say-as."""
    kind = interpret_as.strip().lower()
    if kind in ("cardinal", "number", "") or not text:
        return text, f"'{text}' as written"
    if kind == "ordinal" and text.isdigit():
        said = ordinal(int(text))
        return said, f"'{said}'"
    if kind in ("digits", "characters", "spell-out", "telephone", "verbatim"):
        said = " ".join(c for c in text if not c.isspace() and c not in "-()+.")
        return said, f"'{said}', one by one"
    if kind == "date":
        said = _date(text, fmt)
        if said is not None:
            return said, f"'{said}'"
        return text, f"'{text}' as written (not a date in the format '{fmt or 'ymd'}')"
    return text, f"'{text}' as written (say-as {kind} has no effect here)"
