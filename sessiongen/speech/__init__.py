"""Narration: the engine protocol, the engines, the phrase cache and clip preparation."""

from __future__ import annotations

import importlib
import os

from sessiongen.errors import SessiongenError, suggest
from sessiongen.speech.engine import Engine, Voice


def _pyttsx3() -> Engine:
    from sessiongen.speech.pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()


def _isolated_pyttsx3() -> Engine:
    from sessiongen.speech.isolated import IsolatedEngine

    return IsolatedEngine("pyttsx3", _pyttsx3().identity())


RAW = {"pyttsx3": _pyttsx3}  # engines made in this process (the isolated engine's child uses these)
ENGINES = {"pyttsx3": _isolated_pyttsx3}  # what sessions use; tests register a fake engine here
_made: dict[str, Engine] = {}


def _registered() -> dict:
    """Engines named in $SESSIONGEN_ENGINES as 'name=module:factory,...' (optional engines, and
    the test engines in worker processes)."""
    found = {}
    for item in filter(None, os.environ.get("SESSIONGEN_ENGINES", "").split(",")):
        name, _, target = item.partition("=")
        module, _, attr = target.partition(":")
        found[name.strip()] = lambda module=module, attr=attr: getattr(importlib.import_module(module), attr)()
    return found


def raw_engine(name: str) -> Engine:
    """An engine made in this process, without isolation."""
    factories = {**_registered(), **RAW}
    if name not in factories:
        raise SessiongenError(f"unknown speech engine '{name}'{suggest(name, factories)}")
    return factories[name]()


def get_engine(name: str = "pyttsx3") -> Engine:
    """One engine instance per name and process (starting an engine is not free)."""
    if name not in ENGINES:
        ENGINES.update({k: v for k, v in _registered().items() if k not in ENGINES})
    if name not in ENGINES:
        raise SessiongenError(f"unknown speech engine '{name}'{suggest(name, ENGINES)}")
    if name not in _made:
        _made[name] = ENGINES[name]()
    return _made[name]


__all__ = ["ENGINES", "Engine", "Voice", "get_engine", "raw_engine"]
