"""What every route shares: the page shell, the CSRF check, the studio's config and jobs."""

from __future__ import annotations

import time

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from sessiongen.studio import security
from sessiongen.studio.jobs import started as started_at
from sessiongen.timefmt import clock

NAV = (
    ("/", "Library"),
    ("/compose", "Compose"),
    ("/renders", "Renders"),
    ("/clients", "Clients"),
    ("/batch", "Batch"),
    ("/uploads", "Sounds and covers"),
)


def config(request: Request):
    return request.app.state.config


def jobs(request: Request):
    return request.app.state.jobs


def page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    started = time.perf_counter()
    cfg = config(request)
    shared = {"request": request, "csrf": cfg.csrf, "nav": NAV, "path": request.url.path, "clock": clock, "started": started_at}
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
