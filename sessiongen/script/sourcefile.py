"""Reading a file a user gave us: a regular file only, its size checked before a byte is read.

A device (/dev/zero), a FIFO or a folder is refused without being opened for long (a FIFO is
opened non-blocking, so it never waits for a writer), and a file that grows past its limit while
being read is refused too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sessiongen.errors import Location, SessiongenError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    """What a file is when it is not a regular file, or None."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_bounded(path: Path, max_bytes: int, *, shown: str, what: str, advice: str) -> bytes:
    """The bytes of a regular file of at most max_bytes. Every problem is one SessiongenError:
    "SHOWN: no such WHAT", "... cannot be read (...)", "... is a FIFO ...", or the size limit."""
    try:
        kind = _not_regular(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SessiongenError(f"{shown}: no such {what}") from None
    except OSError as exc:
        raise SessiongenError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if kind is not None:
        raise SessiongenError(f"{shown}: is {kind}, not a {what}: give a regular file")
    with os.fdopen(fd, "rb") as file:
        kind = _not_regular(os.fstat(file.fileno()).st_mode)  # replaced since the first look
        if kind is not None:
            raise SessiongenError(f"{shown}: is {kind}, not a {what}: give a regular file")
        try:
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise SessiongenError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise SessiongenError(f"the {what} is larger than the limit of {max_bytes:,} bytes: {advice}", Location(shown))
    return data


def decode_script(raw: bytes, shown: str) -> str:
    """Script or fragment bytes -> text with '\\n' line breaks (CR LF and a bare CR are line breaks
    too); not UTF-8, or containing NUL, is an error."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        raise SessiongenError("file is not UTF-8 text: save it as UTF-8", Location(shown, line, 1)) from None
    if "\x00" in text:
        raise SessiongenError("file is binary, not a script", Location(shown))
    return text.replace("\r\n", "\n").replace("\r", "\n")
