"""Shared test helpers: build scripts and run the pipeline with the fake engine."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sessiongen import pipeline
from sessiongen.script import parser
from sessiongen.settings import Settings

HEAD = "---\nid: {id}\ntitle: Test Session\ncategory: grounding\nsummary: s\nduration: {duration}\n{extra}---\n"


def script_text(body: str, *, duration: str = "1m", id: str = "test-session", extra: str = "") -> str:
    return HEAD.format(id=id, duration=duration, extra=extra) + body


def prepared(body: str, settings: Settings | None = None, values=None, tmp: Path | None = None, **head):
    script = parser.parse_text(script_text(body, **head))
    settings = settings or Settings(engine="fake")
    root = pipeline.cache_root(True)
    with root as cache:
        return pipeline.prepare(script, values or {}, settings, cache)


STUDIO_ADDRESS = "127.0.0.1:8000"  # StudioConfig's default address: the TestClient's base_url


@contextlib.contextmanager
def studio_client(data_dir: Path, token: str, signed_in: bool = True, **config):
    """A studio in this process behind Starlette's TestClient, with the login cookie a browser
    holds once it opened the login file (unless `signed_in` is False); `client.app` is the app."""
    from fastapi.testclient import TestClient

    from sessiongen.studio import security
    from sessiongen.studio.app import StudioConfig, create_app

    app = create_app(StudioConfig(data_dir, token=token, **config))
    with TestClient(app, base_url=f"http://{STUDIO_ADDRESS}", follow_redirects=False) as client:
        if signed_in:
            client.cookies.set(security.cookie_name(STUDIO_ADDRESS), security.cookie_value(token, STUDIO_ADDRESS))
        yield client
