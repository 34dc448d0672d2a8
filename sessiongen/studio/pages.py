"""What every route shares: the page shell, the CSRF check, the studio's config and jobs, and which
form field an error message is about."""

from __future__ import annotations

import re
import time

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from sessiongen.studio import security
from sessiongen.timefmt import clock

NAV = (("/", "Library"), ("/compose", "Compose"), ("/renders", "Renders"), ("/clients", "Clients"), ("/batch", "Batch"), ("/uploads", "Sounds and covers"))

# the start of an error message -> the form field it is about (the CLI's option names, the profile's fields)
_FIELD_WORDS = {
    "minutes": "minutes", "rate": "rate", "bls-rate": "bls_rate", "bls_rate": "bls_rate", "bls-depth": "bls_depth",
    "bls_depth": "bls_depth", "bls-tone": "bls_tone", "voice": "voice", "say": "pronunciations", "pronunciations": "pronunciations",
    "ambience": "ambience", "name": "name", "pronouns": "pronouns", "safe_place": "safe_place", "cue_word": "cue_word",
    "anchor": "anchor", "bls": "bls", "pause-scale": "pause_scale", "loudness": "loudness", "seed": "seed", "cover": "cover",
}


def config(request: Request):
    return request.app.state.config


def jobs(request: Request):
    return request.app.state.jobs


def page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    started = time.perf_counter()
    cfg = config(request)
    shared = {"request": request, "csrf": cfg.csrf, "nav": NAV, "path": request.url.path, "clock": clock}
    response = request.app.state.templates.TemplateResponse(request, template, {**shared, **context}, status_code=status)
    response.headers["server-timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


async def require_csrf(request: Request) -> None:
    """A POST carries the session's CSRF token, as a form field or the X-CSRF-Token header."""
    given = request.headers.get(security.CSRF_HEADER, "")
    if not given and "form" in request.headers.get("content-type", ""):
        given = str((await request.form()).get(security.CSRF_FIELD, ""))
    if not given or not security.same(given, config(request).csrf):
        raise HTTPException(403, "the form was out of date or came from elsewhere: reload the page and try again")


def field_of(message: str, default: str = "") -> str:
    """The form field an error is about: `--minutes ...`, `minutes: ...`, a length out of reach."""
    match = re.match(r"^(?:--|column: |[^:]*: )?([a-z_-]+)\b", message)
    if match and match.group(1) in _FIELD_WORDS:
        return _FIELD_WORDS[match.group(1)]
    lowered = message.lower()
    if "shortest" in lowered or "longest" in lowered or "minutes" in lowered:
        return "minutes"
    if "voice" in lowered:
        return "voice"
    if "variable" in lowered:
        return "personal"
    return default
