"""The studio as a real process, over real connections (issue 28, class 4): the token never on a
command line (a login file readable only by the user), a new secret at each start, the Host
checked exactly over raw sockets, and 300 slow connections under a 256-file limit that do not
stop it answering."""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
FD_LIMIT = 256


class Studio:
    """A `sessiongen studio` process and what it printed."""

    def __init__(self, tmp: Path, *args: str, fd_limit: int | None = None, browser: Path | None = None):
        runtime = tmp / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
            "SESSIONGEN_NO_NETWORK": "1",
            "PYTHONUNBUFFERED": "1",
            "XDG_RUNTIME_DIR": str(runtime),
        }
        if browser is not None:
            env["BROWSER"] = str(browser)
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))) if fd_limit else None
        command = [sys.executable, "-m", "sessiongen", "studio", "--data", str(tmp / "data"), "--engine", "fake", "--workers", "1"]
        self.process = subprocess.Popen(
            [*command, *(args or ("--no-browser",))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=limit,
        )
        lines = [self.process.stdout.readline() for _ in range(2)]
        match = re.search(r"http://(127\.\d+\.\d+\.\d+):(\d+)/\?token=(\S+)", lines[0])
        assert match, f"the studio did not start: {lines!r} {self.process.stderr.read() if self.process.poll() is not None else ''}"
        self.host, self.port, self.token = match.group(1), int(match.group(2)), match.group(3)
        self.address = f"{self.host}:{self.port}"
        self.login = Path(unquote(urlparse(lines[1].split("login file: ", 1)[1].strip()).path))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=30)


@pytest.fixture
def studio(tmp_path):
    made = []

    def start(*args, **kwargs) -> Studio:
        made.append(Studio(tmp_path, *args, **kwargs))
        return made[-1]

    yield start
    for one in made:
        one.stop()


def request(address: str, head: str, body: bytes = b"", timeout_s: float = 10.0) -> tuple[int, dict, bytes]:
    """One raw HTTP/1.1 request (the head as written, with Connection: close): status, headers, body."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"Connection: close\r\n\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    top, _, rest = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers.setdefault(key.strip().lower(), []).append(value.strip())
    return int(lines[0].split()[1]), headers, rest


def login(one: Studio) -> str:
    """POST the login file's form, as the browser does from the file: the cookie it sets."""
    form = re.search(r'name="token" value="([^"]+)"', one.login.read_text(encoding="utf-8")).group(1)
    body = f"token={form}".encode()
    head = f"POST /login HTTP/1.1\nHost: {one.address}\nOrigin: null\nContent-Type: application/x-www-form-urlencoded\nContent-Length: {len(body)}\n"
    status, headers, _ = request(one.address, head, body)
    assert status == 200, status
    return headers["set-cookie"][0].split(";", 1)[0]


def get(one: Studio, path: str, cookie: str = "", host: str | None = None) -> int:
    return request(
        one.address, f"GET {path} HTTP/1.1\nHost: {one.address if host is None else host}\n" + (f"Cookie: {cookie}\n" if cookie else "")
    )[0]


def test_the_browser_is_given_a_login_file_never_the_token(studio, tmp_path):
    recorder = tmp_path / "browser.sh"
    opened = tmp_path / "opened.txt"
    recorder.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {opened}\n', encoding="utf-8")
    recorder.chmod(0o700)
    one = studio("--port", "0", browser=recorder)
    deadline = time.monotonic() + 20
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    argv = opened.read_text(encoding="utf-8")
    assert argv.strip() == one.login.as_uri() and one.token not in argv
    info = one.login.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.getuid()
    assert one.login.parent == tmp_path / "runtime"
    assert one.token in one.login.read_text(encoding="utf-8")
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert one.token not in cmdline.read_bytes().decode(errors="replace"), cmdline
        except OSError:
            continue
    cookie = login(one)
    assert cookie.startswith(f"sessiongen_studio_{one.port}=") and one.token not in cookie
    assert get(one, "/clients", cookie) == 200 and get(one, "/clients") == 403
    one.stop()
    assert not one.login.exists()


def test_each_start_has_its_own_address_token_and_cookie(studio, tmp_path):
    first = studio()
    cookie = login(first)
    port = first.port
    first.stop()
    second = studio("--no-browser", "--port", str(port))
    assert second.port == port and second.token != first.token and second.address != first.address
    assert get(second, "/clients", cookie) == 403  # the old cookie, to the same port: refused
    name, _, value = cookie.partition("=")
    assert get(second, "/clients", f"sessiongen_studio_{port + 1}={value}") == 403
    assert get(second, "/clients", login(second)) == 200


def test_the_host_must_be_exactly_the_studios_own(studio):
    one = studio()
    cookie = login(one)
    assert get(one, "/clients", cookie) == 200
    for host in (
        f"{one.host}:evil",
        "127.0.0.1:evil",
        f"127.0.0.1:{one.port}",
        f"localhost:{one.port}",
        f"{one.host}:{one.port + 1}",
        one.host,
        f"{one.host}:{one.port}.evil.example",
        f"evil.example:{one.port}",
        f"[::1]:{one.port}",
        "",
    ):
        assert get(one, "/clients", cookie, host=host) in (400, 403), host


def _hold(address: str, count: int, stop: threading.Event) -> list[socket.socket]:
    """`count` connections, opened and left: half send nothing, half one byte a second."""
    host, port = address.rsplit(":", 1)
    held = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(2)
        try:
            sock.connect((host, int(port)))
        except OSError:
            sock.close()  # the backlog is full (the studio stopped accepting): the next try shows it
            continue
        held.append(sock)

    def trickle():
        while not stop.wait(1.0):
            for sock in held[::2]:
                try:
                    sock.send(b"G")
                except OSError:
                    continue

    threading.Thread(target=trickle, daemon=True).start()
    return held


def test_300_slow_connections_do_not_stop_it_answering_under_a_256_file_limit(studio):
    one = studio(fd_limit=FD_LIMIT)
    cookie = login(one)
    stop = threading.Event()
    held = _hold(one.address, 300, stop)
    try:
        for _ in range(3):
            started = time.monotonic()
            assert get(one, "/clients", cookie) == 200
            assert time.monotonic() - started < 5
            time.sleep(1)
    finally:
        stop.set()
        for sock in held:
            sock.close()
    assert one.process.poll() is None


def test_a_head_sent_a_byte_a_second_is_cut_off(studio):
    from sessiongen.studio import connections

    one = studio()
    host, port = one.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        started = time.monotonic()
        closed_after = None
        for byte in b"GET /clients HTTP/1.1\r\nHost: " + one.address.encode() + b"\r\nX-Slow: " + b"a" * 100:
            try:
                sock.send(bytes([byte]))
                if sock.recv(1, socket.MSG_DONTWAIT) == b"":
                    closed_after = time.monotonic() - started
                    break
            except BlockingIOError:
                pass
            except OSError:
                closed_after = time.monotonic() - started
                break
            time.sleep(0.25)
    assert closed_after is not None and connections.HEAD_TIMEOUT_S - 1 < closed_after < connections.HEAD_TIMEOUT_S + 5


class _Recorder:
    """A plain local web server (another program on this computer) recording the cookies it is sent."""

    def __init__(self, host: str, port: int = 0):
        import http.server

        cookies = self.cookies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                cookies.append(self.headers.get("Cookie") or "")
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<!doctype html><title>another program</title><p>hello")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_browser_opens_the_login_file_and_sends_the_cookie_to_no_other_server(browser, studio):
    """Chromium sends a host's cookies to every port of it: on 127.0.0.1 the studio's cookie went
    to any other local server the user opened. The studio's own address keeps it from them."""
    one = studio()
    others = [_Recorder("127.0.0.1"), _Recorder("127.0.0.1", one.port)]  # another port, and the studio's port on 127.0.0.1
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(one.login.as_uri())
        tab.wait_for_url(f"http://{one.address}/", timeout=20_000)
        assert "Library" in tab.content()
        assert tab.goto(f"http://{one.address}/clients").status == 200
        names = [c["name"] for c in context.cookies()]
        assert names == [f"sessiongen_studio_{one.port}"] and one.token not in str(context.cookies())
        for other in others:
            assert tab.goto(other.url).status == 200
            assert other.cookies and not any("sessiongen" in c for c in other.cookies), other.cookies
    finally:
        context.close()
        for other in others:
            other.close()
