"""Serving the studio: uvicorn on one random loopback address (never another address), on a
socket made here, so no name is ever looked up (the network guard, SESSIONGEN_NO_NETWORK=1, stays
on: a server binds and listens, it never connects).

Why a random address (127.A.B.C, not 127.0.0.1): a browser sends a host's cookies to every port
of that host, so the studio's cookie on 127.0.0.1 would go to any other local server the user
opens there. On its own address, the cookie goes only where the studio is. Where the system has
only 127.0.0.1 (macOS without an alias), the studio uses it; docs/studio.md says what that means.

The browser gets the token from a login file readable only by the user (as Jupyter does): never
on a command line, where any local user can read it in /proc.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import secrets
import socket
import sys
import webbrowser
from pathlib import Path

from sessiongen.errors import SessiongenError
from sessiongen.studio import connections, security
from sessiongen.studio.app import StudioConfig, create_app

BACKLOG = 128
ADDRESS_TRIES = 20


def random_loopback() -> str:
    """A loopback address other than 127.0.0.1, new at each call."""
    return f"127.{secrets.randbelow(254) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def listening_socket(port: int, host: str | None = None) -> socket.socket:
    """A listening socket on HOST:PORT (PORT 0: a free one); without HOST, on a random loopback
    address (127.0.0.1 where the system has no other)."""
    candidates = [host] if host else [*(random_loopback() for _ in range(ADDRESS_TRIES)), "127.0.0.1"]
    for candidate in candidates:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((candidate, port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRNOTAVAIL and candidate != candidates[-1]:
                continue  # no such loopback address here (macOS): the next, then 127.0.0.1
            if exc.errno == errno.EADDRINUSE and candidate != candidates[-1] and port:
                continue
            raise SessiongenError(f"port {port} is in use or not allowed ({exc.strerror}): choose another with --port") from None
        sock.listen(BACKLOG)
        sock.setblocking(False)
        return sock
    raise SessiongenError("no loopback address could be bound: is the loopback interface up?")


def login_file(config: StudioConfig) -> Path:
    """Write the login file (mode 0600, made new: never through a link or over another file) in
    $XDG_RUNTIME_DIR when it is a private folder of this user's, else in the data folder."""
    folder = config.data_dir
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and _private_folder(Path(runtime)):
        folder = Path(runtime)
    path = folder / f"sessiongen-studio-{os.getpid()}-open.html"
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(security.login_page(config.address, config.token))
    return path


def _private_folder(folder: Path) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return False
    return folder.is_dir() and info.st_uid == os.getuid() and not info.st_mode & 0o077


def serve(config: StudioConfig, port: int = 0, open_browser: bool = True, announce=print) -> None:
    """Run the studio until Ctrl-C (or SIGTERM); every worker is stopped on the way out."""
    import uvicorn

    sock = listening_socket(port)
    host, bound = sock.getsockname()[:2]
    config = dataclasses.replace(config, address=f"{host}:{bound}")
    app = create_app(config)
    config = app.state.config
    login = login_file(config)
    try:
        announce(f"sessiongen studio: http://{config.address}/?token={config.token}")
        announce(f"login file: {login.as_uri()}")
        announce(f"data folder: {config.data_dir}")
        announce("only you can open it: with the login file (readable only by you) or the address above; press Ctrl-C to stop")
        sys.stdout.flush()
        if open_browser:
            webbrowser.open(login.as_uri())  # the file's name on the browser's command line, never the token
        settings = {"log_level": "warning", "access_log": False, "lifespan": "on", "timeout_graceful_shutdown": 5}
        server = uvicorn.Server(uvicorn.Config(app, **settings, **connections.uvicorn_settings()))
        server.run(sockets=[sock])
    finally:
        with contextlib.suppress(OSError):
            login.unlink()
