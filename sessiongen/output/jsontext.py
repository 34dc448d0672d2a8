"""JSON as sessiongen writes it, everywhere: never a NaN or an infinity.

`json.dumps` writes float('nan') and float('inf') as NaN and Infinity, which are not JSON: a
reader rejects the file, or worse, takes it. Every JSON sessiongen writes or prints (manifests,
chapters, `--json` output, batch reports, tags, the phrase cache's memos, the review page) goes
through `json_text`, which refuses them: a number that is not finite is a bug upstream, and it is
reported as one line naming where it sits, with nothing written.
"""

from __future__ import annotations

import json
import math

from sessiongen.errors import SessiongenError


def json_text(data, what: str, **options) -> str:
    """json.dumps(data, **options) with allow_nan=False; `what` names the document in the error."""
    try:
        return json.dumps(data, allow_nan=False, **options)
    except ValueError:
        where = non_finite_at(data)
        if where is None:
            raise
        path, value = where
        raise SessiongenError(
            f"{what}: {path or 'the value'} is {value}, not a finite number: nothing was written (a bug in sessiongen: please report it)"
        ) from None


def non_finite_at(data, path: str = "") -> tuple[str, float] | None:
    """(where, value) of the first float in `data` that is NaN or infinite, e.g. ('loudness.integrated_lufs', -inf)."""
    if isinstance(data, float):
        return None if math.isfinite(data) else (path, data)
    if isinstance(data, dict):
        items = ((f"{path}.{key}" if path else str(key), value) for key, value in data.items())
    elif isinstance(data, (list, tuple)):
        items = ((f"{path}[{index}]", value) for index, value in enumerate(data))
    else:
        return None
    return next((found for key, value in items if (found := non_finite_at(value, key)) is not None), None)
