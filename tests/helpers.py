"""Shared test helpers: build scripts and run the pipeline with the fake engine."""

from __future__ import annotations

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
