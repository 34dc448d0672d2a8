"""The studio's guard: who may talk to it, what a request may carry, which files it may name.

- Only loopback, and only its own address: the server binds one random loopback address
  (127.A.B.C, server.py), and a request whose Host header is not exactly that address and port
  is refused (a web page elsewhere cannot reach it through DNS rebinding, `127.0.0.1:evil` is not
  it).
- A random token per start. The browser gets it from a login file readable only by the user
  (server.py), which posts it to /login; or from the printed link, `?token=...` once. Either
  sets a cookie (HttpOnly, SameSite=Strict) named for the port, whose value is derived from the
  token and the studio's own host:port, so it is new at each start and a cookie from another
  start or another studio opens nothing. Every request without it gets 403.
- State changes are POST with a CSRF token (a form field or the X-CSRF-Token header), derived from
  the session token; a cross-site Origin is refused.
- Bodies are bounded before they are read: rosters 1 MB, audio 200 MB, cover art 10 MB, forms 1 MB.
- `inside` turns a relative name from a request into a path in the data folder, refusing
  traversal (`..`), absolute paths and symbolic links.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode

COOKIE = "sessiongen_studio"  # the cookie's name is this, then _PORT (cookie_name)
LOGIN_PATH = "/login"
LOGIN_BYTES = 4096
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
ROSTER_BYTES = 1_000_000
AUDIO_BYTES = 200_000_000
COVER_BYTES = 10_000_000
FORM_BYTES = 1_000_000
UPLOAD_LIMITS = (("/batch/new", ROSTER_BYTES), ("/uploads/bed", AUDIO_BYTES), ("/uploads/cover", COVER_BYTES))
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)


class OutsideDataFolder(Exception):
    """A name from a request that does not name a file inside the data folder (answered with 404)."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_for(token: str) -> str:
    """The CSRF token of a studio session: derived from its secret token, so it needs no storage."""
    return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()[:32]


def cookie_name(address: str) -> str:
    """The cookie's name for a studio at `address` (host:port): one per port, so two studios (or
    two starts) never share or overwrite one."""
    return f"{COOKIE}_{address.rpartition(':')[2]}"


def cookie_value(token: str, address: str) -> str:
    """The cookie's value: derived from this start's token and the studio's own host:port."""
    return hmac.new(token.encode(), f"cookie {address}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def body_limit(path: str) -> int:
    """The most bytes a request to `path` may send."""
    for prefix, limit in UPLOAD_LIMITS:
        if path.startswith(prefix):
            return limit
    return FORM_BYTES


def own_host(host_header: str, address: str) -> bool:
    """Whether a Host header is exactly the studio's own host:port (`127.0.0.1:evil`, another
    port, another loopback name or no port are not)."""
    return host_header.strip().lower() == address.lower()


def login_page(address: str, token: str) -> str:
    """The login file's HTML: opened by the browser from disk, it posts the token to the studio
    (it never appears in an address, a command line or the history)."""
    action = f"http://{address}{LOGIN_PATH}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Opening the studio</title></head>\n'
        '<body onload="document.forms[0].submit()">\n'
        f'<form method="post" action="{action}"><input type="hidden" name="token" value="{token}">\n'
        '<p>Opening the sessiongen studio&hellip;</p><button type="submit">Open the studio</button></form>\n</body></html>\n'
    )


def inside(data_dir: Path, relative: str) -> Path:
    """`relative` (from a request) as a path in `data_dir`; OutsideDataFolder for anything that
    could leave it: an absolute path, a drive, `..`, a NUL, or a symbolic link on the way."""
    text = str(relative or "").replace("\\", "/")
    if not text or "\x00" in text or text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise OutsideDataFolder(text)
    parts = text.split("/")
    if any(part in ("..", ".", "") for part in parts):
        raise OutsideDataFolder(text)
    current = data_dir
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise OutsideDataFolder(text)
    if not current.resolve().is_relative_to(data_dir.resolve()):
        raise OutsideDataFolder(text)
    return current


def safe_id(text: str, limit: int = 64) -> str:
    """An identifier from a request (a client id, a job id) usable as one file name, or ''."""
    text = str(text or "").strip()
    return text if re.fullmatch(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{limit - 1}}}", text) else ""


class Guard:
    """ASGI middleware: the Host check, the token (the login file's POST, or the query once, then
    the cookie), the body limit and the security headers, before any route runs."""

    def __init__(self, app, token: str, address: str, trace_file: Path | None = None):
        self.app, self.token, self.address, self.trace_file = app, token, address, trace_file
        self.cookie = f"{cookie_name(address)}={cookie_value(token, address)}; Path=/; HttpOnly; SameSite=Strict"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not own_host(headers.get("host", ""), self.address):
            return await _plain(send, 403, f"this studio answers only at {self.address}")
        if scope["path"] == LOGIN_PATH and scope["method"] == "POST":
            return await self._login(receive, send)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await _plain(send, *refusal)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:  # the link printed at start: set the cookie, and drop the token from the address
            rest = urlencode({k: v for k, v in query.items() if k != "token"}, doseq=True)
            location = scope["path"] + (f"?{rest}" if rest else "")
            return await _plain(send, 303, "", [(b"location", location.encode()), (b"set-cookie", self.cookie.encode())])
        started = {"response": False}
        try:
            await self.app(scope, _bounded(receive, body_limit(scope["path"])), _with_headers(send, started))
        except Exception as exc:  # a bug: its traceback (which may quote a value) to a file, one line to the log
            note_internal_error(exc, self.trace_file)
            if not started["response"]:
                await _plain(send, 500, "internal error: the studio's errors.log in the data folder says where")

    async def _login(self, receive, send) -> None:
        """The login file's form (its Origin is `null`: a file): the token in the body sets the
        cookie; the page then moves to / itself, so that navigation is the studio's own (a
        SameSite=Strict cookie is not sent on a redirect from another site's POST)."""
        body = b""
        while len(body) <= LOGIN_BYTES:
            message = await receive()
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        given = (parse_qs(body[:LOGIN_BYTES].decode("latin-1")).get("token") or [""])[0]
        if not given or not same(given, self.token):
            return await _plain(send, 403, "this login file is from another start of the studio: open the newest one")
        page = '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>Studio</title><a href="/">Open</a>'
        await _plain(send, 200, page, [(b"set-cookie", self.cookie.encode())], b"text/html; charset=utf-8")

    def _refusal(self, scope, headers) -> tuple[int, str] | None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0]
        cookie = _cookie(headers.get("cookie", ""), cookie_name(self.address))
        if not (given and same(given, self.token)) and not (cookie and same(cookie, cookie_value(self.token, self.address))):
            return 403, "open the studio with the login file or the link it printed when it started (it carries a token)"
        origin = headers.get("origin")
        if scope["method"] not in ("GET", "HEAD") and origin and not own_host(origin.split("://", 1)[-1], self.address):
            return 403, "a request from another site was refused"
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > body_limit(scope["path"]):
            return 413, f"too large: the limit here is {body_limit(scope['path']) // 1_000_000} MB"
        return None


class TooLarge(Exception):
    """A body (sent without a length, or longer than it said) passed its limit while being read."""


def _bounded(receive, limit: int):
    seen = {"bytes": 0}

    async def bounded():
        message = await receive()
        if message["type"] == "http.request":
            seen["bytes"] += len(message.get("body", b""))
            if seen["bytes"] > limit:
                raise TooLarge(f"over {limit} bytes")
        return message

    return bounded


def note_internal_error(exc: BaseException, trace_file: Path | None) -> None:
    """An internal error: its type on stderr (never its message: it may quote a client's value),
    its traceback appended to `trace_file`."""
    import sys
    import traceback

    print(f"sessiongen studio: internal error ({type(exc).__name__}); the traceback is in {trace_file or 'nowhere'}", file=sys.stderr)
    if trace_file is not None:
        with open(trace_file, "a", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(exc)) + "\n")


def _with_headers(send, started):
    extra = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cache-control", b"no-store"),
    ]

    async def sending(message):
        if message["type"] == "http.response.start":
            started["response"] = True
            names = {k.lower() for k, _ in message.get("headers", [])}
            message = {**message, "headers": [*message.get("headers", []), *[(k, v) for k, v in extra if k not in names]]}
        await send(message)

    return sending


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _plain(send, status: int, text: str, headers=(), kind: bytes = b"text/plain; charset=utf-8") -> None:
    body = text.encode()
    extra = [(b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"), (b"content-security-policy", b"default-src 'none'")]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *extra, *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})
