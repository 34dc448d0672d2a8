"""Serving the studio: uvicorn on 127.0.0.1 and ::1 only (never another address), on sockets made
here, so no name is ever looked up (the network guard, SESSIONGEN_NO_NETWORK=1, stays on: a
server binds and listens, it never connects)."""

from __future__ import annotations

import socket
import sys
import webbrowser

from sessiongen.errors import SessiongenError
from sessiongen.studio.app import StudioConfig, create_app


def loopback_sockets(port: int) -> list[socket.socket]:
    """A listening socket on 127.0.0.1:PORT (PORT 0: a free one), and on ::1 at the same port where
    this machine has IPv6."""
    first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    first.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        first.bind(("127.0.0.1", port))
    except OSError as exc:
        first.close()
        raise SessiongenError(f"port {port} is in use or not allowed ({exc.strerror}): choose another with --port") from None
    sockets = [first]
    if socket.has_ipv6:
        second = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            second.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            second.bind(("::1", first.getsockname()[1]))
            sockets.append(second)
        except OSError:
            second.close()  # no IPv6 loopback here: 127.0.0.1 alone
    for sock in sockets:
        sock.listen(128)
        sock.setblocking(False)
    return sockets


def serve(config: StudioConfig, port: int = 0, open_browser: bool = True, announce=print) -> None:
    """Run the studio until Ctrl-C (or SIGTERM); every worker is stopped on the way out."""
    import uvicorn

    sockets = loopback_sockets(port)
    app = create_app(config)
    url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/?token={config.token}"
    announce(f"sessiongen studio: {url}")
    announce(f"data folder: {app.state.config.data_dir}")
    announce("only this computer can open it, with the address above (it carries a token); press Ctrl-C to stop")
    sys.stdout.flush()
    if open_browser:
        webbrowser.open(url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5))
    server.run(sockets=sockets)
