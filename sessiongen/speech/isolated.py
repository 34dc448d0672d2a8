"""A speech engine in its own process: a hung or crashed engine is restarted, the phrase retried.

The engine's native code (espeak-ng through pyttsx3) can hang, print, or end its process; in a
child process none of that reaches the session, and every answer has a timeout.

Every request is a list of calls of one verb, answered one message per call as each is ready: a
script's phrases cost one round trip, and the child speaks ahead while the parent prepares what
it has received (the socket pair holds several phrases of audio).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from sessiongen.errors import SessiongenError
from sessiongen.sound.audio import Audio
from sessiongen.speech.engine import Voice, short

TIMEOUT_S = float(os.environ.get("SESSIONGEN_TTS_TIMEOUT_S", "30"))
START_TIMEOUT_S = 60.0
WATCH_S = 0.5  # how often a waiting answer's engine process is looked at
WORKING_CPU_S = 0.02  # CPU time used since the last look that shows the engine is working


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) a process has used, from /proc; None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timeout_for(engine_s: float) -> float:
    """The answer timeout for an engine whose slowest honest answer takes about `engine_s` (a
    first phrase that measures the voice's pace, on a busy machine); $SESSIONGEN_TTS_TIMEOUT_S
    overrides for every engine."""
    return TIMEOUT_S if "SESSIONGEN_TTS_TIMEOUT_S" in os.environ else max(TIMEOUT_S, engine_s)


ATTEMPTS = 3
SOCKET_BUFFER_BYTES = 4 << 20  # about 7 phrases of espeak-ng audio, where the system allows it

_VERBS = {
    "synthesize": lambda engine, *args: _audio_payload(engine.synthesize(*args)),
    "voices": lambda engine: [dataclasses.asdict(v) for v in engine.voices()],
    "resolve": lambda engine, voice, language: engine.resolve_voice(voice, language),
}


def _audio_payload(audio: Audio) -> tuple[np.ndarray, int]:
    return np.ascontiguousarray(audio.samples, dtype=np.float32), audio.rate_hz


def _serve(conn: Connection, name: str) -> None:
    """The child: make the engine, say it is ready, then answer requests until the pipe closes.
    It ignores Ctrl-C (a terminal sends it to every process of the command): its parent decides,
    and ends it by closing the pipe or by killing it (`stop_all`)."""
    import signal

    from sessiongen import offline
    from sessiongen.speech import raw_engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    offline.guard()
    engine = raw_engine(name)
    conn.send(("ready", None))
    while True:
        try:
            verb, calls = conn.recv()
        except (EOFError, OSError):
            return
        try:
            for args in calls:  # the rest of a request is dropped after a failure: the parent decides what next
                if not _answer(conn, lambda args=args, verb=verb: _VERBS[verb](engine, *args)):
                    break
        except OSError:  # the parent went away while this answered: nobody to answer to
            return


def serve_fd(fd: int, name: str) -> None:
    """The child started by `subprocess` (see `_subprocess_child`): serve on the inherited socket."""
    _serve(Connection(fd), name)


class _Child:
    """A subprocess.Popen seen as the multiprocessing.Process this module otherwise uses."""

    def __init__(self, popen: subprocess.Popen):
        self.popen, self.pid = popen, popen.pid

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)

    def kill(self) -> None:
        self.popen.kill()

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()


def in_daemon() -> bool:
    """True in a daemonic process (a Dask worker under its nanny, a pool's worker), which may
    not start multiprocessing children: engines there start theirs with `subprocess` instead."""
    return multiprocessing.current_process().daemon


def _subprocess_child(name: str) -> tuple[_Child, Connection]:
    """The engine's process started with subprocess (allowed in a daemonic process), speaking the
    same protocol over a socket pair it inherits."""
    ours, theirs = socket.socketpair()
    _widen(ours, theirs)
    code = f"import sys; from sessiongen.speech.isolated import serve_fd; serve_fd({theirs.fileno()}, sys.argv[1])"
    try:
        popen = subprocess.Popen([sys.executable, "-c", code, name], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
    finally:
        theirs.close()
    return _Child(popen), Connection(ours.detach())


def _answer(conn: Connection, work) -> bool:
    """Send ("ok", result), or why there is none: the user's error ("user") or the engine's ("engine")."""
    try:
        message = ("ok", work())
    except SessiongenError as exc:
        message = ("user", str(exc))
    except Exception as exc:  # the engine's own failure: the parent retries
        message = ("engine", f"{type(exc).__name__}: {exc}")
    conn.send(message)
    return message[0] == "ok"


def _widen(*ends) -> None:
    """Let a socket pair hold several phrases of audio (up to the system's limit, net.core.wmem_max
    and rmem_max): the engine's process then hands its answers over without waiting for this one
    to read them, and what it handed over survives it if it crashes afterwards."""
    for end in ends:
        with contextlib.suppress(OSError):
            sock = socket.socket(fileno=end.fileno())
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER_BYTES)
            finally:
                sock.detach()


_UNSENT = object()  # a request not sent yet
_LIVE: weakref.WeakSet = weakref.WeakSet()  # every IsolatedEngine of this process, for stop_all


def stop_all() -> None:
    """Kill every engine process this process started, at once (when a command is stopped)."""
    for engine in list(_LIVE):
        engine._kill()


class IsolatedEngine:
    """Implements the Engine protocol (and `synthesize_many`) by calling an engine in a child process."""

    def __init__(self, name: str, identity: str, timeout_s: float = TIMEOUT_S):
        self.name, self._identity, self.timeout_s = name, identity, timeout_s
        self._process = None
        self._conn: Connection | None = None
        self._voices: list[Voice] | None = None
        self._in_flight = False  # the child may still be answering a request nobody reads any more
        atexit.register(self.close)
        _LIVE.add(self)

    def identity(self) -> str:
        return self._identity

    def _start(self) -> None:
        if in_daemon():
            self._process, parent = _subprocess_child(self.name)
        else:
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            _widen(parent, child)
            process = context.Process(target=_serve, args=(child, self.name), daemon=True, name=f"sessiongen-{self.name}")
            process.start()
            self._process = process  # only a started process: close() joins it
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
        self._in_flight = False

    def _send(self, verb: str, calls: list[tuple]) -> str | None:
        """Start the process if needed and send one request; why that failed, or None."""
        try:
            if self._in_flight:  # answers to an abandoned request would be read as this one's
                self._kill()
            if self._process is None or not self._process.is_alive():
                self.close()
                self._start()
            self._conn.send((verb, calls))
        except (EOFError, OSError):
            return f"the engine process ended (exit code {self._exit_code()})"
        self._in_flight = True
        return None

    def _receive(self) -> tuple[str, object]:
        """The child's next answer, or ("failed", why) when none comes in time: `timeout_s` during
        which the child did no work, or `timeout_s` of its CPU time spent on one answer. A child
        that is working, however slowly a busy machine lets it, is waited for; a stuck one is not."""
        try:
            if not self._answered_in_time():
                return "failed", f"no answer within {self.timeout_s:g} s"
            return self._conn.recv()
        except (EOFError, OSError):
            return "failed", f"the engine process ended (exit code {self._exit_code()})"

    def _answered_in_time(self) -> bool:
        started_cpu_s = seen_cpu_s = cpu_seconds(self._process.pid)
        if started_cpu_s is None:  # no /proc: wall time alone
            return self._conn.poll(self.timeout_s)
        idle_since = time.monotonic()
        while not self._conn.poll(WATCH_S):
            cpu_s = cpu_seconds(self._process.pid)
            if cpu_s is None or cpu_s - started_cpu_s > self.timeout_s:
                return self._conn.poll(0)
            if cpu_s - seen_cpu_s >= WORKING_CPU_S:
                seen_cpu_s, idle_since = cpu_s, time.monotonic()
            elif time.monotonic() - idle_since > self.timeout_s:
                return False
        return True

    def _request(self, verb: str, calls: list[tuple], names: list[str], sent=_UNSENT) -> Iterator:
        """Yield the answers to `calls`, in order, as they arrive. Each has its own timeout; when
        one does not come or the engine fails on it, the process is restarted and the calls from
        that one on are sent again, up to ATTEMPTS times per call, after which the error names it.
        `sent`: what sending the request already gave (None, or why it failed), when the caller
        sent it ahead."""
        done, reasons = 0, []
        while done < len(calls):
            failure = self._send(verb, calls[done:]) if sent is _UNSENT else sent
            sent = _UNSENT
            status, value = ("failed", failure) if failure else self._receive()
            while status == "ok":
                done, reasons = done + 1, []
                if done == len(calls):
                    self._in_flight = False
                yield value
                if done == len(calls):
                    return
                status, value = self._receive()
            self._in_flight = False  # the child has stopped this request (or is killed below)
            if status == "user":
                raise SessiongenError(value)
            reasons.append(value)
            self._kill()
            if len(reasons) == ATTEMPTS:
                raise SessiongenError(f"the speech engine ({self.name}) failed {ATTEMPTS} times on {names[done]}: {reasons[-1]}")

    def _call(self, verb: str, args: tuple, what: str):
        [value] = self._request(verb, [args], [what])
        return value

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
            found = self._call("voices", (), "listing its voices")
            self._voices = [Voice(**{**v, "languages": tuple(v["languages"])}) for v in found]
        return self._voices

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        return self._call("resolve", (voice, language), f"the voice '{voice}'")

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        [audio] = self.synthesize_many([(text, voice, rate_wpm, volume, options)])
        return audio

    def synthesize_many(self, calls: Iterable[tuple]) -> Iterator[Audio]:
        """Audio for each (text, voice, rate_wpm, volume[, options]), in order, from one request,
        sent now (the process started if need be): the child speaks while the caller does other
        things, and the workers of a pool all start at once."""
        calls = [tuple(call) for call in calls]
        if not calls:
            return iter(())
        names = [f'the phrase "{short(call[0])}"' for call in calls]
        answers = self._request("synthesize", calls, names, self._send("synthesize", calls))
        return (Audio(samples, int(rate_hz)) for samples, rate_hz in answers)
