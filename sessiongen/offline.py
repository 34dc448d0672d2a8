"""An optional guard: with SESSIONGEN_NO_NETWORK=1, every sessiongen process refuses the network.

sessiongen never uses the network; the guard lets a practice prove it (and the tests check it).
It covers the CLI, batch workers and the speech engine's own process.
"""

from __future__ import annotations

import os
import socket

ENV = "SESSIONGEN_NO_NETWORK"


def _refuse(*args, **kwargs):
    raise OSError("network access refused: sessiongen runs offline (SESSIONGEN_NO_NETWORK=1)")


def _local_only(original):
    """A socket method that still works for Unix-domain sockets (a file on this machine, never the
    network: multiprocessing's managers talk through them) and refuses every other family."""

    def method(self, *args, **kwargs):
        if getattr(socket, "AF_UNIX", None) is not None and self.family == socket.AF_UNIX:
            return original(self, *args, **kwargs)
        return _refuse()

    return method


def guard() -> bool:
    """Refuse sockets in this process when the environment asks for it; True if it did."""
    if os.environ.get(ENV) != "1":
        return False
    if not getattr(socket.socket.connect, "sessiongen_guard", False):
        socket.socket.connect = _local_only(socket.socket.connect)
        socket.socket.connect_ex = _local_only(socket.socket.connect_ex)
        socket.socket.connect.sessiongen_guard = True
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse
    return True
