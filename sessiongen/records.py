"""What a manifest records of a session beyond its settings (the engine and voice that spoke, the
script as it was named), and whose sidecars the files beside an output are."""

from __future__ import annotations

import json
from pathlib import Path

from sessiongen.errors import SessiongenError
from sessiongen.model.results import Prepared
from sessiongen.model.script import Script
from sessiongen.output.manifest import values_hash
from sessiongen.output.sidecars import sidecar_path
from sessiongen.script.library import in_library
from sessiongen.settings import Settings


def resolved_options(prepared: Prepared, settings: Settings, values: dict[str, str]) -> dict:
    """What the manifest records where the settings left it open (the engine and voice that
    spoke, the synthetic ones beside a voice pack; the loudness target) or must not say: a
    pronunciation of a word in a personal value (a client's name) is left out, and counted."""
    said = " ".join(values.values()).casefold()
    public = tuple((word, say) for word, say in settings.pronunciations if word.casefold() not in said)
    if prepared.voice_pack is None:
        engine, voice = prepared.engine, prepared.voice
    else:
        engine, voice = prepared.engine.removeprefix("voice-pack").removeprefix("+") or settings.engine, settings.voice
    return {"engine": engine, "voice": voice, "loudness": settings.target_lufs, "pronunciations": public}


def recorded_source(ref: str | None, script: Script) -> str:
    """The script as a manifest names it: library ids as given, files by their name only (where
    they live may name a client)."""
    if ref is None:
        return script.meta.id if in_library(Path(script.path)) else Path(script.path).name
    return "+".join(Path(part).name if Path(part).suffix else part for part in ref.split("+"))


def check_sidecars_are_ours(out: Path, script: Script, values: dict[str, str]) -> None:
    """The sidecars beside `out` (NAME.vtt, NAME.manifest.json, the review page) are shared by
    every format of NAME: a render to s.wav must not replace what describes another session still
    there (s.mp3 of another script, or for another client). The manifest says whose they are; the
    same session in another format may share them."""
    manifest = sidecar_path(out, "manifest")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        owner, same = (
            data["output"]["file"],
            (data["script"]["id"], data["inputs"]["values_sha256"]) == (script.meta.id, values_hash(values)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return  # none there, or not ours to read: nothing to protect
    if not same and isinstance(owner, str) and owner != out.name and (out.parent / owner).is_file():
        raise SessiongenError(
            f"{out}: its transcript, manifest and review page would replace those of {owner} beside it: "
            f"choose another name, or delete {owner} first"
        )
