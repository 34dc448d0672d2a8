"""A speech engine in its own process: a hung or crashed engine is restarted, the phrase retried.

The engine's native code (espeak-ng through pyttsx3) can hang, print, or end its process; in a
child process none of that reaches the session, and every call has a timeout.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from multiprocessing.connection import Connection

import numpy as np

from sessiongen.audio import Audio
from sessiongen.errors import SessiongenError
from sessiongen.speech.engine import Voice

TIMEOUT_S = float(os.environ.get("SESSIONGEN_TTS_TIMEOUT_S", "30"))
START_TIMEOUT_S = 60.0
ATTEMPTS = 3


def _serve(conn: Connection, name: str) -> None:
    """The child: make the engine, say it is ready, then answer requests until the pipe closes."""
    from sessiongen import offline
    from sessiongen.speech import raw_engine

    offline.guard()
    engine = raw_engine(name)
    conn.send(("ready", None))
    while True:
        try:
            verb, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if verb == "synthesize":
                audio = engine.synthesize(*args)
                conn.send(("ok", (np.ascontiguousarray(audio.samples, dtype=np.float32), audio.rate_hz)))
            elif verb == "voices":
                conn.send(("ok", [(v.id, v.name, v.languages) for v in engine.voices()]))
            elif verb == "resolve":
                conn.send(("ok", engine.resolve_voice(*args)))
        except SessiongenError as exc:
            conn.send(("user", str(exc)))
        except Exception as exc:  # the engine's own failure: the parent retries
            conn.send(("engine", f"{type(exc).__name__}: {exc}"))


class IsolatedEngine:
    """Implements the Engine protocol by calling an engine in a child process."""

    def __init__(self, name: str, identity: str, timeout_s: float = TIMEOUT_S):
        self.name, self._identity, self.timeout_s = name, identity, timeout_s
        self._process = None
        self._conn: Connection | None = None
        self._voices: list[Voice] | None = None
        atexit.register(self.close)

    def identity(self) -> str:
        return self._identity

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.name), daemon=True, name=f"sessiongen-{self.name}")
        self._process.start()
        child.close()
        self._conn = parent
        if not parent.poll(START_TIMEOUT_S) or parent.recv()[0] != "ready":
            raise EOFError("the engine process did not start")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(timeout=2)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=2)
            self._process = None

    def _call(self, verb: str, args: tuple, what: str):
        reasons = []
        for attempt in range(ATTEMPTS):
            try:
                if self._process is None or not self._process.is_alive():
                    self.close()
                    self._start()
                self._conn.send((verb, args))
                if not self._conn.poll(self.timeout_s):
                    reasons.append(f"no answer within {self.timeout_s:g} s")
                    self._kill()
                    continue
                status, value = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                reasons.append(f"the engine process ended (exit code {self._exit_code()})")
                self._kill()
                continue
            if status == "ok":
                return value
            if status == "user":
                raise SessiongenError(value)
            reasons.append(value)
            self._kill()
        raise SessiongenError(f"the speech engine ({self.name}) failed {ATTEMPTS} times on {what}: {reasons[-1]}")

    def _exit_code(self):
        if self._process is not None:
            self._process.join(timeout=1)
            return self._process.exitcode
        return None

    def _kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
        self.close()

    def voices(self) -> list[Voice]:
        if self._voices is None:
            self._voices = [Voice(i, n, tuple(langs)) for i, n, langs in self._call("voices", (), "listing its voices")]
        return self._voices

    def resolve_voice(self, voice: str | None) -> str:
        return self._call("resolve", (voice,), f"the voice '{voice}'")

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float) -> Audio:
        samples, rate_hz = self._call("synthesize", (text, voice, rate_wpm, volume), f'the phrase "{_short(text)}"')
        return Audio(samples, int(rate_hz))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
