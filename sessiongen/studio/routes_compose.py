"""Compose and personalise: techniques in order, length, voice, tones, bed, output; the fields the
scripts declare, by hand or from a saved client; a live plan preview; then Render."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sessiongen import pipeline
from sessiongen.errors import SessiongenError
from sessiongen.options.profile import ANCHORS
from sessiongen.output.formats import NAMES as FORMATS
from sessiongen.sound import catalog
from sessiongen.studio import clients, forms, previews, voicepicker
from sessiongen.studio.jobs import new_id
from sessiongen.studio.pages import config, jobs, page, require_csrf
from sessiongen.studio.work import RenderWork, SpeakWork

router = APIRouter()


def _choices(request: Request) -> dict:
    cfg = config(request)
    beds = _files(cfg.data_dir / "beds")
    return {
        "techniques": previews.techniques(),
        "beds": catalog.BEDS,
        "own_beds": beds,
        "timbres": catalog.TIMBRES,
        "covers": _files(cfg.data_dir / "covers"),
        "formats": FORMATS,
        "clients": clients.all_clients(cfg.data_dir),
        "anchors": ANCHORS,
        "max_techniques": forms.MAX_TECHNIQUES,
    }


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink() and not p.name.endswith(".part"))


def _fields(chosen: list[str], engine) -> list[tuple[str, str]]:
    try:
        return forms.declared_fields(pipeline.load("+".join(chosen))) if chosen else []
    except SessiongenError:
        return []


@router.get("/compose")
def compose(request: Request, t: str = "", client: str = ""):
    cfg = config(request)
    values = {"technique_1": t, **forms.flags_shown(), "format": "mp3"}
    profile = clients.load(cfg.data_dir, client) if client else None
    if profile:
        values.update(_prefill(profile), client=client)
    return _form_page(request, values, {})


def _prefill(profile: dict) -> dict:
    """A saved client's fields as the compose form's values (its variables as the personal fields)."""
    shown = {k: "; ".join(f"{a}={b}" for a, b in v.items()) if isinstance(v, dict) else v for k, v in profile.items() if k != "variables"}
    shown.update(forms.flags_shown(profile))
    personal = {**{k: v for k, v in profile.items() if not isinstance(v, (dict, list))}, **(profile.get("variables") or {})}
    return {**shown, **{f"var_{k}": v for k, v in personal.items()}}


def _form_page(request: Request, values: dict, errors: dict, status: int = 200):
    chosen = [values.get(f"technique_{n}") for n in range(1, forms.MAX_TECHNIQUES + 1)]
    chosen = [c for c in chosen if c]
    context = {
        "title": "Compose a session",
        "v": values,
        "errors": errors,
        "declared": _fields(chosen, config(request).engine),
        "pick": voicepicker.picker(config(request).engine, values.get("voice"), values.get("language")),
        **_choices(request),
    }
    return page(request, "compose.html", context, status)


@router.post("/compose/preview", dependencies=[Depends(require_csrf)])
async def preview(request: Request):
    form = dict(await request.form())
    cfg = config(request)
    try:
        composed = forms.compose_form(form, cfg.data_dir, cfg.engine)
        data = await run_in_threadpool(previews.plan_preview, composed.ref, composed.values, composed.request.settings)
    except SessiongenError as exc:
        return JSONResponse({"ok": False, "field": getattr(exc, "field", "") or forms.field_for(exc, "technique_1"), "error": str(exc)})
    data["declared"] = forms.declared_fields(pipeline.load(composed.ref, composed.request.settings.language))
    if data["estimated_phrases"]:  # the voice is slow: speak the session ahead, so that Render finds it ready
        data["speaking_ahead"] = _speak_ahead(request, composed)
    return JSONResponse({"ok": True, **data})


def _speak_ahead(request: Request, composed: forms.Composed) -> str:
    """Start (or keep) speaking this composition's phrases into the cache; the job's id."""
    s = composed.request.settings
    said = [
        composed.ref,
        sorted(composed.values.items()),
        pipeline.speech_identity(s, s.language or ""),
        s.rate_wpm,
        repr(s.pronunciations),
    ]
    work = SpeakWork(composed.ref, composed.request, config(request).data_dir)
    return jobs(request).speak_ahead(repr(said), work).id


async def _audio_preview(request: Request, make) -> Response:
    form = dict(await request.form())
    cfg = config(request)
    try:
        settings = forms.settings_of(form, cfg.data_dir, cfg.engine)
        audio = await run_in_threadpool(make, settings)
    except SessiongenError as exc:
        return JSONResponse({"ok": False, "field": getattr(exc, "field", "") or forms.field_for(exc), "error": str(exc)}, status_code=422)
    return Response(audio, media_type="audio/wav")


@router.post("/compose/voice-preview", dependencies=[Depends(require_csrf)])
async def voice_preview(request: Request):
    return await _audio_preview(request, previews.voice_preview)


@router.post("/compose/bed-preview", dependencies=[Depends(require_csrf)])
async def bed_preview(request: Request):
    return await _audio_preview(request, previews.bed_preview)


@router.post("/compose/render", dependencies=[Depends(require_csrf)])
async def render(request: Request):
    form = dict(await request.form())
    cfg = config(request)
    try:
        composed = forms.compose_form(form, cfg.data_dir, cfg.engine)
    except forms.FormError as exc:
        return _form_page(request, form, {exc.field: str(exc)}, 422)
    job_id = new_id()
    folder = cfg.data_dir / "renders" / job_id
    folder.mkdir(parents=True)
    name = pipeline.slug("-".join([*composed.techniques, composed.client_id]), 90) or "session"
    out = folder / f"{name}.{composed.fmt}"
    record = {"id": job_id, "client_id": composed.client_id, "techniques": list(composed.techniques), "format": composed.fmt}
    targets = [path for _, path in pipeline.delivery_targets(out, composed.packaging)]
    jobs(request).submit("render", RenderWork(composed.ref, composed.request, out, composed.packaging, record), targets, job_id=job_id)
    return RedirectResponse(f"/renders/{job_id}", status_code=303)
