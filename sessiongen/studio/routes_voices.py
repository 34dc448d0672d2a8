"""The voice picker's samples: the same calm sentence in each voice, synthesised once per voice in a
worker process (the studio's jobs) and kept in the data folder's `samples/`, then served from there.

POST /voices/sample (voice=NAME): {"status": "ready", "url": ...} once the sample is kept,
"preparing" (202) while a worker makes it, "failed" with one line otherwise (400 for a name that
is no voice's, 404 for a voice not installed here, 422 when making it failed).
GET /voices/samples/HASH.mp3: a kept sample.
"""

from __future__ import annotations

import re
import threading

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from sessiongen import preview
from sessiongen.errors import SessiongenError
from sessiongen.settings import DEFAULTS
from sessiongen.studio import voicepicker
from sessiongen.studio.pages import config, jobs, require_csrf
from sessiongen.studio.work import SampleWork

router = APIRouter()
SAMPLES = "samples"
SAMPLE_FILE = re.compile(rf"[0-9a-f]{{32}}\.{preview.SAMPLE_FORMAT}")
_STARTING = threading.Lock()  # one job per sample, however many clicks


def _failed(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "failed", "error": message}, status_code=status)


@router.post("/voices/sample", dependencies=[Depends(require_csrf)])
async def sample(request: Request):
    cfg = config(request)
    try:
        voice = voicepicker.checked_name((await request.form()).get("voice", ""))
    except SessiongenError as exc:
        return _failed(400, str(exc))
    settings = DEFAULTS.but(engine=voicepicker.engine_for(voice, cfg.engine))
    folder = cfg.data_dir / SAMPLES
    try:
        path = await run_in_threadpool(preview.sample_path, voice, folder, settings)
    except SessiongenError as exc:
        return _failed(404, str(exc))
    if path.is_file():
        return JSONResponse({"status": "ready", "url": f"/voices/samples/{path.name}"})
    return _start(jobs(request), f"sample-{path.stem}", SampleWork(voice, folder, settings), path)


def _start(work_jobs, job_id: str, work: SampleWork, path) -> JSONResponse:
    """The sample's job: started unless one is on its way; a failed one is told once, then may start again."""
    with _STARTING:
        job = work_jobs.get(job_id)
        if job is not None and job.status in ("failed", "cancelled") and not path.is_file():
            with work_jobs.lock:
                work_jobs.jobs.pop(job_id, None)
            return _failed(422, job.error or "the sample was stopped: try again")
        if path.is_file():
            return JSONResponse({"status": "ready", "url": f"/voices/samples/{path.name}"})
        if job is None or job.status == "done":
            work_jobs.submit("sample", work, [path], job_id=job_id)
    return JSONResponse({"status": "preparing"}, status_code=202)


@router.get("/voices/samples/{name}")
def sample_file(request: Request, name: str):
    path = config(request).data_dir / SAMPLES / name
    if not SAMPLE_FILE.fullmatch(name) or not path.is_file() or path.is_symlink():
        raise HTTPException(404, "no such sample")
    return FileResponse(path, media_type=f"audio/{'mpeg' if preview.SAMPLE_FORMAT == 'mp3' else preview.SAMPLE_FORMAT}")
