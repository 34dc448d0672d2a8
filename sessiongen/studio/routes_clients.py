"""Clients: profiles as YAML files in the data folder; create, edit, delete; each client's renders."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from sessiongen.errors import SessiongenError
from sessiongen.options.profile import ANCHORS
from sessiongen.sound import catalog
from sessiongen.studio import clients, fields, forms, voicepicker
from sessiongen.studio.pages import config, page, require_csrf
from sessiongen.studio.security import safe_id

router = APIRouter()


@router.get("/clients")
def client_list(request: Request):
    return page(request, "clients.html", {"title": "Clients", "clients": clients.all_clients(config(request).data_dir)})


def _form(request: Request, values: dict, original: str, errors: dict, status: int = 200, saved: bool = False):
    data_dir = config(request).data_dir
    renders = clients.renders_of(data_dir, original) if original else []
    context = {
        "title": f"Client {original}" if original else "New client",
        "v": values,
        "original": original,
        "errors": errors,
        "renders": renders,
        "anchors": ANCHORS,
        "beds": catalog.BEDS,
        "timbres": catalog.TIMBRES,
        "options": fields.STUDIO_OPTIONS,
        "pick": voicepicker.picker(config(request).engine, values.get("voice"), values.get("language")),
        "saved": saved,
    }
    return page(request, "client.html", context, status)


@router.get("/clients/new")
def new_client(request: Request):
    return _form(request, clients.DEFAULTS_SHOWN, "", {})


@router.get("/clients/{client_id}")
def edit_client(request: Request, client_id: str, saved: str = ""):
    values = clients.load(config(request).data_dir, client_id)
    if values is None:
        raise HTTPException(404, "no such client")
    return _form(request, {**values, **forms.flags_shown(values)}, client_id, {}, saved=bool(saved))


@router.post("/clients/save", dependencies=[Depends(require_csrf)])
async def save_client(request: Request):
    form = dict(await request.form())
    original = safe_id(form.get("original", ""))
    try:
        client_id = clients.save(config(request).data_dir, form, original)
    except SessiongenError as exc:
        return _form(request, form, original, {exc.option or "client_id": str(exc)}, 422)
    return RedirectResponse(f"/clients/{client_id}?saved=1", status_code=303)


@router.post("/clients/{client_id}/delete", dependencies=[Depends(require_csrf)])
def delete_client(request: Request, client_id: str):
    if not clients.delete(config(request).data_dir, client_id):
        raise HTTPException(404, "no such client")
    return RedirectResponse("/clients", status_code=303)
