"""Narration: the engine protocol, the engines, the phrase cache and clip preparation."""

from __future__ import annotations

import importlib
import os

from sessiongen.errors import SessiongenError, suggest
from sessiongen.speech.engine import Engine, Voice

DEFAULT_ENGINE = "kokoro"  # Kokoro-82M's voices, the most natural installed (af_heart for English)
NEURAL_ENGINE = "piper"  # the bundled voice joe, where Kokoro's voices are not installed
FALLBACK_ENGINE = "pyttsx3"  # espeak-ng or the system's voices, when no neural voice can load


# The built-in engines: name -> the module that implements it. Each engine module offers
# `in_process()` (the engine in this process; worker processes use it) and `for_sessions()` (what
# sessions use: it speaks through worker processes). Adding an engine is a module and a line here.
BUILT_IN = {
    "pyttsx3": "sessiongen.speech.engines.pyttsx3",
    "piper": "sessiongen.speech.engines.piper",
    "kokoro": "sessiongen.speech.engines.kokoro",
}


def _factory(module: str, name: str):
    return lambda: getattr(importlib.import_module(module), name)()  # imported when first used


RAW = {name: _factory(module, "in_process") for name, module in BUILT_IN.items()}
ENGINES = {name: _factory(module, "for_sessions") for name, module in BUILT_IN.items()}  # tests add a fake engine here
_made: dict[str, Engine] = {}


def _registered() -> dict:
    """Engines named in $SESSIONGEN_ENGINES as 'name=module:factory,...' (optional engines, and
    the test engines in worker processes)."""
    found = {}
    for item in filter(None, os.environ.get("SESSIONGEN_ENGINES", "").split(",")):
        name, _, target = item.partition("=")
        module, _, attr = target.partition(":")
        found[name.strip()] = _factory(module, attr)
    return found


def raw_engine(name: str) -> Engine:
    """An engine made in this process, without isolation."""
    factories = {**_registered(), **RAW}
    if name not in factories:
        raise SessiongenError(f"unknown speech engine '{name}'{suggest(name, factories)}", option="engine")
    return factories[name]()


def get_engine(name: str | None = None) -> Engine:
    """One engine instance per name and process (starting an engine is not free); None: the default."""
    name = name or DEFAULT_ENGINE
    if name not in ENGINES:
        ENGINES.update({k: v for k, v in _registered().items() if k not in ENGINES})
    if name not in ENGINES:
        raise SessiongenError(f"unknown speech engine '{name}'{suggest(name, ENGINES)}", option="engine")
    if name not in _made:
        _made[name] = ENGINES[name]()
    return _made[name]


def choose_engine(engine: str | None, voice: str | None) -> tuple[str, str | None]:
    """(the engine to use, a note for the user or None). No engine asked for: Kokoro for its
    voices and blends, and by default where its voices are installed; else Piper's joe (with a
    note saying how to install Kokoro's voices); else pyttsx3, with a note saying why."""
    from sessiongen.speech import kokorofiles

    if engine:
        return engine, None
    if kokorofiles.is_kokoro(voice):
        return DEFAULT_ENGINE, None  # the engine's own error says how to install a missing voice
    if not voice:
        missing = kokorofiles.runtime_missing()
        if missing is None:
            return DEFAULT_ENGINE, None
    from sessiongen.speech.engines.piper import unavailable

    why = unavailable(voice)
    kokoro_note = None if voice else f"{missing}; narrating with joe (Piper) meanwhile"
    if why is None:
        return NEURAL_ENGINE, kokoro_note
    return FALLBACK_ENGINE, f"the neural voice cannot be loaded ({why}): narrating with espeak-ng (--engine pyttsx3) instead"


def list_voices(engine: str | None = None, language: str | None = None, gender: str | None = None) -> list[Voice]:
    """Every voice of every built-in engine (or of one engine), optionally only those speaking
    `language` and of `gender` (female, male). Kokoro's first, best graded first; the studio's
    voice picker uses this too (Voice.as_dict has every attribute)."""
    from sessiongen.speech.engine import speaks

    names = [engine] if engine else [DEFAULT_ENGINE, NEURAL_ENGINE, FALLBACK_ENGINE]
    found = [voice for name in names for voice in get_engine(name).voices()]
    wanted = (gender or "").strip().lower()
    return [v for v in found if (language is None or speaks(v.languages, language)) and (not wanted or v.gender == wanted)]


def fingerprint(engine: Engine, voice_id: str) -> str:
    """What a rendered file's input hash knows of its narration: the engine's identity and, for
    engines whose voices are files, the voice file's content."""
    identify = getattr(engine, "voice_identity", None)
    return engine.identity() + (f"|{identify(voice_id)}" if identify else "")


__all__ = [
    "DEFAULT_ENGINE",
    "NEURAL_ENGINE",
    "ENGINES",
    "Engine",
    "Voice",
    "choose_engine",
    "fingerprint",
    "get_engine",
    "list_voices",
    "raw_engine",
]
