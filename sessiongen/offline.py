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


def guard() -> bool:
    """Refuse sockets in this process when the environment asks for it; True if it did."""
    if os.environ.get(ENV) != "1":
        return False
    socket.socket.connect = _refuse
    socket.socket.connect_ex = _refuse
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse
    return True
