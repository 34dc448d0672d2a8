"""Library: browse and search the techniques by category; each with its summary, length range,
cautions and the full text the client will hear."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from sessiongen.errors import SessiongenError
from sessiongen.script.library import technique_paths
from sessiongen.studio import previews
from sessiongen.studio.pages import config, page

router = APIRouter()
FAVICON = Path(__file__).parent / "static" / "favicon.svg"


@router.get("/favicon.ico", include_in_schema=False)
def favicon():
    """The studio's icon, for a browser that asks for it by its old name (the review pages do)."""
    return FileResponse(FAVICON, media_type="image/svg+xml")


def _matches(technique: dict, words: list[str], category: str) -> bool:
    if category and technique["category"] != category:
        return False
    text = " ".join([technique["id"], technique["title"], technique["summary"], technique["category"]]).lower()
    return all(word in text for word in words)


@router.get("/")
def library(request: Request, q: str = "", category: str = ""):
    words = q.lower().split()[:10]
    shown = [t for t in previews.techniques() if _matches(t, words, category)]
    return page(
        request,
        "library.html",
        {"title": "Library", "techniques": shown, "q": q[:100], "category": category, "categories": previews.categories()},
    )


@router.get("/techniques/{technique_id}")
async def technique(request: Request, technique_id: str):
    if technique_id not in technique_paths():
        raise HTTPException(404, "no such technique in the library")
    try:
        meta, lines = await run_in_threadpool(previews.words, technique_id)
    except SessiongenError as exc:
        return page(request, "message.html", {"title": "Cannot show this technique", "text": str(exc)}, 422)
    return page(request, "technique.html", {"title": meta["title"], "t": meta, "lines": lines})


@router.get("/techniques/{technique_id}/plan")
async def technique_plan(request: Request, technique_id: str):
    """Its length range and chapter times: speech is made (or found in the cache) and planned."""
    if technique_id not in technique_paths():
        raise HTTPException(404, "no such technique in the library")
    try:
        info = await run_in_threadpool(previews.details, technique_id, config(request).engine)
    except SessiongenError as exc:
        return JSONResponse({"ok": False, "error": str(exc)})
    return JSONResponse({"ok": True, "range_s": info["range_s"], "duration_s": info["duration_s"], "chapters": info["chapters"]})
