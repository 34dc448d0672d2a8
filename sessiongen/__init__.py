"""sessiongen: turn technique scripts into offline voice-guided audio sessions.

The library's entry points, in pipeline order (docs/architecture.md has the map):

    request = sessiongen.session_request(sessiongen.SessionOptions(options={"minutes": "12"}, variables={"name": "Sam"}))
    delivery = sessiongen.render("safe-place", request, Path("sam.mp3"))  # the whole recipe, as the CLI runs it

or stage by stage:

    script = sessiongen.load("safe-place")                      # a file, a library id or a composition
    settings = sessiongen.Settings().but(minutes=12)            # checked against the option specification
    with sessiongen.cache_root(True) as cache:
        prepared = sessiongen.prepare(script, {"name": "Sam"}, settings, cache)   # speech + timeline
    delivery = sessiongen.deliver(prepared, {"name": "Sam"}, settings, Path("sam.mp3"))

Names are loaded when first used, so `import sessiongen` stays light.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    # the pipeline
    "render": "sessiongen.pipeline",
    "session_request": "sessiongen.request",
    "SessionOptions": "sessiongen.request",
    "SessionRequest": "sessiongen.request",
    "OPTIONS": "sessiongen.options",
    "load": "sessiongen.pipeline",
    "prepare": "sessiongen.pipeline",
    "deliver": "sessiongen.pipeline",
    "write": "sessiongen.pipeline",
    "cache_root": "sessiongen.pipeline",
    "default_output": "sessiongen.pipeline",
    "warnings": "sessiongen.pipeline",
    "outline": "sessiongen.pipeline",
    # settings and errors
    "Settings": "sessiongen.settings",
    "DEFAULTS": "sessiongen.settings",
    "SessiongenError": "sessiongen.errors",
    "ScriptError": "sessiongen.errors",
    # the data between stages
    "Script": "sessiongen.model.script",
    "Timeline": "sessiongen.model.timeline",
    "EventKind": "sessiongen.model.timeline",
    "Prepared": "sessiongen.model.results",
    "Rendered": "sessiongen.model.results",
    "Delivery": "sessiongen.model.results",
    "Packaging": "sessiongen.output.packaging",
    # looking things up
    "check_file": "sessiongen.script.parser",
    "technique_paths": "sessiongen.script.library",
    "list_voices": "sessiongen.speech",
}
__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sessiongen' has no attribute '{name}'")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
