"""The duration syntax: 500ms, 5s, 1.5s, 2m, 1m30s, or a plain number of seconds."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")  # ASCII digits only: int() and float() refuse others
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")  # a count written in a script, a roster or a profile
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_ORDER = ["h", "m", "s", "ms"]


class DurationError(ValueError):
    pass


def parse_duration_s(text: str, *, bare_number_ok: bool = True) -> float:
    """Seconds for a duration such as '1m30s'. Units must run from large to small, each once."""
    text = text.strip()
    if bare_number_ok and re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return _positive(float(text), text)
    pos, total_s, last_rank = 0, 0.0, -1
    for match in _PART.finditer(text):
        rank = _ORDER.index(match.group(2))
        if match.start() != pos or rank <= last_rank:
            break
        total_s += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos, last_rank = match.end(), rank
    if pos == 0 or pos != len(text):
        raise DurationError(f"bad duration '{text}': use e.g. 500ms, 5s, 1.5s, 2m or 1m30s")
    return _positive(total_s, text)


def _positive(value_s: float, text: str) -> float:
    if not math.isfinite(value_s):
        raise DurationError(f"duration '{text[:40]}{'…' * (len(text) > 40)}' is too long")
    if value_s <= 0:
        raise DurationError(f"duration '{text}' must be more than zero")
    return value_s
