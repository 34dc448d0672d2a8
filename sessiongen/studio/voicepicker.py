"""The voice picker's data: every installed voice from the library's catalogue (`speech.list_voices`,
what `sessiongen voices --json` prints), as rows a clinician filters by language, accent and
gender; and the check of a voice name a browser asks a sample for."""

from __future__ import annotations

import re

from sessiongen.errors import SessiongenError
from sessiongen.speech import kokorofiles, list_voices

# labels of the language tags Kokoro's voices carry ("en-gb": "English (UK)"); other tags are shown as they are
TAG_LABELS = {tag: label for tag, _, label in kokorofiles.LANGUAGES.values()}
LANGUAGE_NAMES = {tag.split("-")[0]: label.split(" (")[0] for tag, label in TAG_LABELS.items()} | {"pt": "Portuguese"}
GENDER_LABELS = {"female": "woman", "male": "man"}
ENGINE_LABELS = {"kokoro": "Kokoro", "piper": "Piper", "pyttsx3": "espeak-ng"}
MAX_NAME_CHARS = 200
# a voice's name or a blend of names by weight: letters, digits and _ . - + / : , (espeak-ng's ids have a '/')
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/:,\- ]*")


def _names(found) -> dict[str, str]:
    """Names of languages and accents by tag: Kokoro's, then espeak-ng's (its voices are named by
    their language and accent: "English (Scotland)")."""
    espeak = {v.language: v.name for v in found if v.engine == "pyttsx3" and v.language}
    return {**espeak, **LANGUAGE_NAMES, **TAG_LABELS}


def accent_label(tag: str, names: dict[str, str]) -> str:
    if tag in names:
        return names[tag]
    primary, _, region = tag.partition("-")
    name = names.get(primary, primary)
    return f"{name} ({region.upper() if len(region) == 2 else region})" if region else name


def rows(engine: str | None) -> list[dict]:
    """Every installed voice as the picker shows it: id, short name, engine, language tag, its
    primary language and that language's name, accent label, gender and grade ([] where no engine
    can list its voices)."""
    try:
        found = list_voices(engine)
    except SessiongenError:
        return []
    names = _names(found)
    out = []
    for v in found:
        tag = v.language or "und"
        out.append(
            {
                "id": v.id,
                "name": v.name.split(" (")[0] or v.id,
                "engine": v.engine,
                "engine_label": ENGINE_LABELS.get(v.engine, v.engine),
                "tag": tag,
                "language": tag.split("-")[0],
                "language_name": names.get(tag.split("-")[0], tag.split("-")[0]),
                "accent": accent_label(tag, names),
                "gender": v.gender,
                "gender_label": GENDER_LABELS.get(v.gender, "not stated"),
                "grade": v.quality,
            }
        )
    return out


def picker(engine: str | None, chosen: str | None, session_language: str | None) -> dict:
    """What the picker's template takes: the rows, the languages and accents to filter by, and the
    language preselected (the chosen voice's, else the session's, else English)."""
    voices = rows(engine)
    languages = sorted({(r["language_name"], r["language"]) for r in voices}, key=lambda item: (item[0].lower(), item[1]))
    accents = sorted({(r["language"], r["tag"], r["accent"]) for r in voices if "-" in r["tag"]})
    first = (chosen or "").split(":")[0].split(",")[0]
    mine = next((r["language"] for r in voices if r["id"] == first), None)
    wanted = mine or (session_language or "en").split("-")[0].lower()
    return {
        "voices": voices,
        "languages": [(tag, name) for name, tag in languages],
        "accents": accents,
        "language": wanted if any(tag == wanted for _, tag in languages) else "",
    }


def checked_name(text: str) -> str:
    """A voice name (or blend) a browser sent, refused unless it is one: never a path."""
    name = str(text or "").strip()
    if not name:
        raise SessiongenError("choose a voice to hear", option="voice")
    if len(name) > MAX_NAME_CHARS or ".." in name or not NAME.fullmatch(name) or name.endswith(".onnx"):
        raise SessiongenError(f"'{name[:60]}' is not a voice's name: choose one from the list", option="voice")
    return name


def engine_for(voice: str, engine: str | None) -> str | None:
    """The studio's engine, or (where it has none) the engine that lists this voice."""
    if engine:
        return engine
    return next((r["engine"] for r in rows(None) if r["id"] == voice), None)
