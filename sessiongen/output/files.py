"""Writing files so that an interrupt leaves the old file or the new one, never a fragment."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from sessiongen.errors import SessiongenError


@contextlib.contextmanager
def atomic_path(target: Path | str, suffix: str = ""):
    """Yield a temporary path beside `target`; on success it is renamed over `target`."""
    target = Path(target)
    if target.is_dir():
        raise SessiongenError(f"{target}: there is a folder of that name: remove it or choose another name")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=(suffix or target.suffix) + ".part", dir=target.parent)
    except OSError as exc:
        raise SessiongenError(f"{target}: cannot write there ({exc.strerror}): choose another folder or name") from None
    os.fchmod(fd, 0o666 & ~_umask())  # like any new file, not mkstemp's private 0600
    os.close(fd)
    try:
        yield Path(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(target: Path | str, text: str) -> None:
    with atomic_path(target) as temp:
        temp.write_text(text, encoding="utf-8")
