"""The studio's guard: who may talk to it, what a request may carry, which files it may name.

- Only loopback: the server binds 127.0.0.1 and ::1, and a request whose Host header is not a
  loopback name is refused (a web page elsewhere cannot reach it through DNS rebinding).
- A random token, printed at start (as Jupyter does): `?token=...` once, then a cookie
  (HttpOnly, SameSite=Strict). Every request without it gets 403.
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

COOKIE = "sessiongen_studio"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
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


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def body_limit(path: str) -> int:
    """The most bytes a request to `path` may send."""
    for prefix, limit in UPLOAD_LIMITS:
        if path.startswith(prefix):
            return limit
    return FORM_BYTES


def loopback_host(host_header: str) -> bool:
    """Whether a Host header names this machine's loopback (with or without a port)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in LOOPBACK_HOSTS


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
    """ASGI middleware: the Host check, the token (query once, then cookie), the body limit and
    the security headers, before any route runs."""

    def __init__(self, app, token: str, trace_file: Path | None = None):
        self.app, self.token, self.trace_file = app, token, trace_file

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await _plain(send, *refusal)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:  # the link printed at start: set the cookie, and drop the token from the address
            rest = urlencode({k: v for k, v in query.items() if k != "token"}, doseq=True)
            location = scope["path"] + (f"?{rest}" if rest else "")
            cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            return await _plain(send, 303, "", [(b"location", location.encode()), (b"set-cookie", cookie.encode())])
        started = {"response": False}
        try:
            await self.app(scope, _bounded(receive, body_limit(scope["path"])), _with_headers(send, started))
        except Exception as exc:  # a bug: its traceback (which may quote a value) to a file, one line to the log
            note_internal_error(exc, self.trace_file)
            if not started["response"]:
                await _plain(send, 500, "internal error: the studio's errors.log in the data folder says where")

    def _refusal(self, scope, headers) -> tuple[int, str] | None:
        if not loopback_host(headers.get("host", "")):
            return 403, "this studio answers only on 127.0.0.1, ::1 or localhost"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0] or _cookie(headers.get("cookie", ""), COOKIE)
        if not given or not same(given, self.token):
            return 403, "open the studio with the link it printed when it started (it carries a token)"
        origin = headers.get("origin")
        if scope["method"] not in ("GET", "HEAD") and origin and not loopback_host(origin.split("://", 1)[-1]):
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


async def _plain(send, status: int, text: str, headers=()) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})
