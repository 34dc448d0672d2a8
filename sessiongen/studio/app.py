"""The studio's web application: `create_app(config)` builds it (FastAPI on Starlette).

The web layer validates, calls the library (the same functions as the command line) and shows
what happened; renders and batches run in worker processes (jobs.py). One module of routes per
flow: library, compose (with previews and renders), clients, batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from sessiongen.studio import fields, security
from sessiongen.studio.jobs import Jobs

HERE = Path(__file__).resolve().parent
FOLDERS = ("clients", "renders", "batches", "beds", "covers")


@dataclass(frozen=True)
class StudioConfig:
    data_dir: Path
    token: str = field(default_factory=security.new_token)
    engine: str | None = None  # the speech engine (None: the neural voice, or pyttsx3 where it cannot load)
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    address: str = "127.0.0.1:8000"  # host:port the studio answers at (server.py sets the one it bound; the Host must be exactly this)

    @property
    def csrf(self) -> str:
        return security.csrf_for(self.token)

    def folder(self, name: str) -> Path:
        return self.data_dir / name


def prepare_data_dir(data_dir: Path) -> Path:
    """The data folder and its subfolders, made if missing; returned resolved."""
    data_dir = Path(data_dir).expanduser().resolve()
    for name in FOLDERS:
        (data_dir / name).mkdir(parents=True, exist_ok=True)
    return data_dir


def create_app(config: StudioConfig) -> FastAPI:
    """The studio for one data folder and one token."""
    from sessiongen.studio import routes_batch, routes_clients, routes_compose, routes_library, routes_renders, routes_uploads
    from sessiongen.studio.routes_voices import router as voice_samples

    config = dataclasses.replace(config, data_dir=prepare_data_dir(config.data_dir))
    jobs = Jobs(config.workers)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        threading.Thread(target=_warm_up, name="studio-warm-up", daemon=True).start()
        yield
        jobs.close()

    app = FastAPI(title="sessiongen studio", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.config, app.state.jobs = config, jobs
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates.env.globals.update(fields.template_globals())
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (routes_library, routes_compose, routes_renders, routes_clients, routes_batch, routes_uploads):
        app.include_router(module.router)
    app.include_router(voice_samples)  # the voice picker's samples
    app.add_exception_handler(security.TooLarge, _too_large)
    app.add_exception_handler(security.OutsideDataFolder, _not_found)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(security.Guard, token=config.token, address=config.address, trace_file=config.data_dir / "errors.log")
    return app


def _warm_up() -> None:
    """Load the pipeline and read the library once, in the background, so the first pages are quick."""
    from sessiongen import pipeline  # noqa: F401
    from sessiongen.studio import previews

    previews.techniques()


async def _too_large(request: Request, exc: Exception):
    return PlainTextResponse(f"too large: the limit here is {security.body_limit(request.url.path) // 1_000_000} MB", status_code=413)


async def _not_found(request: Request, exc: Exception):
    return PlainTextResponse("not found", status_code=404)


async def _http_error(request: Request, exc: HTTPException):
    from sessiongen.studio.pages import page

    if exc.status_code in (404, 405, 403, 400):
        return page(
            request,
            "message.html",
            {"title": "Not found" if exc.status_code == 404 else "Not allowed", "text": exc.detail},
            exc.status_code,
        )
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code)
