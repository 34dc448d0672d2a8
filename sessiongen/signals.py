"""SIGINT, SIGTERM and SIGHUP all stop a command the way Ctrl-C does.

Each is turned into a `Stopped` exception (a KeyboardInterrupt) in the main thread, so one path
serves all three: atomic writes remove their temporary files and keep the old outputs, a batch
stops its workers and writes its report, and the command exits with 128 + the signal's number
(130, 143, 129). A second signal while that cleanup runs is ignored; a third ends the process
at once (the operating system's default), for a cleanup that would never end.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import signal
import time

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
FORCE_AFTER = 3  # signals: the last one ends the process without cleanup


class Stopped(KeyboardInterrupt):
    """A signal asked the command to stop."""

    def __init__(self, signum: int):
        self.signum = signum
        self.signal_name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        self.exit_status = 128 + signum
        super().__init__(self.signal_name)


_received: list[int] = []


def install() -> None:
    """Stop on SIGINT, SIGTERM and SIGHUP (in the main thread, before the command runs)."""
    _received.clear()
    for number in STOPPING:
        signal.signal(number, _on_signal)


def finishing() -> None:
    """The command is over: a signal now no longer raises (the exit's own cleanup runs on)."""
    if not _received:
        _received.append(0)


def _on_signal(signum: int, frame) -> None:
    _received.append(signum)
    if len(_received) == 1:
        raise Stopped(signum)
    if len(_received) >= FORCE_AFTER:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def die_with_parent(signum: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send `signum` to this process when its parent dies (Linux's
    PR_SET_PDEATHSIG): a worker whose batch, render or studio was killed with kill -9 stops
    instead of rendering on. False where the system has no such request (its workers then end
    when they next talk to the parent)."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, int(signum), 0, 0, 0) != 0:  # 1: PR_SET_PDEATHSIG
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() == 1:  # the parent died before the request: nobody will tell us, so we do
        os.kill(os.getpid(), signum)
    return True


def still_running(processes, timeout_s: float) -> list:
    """The (multiprocessing) processes still running after up to `timeout_s`, told by their
    sentinels, never by join or is_alive: when another thread reaps a child too (a process pool's
    manager thread, the thread that started it), the one told ECHILD takes it for alive (a batch
    worker stopped in 0.5 s was reported 'did not stop within 10 s' and killed, 2 of 11 stops)."""
    waiting = {process.sentinel: process for process in processes}
    deadline = time.monotonic() + timeout_s
    while waiting:
        for sentinel in multiprocessing.connection.wait(list(waiting), max(0.0, deadline - time.monotonic())):
            del waiting[sentinel]
        if time.monotonic() >= deadline:
            break
    return list(waiting.values())
