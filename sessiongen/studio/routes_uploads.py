"""Your own sounds and cover art: uploaded into the data folder (beds/, covers/), bounded before
they are read (audio 200 MB, cover 10 MB), and checked by the library as the command line checks
`--ambience FILE` and `--cover FILE`."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from sessiongen.errors import SessiongenError
from sessiongen.output.cover import read_cover
from sessiongen.output.files import safe_file_name
from sessiongen.sound.useraudio import stream_audio
from sessiongen.studio.pages import config, page, require_csrf

router = APIRouter()
KINDS = {"bed": ("beds", (".wav", ".flac", ".ogg", ".mp3")), "cover": ("covers", (".jpg", ".jpeg", ".png"))}
CHECK_S = 30.0  # of a recording, decoded to check it


def _listing(data_dir: Path, folder: str) -> list[str]:
    return sorted(p.name for p in (data_dir / folder).iterdir() if p.is_file() and not p.is_symlink() and not p.name.endswith(".part"))


def _page(request: Request, errors: dict, status: int = 200, done: str = ""):
    data_dir = config(request).data_dir
    return page(
        request,
        "uploads.html",
        {
            "title": "Your sounds and covers",
            "errors": errors,
            "done": done,
            "beds": _listing(data_dir, "beds"),
            "covers": _listing(data_dir, "covers"),
        },
        status,
    )


@router.get("/uploads")
def uploads(request: Request):
    return _page(request, {})


def _check(kind: str, path: Path) -> None:
    if kind == "bed":
        for _ in stream_audio(path, 44_100, CHECK_S):
            pass
    else:
        read_cover(path)


@router.post("/uploads/{kind}", dependencies=[Depends(require_csrf)])
async def upload(request: Request, kind: str):
    if kind not in KINDS:
        return _page(request, {}, 404)
    folder, suffixes = KINDS[kind]
    form = await request.form()
    upload = form.get("file")
    name = safe_file_name(Path(getattr(upload, "filename", "") or "").name, 80, fallback="")
    if not hasattr(upload, "read") or Path(name).suffix.lower() not in suffixes:
        return _page(request, {kind: f"choose a {' or '.join(suffixes)} file"}, 422)
    target = config(request).data_dir / folder / name
    fd, temp_name = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            await run_in_threadpool(shutil.copyfileobj, upload.file, out)
        await run_in_threadpool(_check, kind, temp)
        kept = _keep(temp, target)
    except SessiongenError as exc:
        return _page(request, {kind: str(exc).replace(str(temp), name)}, 422)
    finally:
        temp.unlink(missing_ok=True)
    return RedirectResponse(f"/uploads?{urlencode({'added': kind, 'as': kept.name, 'was': name})}", status_code=303)


def _keep(temp: Path, target: Path) -> Path:
    """`temp` under `target`'s name, or NAME-2, NAME-3... where that is taken: a file already
    there (another upload's, perhaps at this moment) is never replaced (a hard link never
    overwrites)."""
    for number in range(1, 1000):
        candidate = target if number == 1 else target.with_name(f"{target.stem}-{number}{target.suffix}")
        try:
            os.link(temp, candidate)
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise SessiongenError(f"{target.name}: could not be added ({exc.strerror})") from None
    raise SessiongenError(f"{target.name}: there are already 999 files of this name: rename the file")
