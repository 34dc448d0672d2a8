"""A render's progress (server-sent events, cancellable) and its result: the review page with a
download button; and the files in the data folder, served only from inside it."""

from __future__ import annotations

import asyncio
import json
import mimetypes

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse

from sessiongen.output.formats import FORMATS
from sessiongen.output.jsontext import json_text
from sessiongen.output.markup import CSP as REVIEW_CSP
from sessiongen.studio import clients
from sessiongen.studio.jobs import FINAL
from sessiongen.studio.pages import config, jobs, page, require_csrf
from sessiongen.studio.security import inside, safe_id

router = APIRouter()
EVENT_EVERY_S = 0.25
for _name, _format in FORMATS.items():  # the audio files the studio serves, as the format registry names them
    mimetypes.add_type(_format.mime.split(";")[0], f".{_name}")
mimetypes.add_type("text/vtt", ".vtt")


def _record(request: Request, render_id: str) -> dict | None:
    path = inside(config(request).data_dir / "renders", f"{render_id}/render.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@router.get("/renders")
def renders(request: Request):
    return page(
        request,
        "renders.html",
        {"title": "Renders", "renders": clients.renders_of(config(request).data_dir), "running": jobs(request).running("render")},
    )


@router.get("/renders/{render_id}")
def render_page(request: Request, render_id: str):
    if not safe_id(render_id):
        raise HTTPException(404, "no such render")
    job = jobs(request).get(render_id)
    record = _record(request, render_id)
    if record is None and job is None:
        raise HTTPException(404, "no such render")
    if record is not None and (job is None or job.status == "done"):
        review = next((f for f in record["files"] if f.endswith(".html")), "")
        return page(request, "result.html", {"title": "Your session is ready", "r": record, "review": review})
    return page(request, "progress.html", {"title": "Rendering", "job": job.snapshot()})


@router.get("/jobs/{job_id}/events")
async def events(request: Request, job_id: str):
    """The job's state as server-sent events, one each time it changes, until it ends."""
    job = jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, "no such job")

    async def stream():
        sent = -1
        while not await request.is_disconnected():
            if job.version != sent:
                sent = job.version
                yield f"data: {json_text(job.snapshot(), 'the progress of a job', ensure_ascii=False)}\n\n"
                if job.status in FINAL:
                    return
            await asyncio.sleep(EVENT_EVERY_S)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"cache-control": "no-store"})


@router.get("/jobs/{job_id}")
def job_state(request: Request, job_id: str):
    job = jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return JSONResponse(job.snapshot())


@router.post("/jobs/{job_id}/cancel", dependencies=[Depends(require_csrf)])
def cancel(request: Request, job_id: str):
    job = jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    jobs(request).cancel(job_id)
    if "json" in request.headers.get("accept", ""):
        return JSONResponse({"ok": True})
    return RedirectResponse("/batch/" + job_id if job.kind == "batch" else "/renders", status_code=303)


@router.get("/files/{kind}/{rest:path}")
def data_file(request: Request, kind: str, rest: str, download: int = 0):
    """A file of a render or a batch, by its name inside the data folder; never one outside it."""
    if kind not in ("renders", "batches"):
        raise HTTPException(404, "not found")
    path = inside(config(request).data_dir / kind, rest)
    if not path.is_file() or path.name.endswith(".part"):
        raise HTTPException(404, "not found")
    headers = {"content-security-policy": REVIEW_CSP} if path.suffix == ".html" else {}  # a review page keeps its own policy
    return FileResponse(
        path, filename=path.name if download else None, content_disposition_type="attachment" if download else "inline", headers=headers
    )
