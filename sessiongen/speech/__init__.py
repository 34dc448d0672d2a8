"""Narration: the engine protocol, the engines, the phrase cache and clip preparation."""

from __future__ import annotations

from sessiongen.errors import SessiongenError, suggest
from sessiongen.speech.engine import Engine, Voice


def _pyttsx3() -> Engine:
    from sessiongen.speech.pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()


ENGINES = {"pyttsx3": _pyttsx3}  # name -> factory; tests register a fake engine here
_made: dict[str, Engine] = {}


def get_engine(name: str = "pyttsx3") -> Engine:
    """One engine instance per name and process (starting an engine is not free)."""
    if name not in ENGINES:
        raise SessiongenError(f"unknown speech engine '{name}'{suggest(name, ENGINES)}")
    if name not in _made:
        _made[name] = ENGINES[name]()
    return _made[name]


__all__ = ["ENGINES", "Engine", "Voice", "get_engine"]
