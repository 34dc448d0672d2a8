"""Batch: upload a roster (CSV or YAML), see each row's validation, run with per-row progress,
resume after the browser or the studio was closed, download everything as a zip."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from sessiongen.batch.produce import RunOptions
from sessiongen.errors import SessiongenError
from sessiongen.studio import batches
from sessiongen.studio.jobs import FINAL, new_id
from sessiongen.studio.pages import config, jobs, page, require_csrf
from sessiongen.studio.security import ROSTER_BYTES
from sessiongen.studio.work import BatchWork

router = APIRouter()


@router.get("/batch")
def batch_list(request: Request):
    return page(request, "batches.html", {"title": "Batch", "batches": batches.all_batches(config(request).data_dir), "error": ""})


@router.post("/batch/new", dependencies=[Depends(require_csrf)])
async def upload(request: Request):
    cfg = config(request)
    form = await request.form(max_part_size=ROSTER_BYTES)
    roster = form.get("roster")
    if roster is None or not hasattr(roster, "read"):
        return _list_error(request, "choose a roster file (.csv or .yaml)")
    content = await roster.read(ROSTER_BYTES + 1)
    if len(content) > ROSTER_BYTES:
        return _list_error(request, "the roster is larger than the limit of 1 MB: split it", 413)
    try:
        batch_id = new_id()
        await run_in_threadpool(batches.create, cfg.data_dir, batch_id, roster.filename or "roster.csv", content)
    except SessiongenError as exc:
        return _list_error(request, str(exc).replace(str(cfg.data_dir), "the data folder"))
    return RedirectResponse(f"/batch/{batch_id}", status_code=303)


def _list_error(request: Request, message: str, status: int = 422):
    return page(
        request, "batches.html", {"title": "Batch", "batches": batches.all_batches(config(request).data_dir), "error": message}, status
    )


def _where(request: Request, batch_id: str) -> Path:
    where = batches.folder(config(request).data_dir, batch_id)
    if where is None:
        raise HTTPException(404, "no such batch")
    return where


@router.get("/batch/{batch_id}")
async def batch_page(request: Request, batch_id: str):
    cfg = config(request)
    where = _where(request, batch_id)
    try:
        rows = await run_in_threadpool(batches.rows, where, cfg.data_dir, cfg.engine)
        error = ""
    except SessiongenError as exc:
        rows, error = [], str(exc).replace(str(cfg.data_dir), "the data folder")
    job = jobs(request).get(batch_id)
    has_output = any((where / "out").glob("*.*")) if (where / "out").is_dir() else False
    context = {
        "title": "Batch",
        "b": batches.info(where),
        "rows": rows,
        "error": error,
        "has_output": has_output,
        "job": job.snapshot() if job else None,
        "running": bool(job and job.status not in FINAL),
        "valid": sum(r["valid"] for r in rows),
        "counts": batches.counts(rows),
        "finished": batches.FINISHED,
    }
    return page(request, "batch.html", context)


@router.post("/batch/{batch_id}/run", dependencies=[Depends(require_csrf)])
def run_batch(request: Request, batch_id: str):
    cfg = config(request)
    where = _where(request, batch_id)
    job = jobs(request).get(batch_id)
    if job is None or job.status in FINAL:
        how = RunOptions(workers=cfg.workers, index=True)
        jobs(request).submit(
            "batch", BatchWork(where / "roster.yaml", batches.options(where, cfg.data_dir, cfg.engine), how), job_id=batch_id
        )
    return RedirectResponse(f"/batch/{batch_id}", status_code=303)


@router.get("/batch/{batch_id}/download")
def download(request: Request, batch_id: str):
    where = _where(request, batch_id)
    if not (where / "out").is_dir():
        raise HTTPException(404, "nothing rendered yet")
    folder = tempfile.mkdtemp(prefix="sessiongen-studio-zip-")
    target = batches.zip_of(where, Path(folder) / f"batch-{batch_id}.zip")
    return FileResponse(target, filename=target.name, background=BackgroundTask(_remove, target))


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()
