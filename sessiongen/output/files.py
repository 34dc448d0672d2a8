"""Writing files so that an interrupt leaves the old file or the new one, never a fragment; and
deciding, before anything is written, that every file a command writes is ours to replace.

- Only a regular file (or nothing) is ever replaced: a folder, a symbolic link, a device, a FIFO
  or a socket in a target's place is refused with one line. A symbolic link is refused rather
  than followed or replaced: following it could overwrite a file anywhere (as root, a system
  file), replacing it would silently break whatever it linked.
- A name that is not text (a lone surrogate from an undecodable command-line byte) is refused: the
  manifest, tags and pages record every name as UTF-8 text.
- `claim` checks a whole set of targets at once: no two may be the same file, counting names that
  differ only in case or Unicode normalisation as the same (as macOS and Windows do).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from sessiongen.errors import SessiongenError, display_path

try:
    import fcntl
except ImportError:  # not POSIX: one writer is not enforced there
    fcntl = None

TEMP_SUFFIX = ".part"
NAME_BYTES = 180  # a sanitised name's most UTF-8 bytes: room left for suffixes under the usual 255
WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?", re.IGNORECASE)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def shown(path: Path | str) -> str:
    """A path as it can be printed: bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def check_text(path: Path) -> None:
    """Refuse a name that is not text (a lone surrogate from an undecodable command-line byte), or
    that holds a NUL, which no file name can (the system would refuse it with a ValueError)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise SessiongenError(f"{shown(path)}: the name is not valid UTF-8 text: rename it (or its folder) with UTF-8 characters") from None
    if "\x00" in str(path):
        raise SessiongenError(f"{shown(path)!r}: a file name cannot hold a NUL character: choose another name")


def check_replaceable(target: Path | str) -> None:
    """Refuse a target that is not text, or whose place holds anything but a regular file."""
    target = Path(target)
    check_text(target)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SessiongenError(f"{target}: cannot be checked ({exc.strerror}): choose another name") from None
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    if stat.S_ISDIR(mode):
        raise SessiongenError(f"{display_path(target)}: there is a folder of that name: remove it or choose another name")
    raise SessiongenError(f"{display_path(target)}: is {kind}; only regular files are replaced: remove it or choose another name")


def same_file_key(path: Path | str) -> str:
    """What two names share when they are one file on some file system (case and Unicode
    normalisation aside)."""
    return unicodedata.normalize("NFC", str(Path(path).resolve())).casefold()


def claim(targets: Iterable[tuple[str, Path]], taken: dict[str, str] | None = None) -> dict[str, str]:
    """Check (what, path) targets before any is written: each replaceable, no two the same file,
    none among `taken` (key -> what already writes it). Returns `taken` with these added."""
    taken = dict(taken or {})
    for what, path in targets:
        check_replaceable(path)
        key = same_file_key(path)
        if key in taken:
            raise SessiongenError(f"{display_path(path)}: {what} would overwrite {taken[key]}: choose another name")
        taken[key] = f"{what} ({Path(path).name})"
    return taken


def safe_file_name(text: str, limit: int = 100, fallback: str = "unnamed") -> str:
    """A file name from any text, keeping letters of every script (accents on Latin letters are
    dropped: Zoë -> Zoe; 日本語, Ελένη and Андрей stay): separators, control and format characters
    (bidi overrides), punctuation and spaces become '-', and no name starts with a dot."""
    out = []
    for char in unicodedata.normalize("NFC", str(text)):
        if char.isascii():
            out.append(char if char.isalnum() or char in "._-" else "-")
            continue
        latin = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        if latin and latin.isalnum():
            out.append(latin)
        else:
            out.append(char if unicodedata.category(char)[0] in "LNM" else "-")
    name = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", "".join(out)))
    name = name.strip(".-")[:limit]
    while len(name.encode("utf-8")) > NAME_BYTES:
        name = name[:-1]
    name = name.strip(".-") or fallback
    return "_" + name[: limit - 1] if WINDOWS_RESERVED.fullmatch(name) else name


@contextlib.contextmanager
def atomic_path(target: Path | str, suffix: str = ""):
    """Yield a temporary path beside `target`; on success it is renamed over `target` (which
    must be a regular file or nothing, checked before and again just before the rename)."""
    target = Path(target)
    check_replaceable(target)
    remove_temporaries(target)  # what dead writers left (a kill -9): cleaned on the next run
    try:
        fd, temp = tempfile.mkstemp(
            prefix=_temp_prefix(target, os.getpid()), suffix=(suffix or target.suffix) + TEMP_SUFFIX, dir=target.parent
        )
    except OSError as exc:
        raise SessiongenError(f"{target}: cannot write there ({exc.strerror}): choose another folder or name") from None
    os.fchmod(fd, 0o666 & ~_umask())  # like any new file, not mkstemp's private 0600
    os.close(fd)
    try:
        yield Path(temp)
        check_replaceable(target)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def made_folders(*folders: Path | None):
    """The missing folders among `folders` (and their missing parents) made for the block, and
    removed again, if still empty, when it fails: a command that refuses creates nothing. A name
    that is not UTF-8 text is refused before anything is made."""
    made: list[Path] = []
    try:
        for folder in filter(None, folders):
            check_text(folder)
            missing = [f for f in (folder, *folder.parents) if not f.exists() and not f.is_symlink()]
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SessiongenError(f"{folder}: cannot create the folder ({exc.strerror})") from None
            made += missing
        yield
    except BaseException:
        for folder in sorted(made, key=lambda f: len(f.parts), reverse=True):  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


@contextlib.contextmanager
def one_writer(place: Path, what: str, beside: bool = False):
    """One writer at a time for `place` (a file to write, or a folder): a second run for the same
    place is refused in one line while the first runs. The lock is the kernel's (flock on a hidden
    lock file), so it ends with its process, kill -9 included; the file is removed when done. The
    lock file is inside a folder, or `beside` it (for a folder that is replaced whole, a voice pack)."""
    if fcntl is None:  # not on this system: nothing to hold
        yield
        return
    lock = place / ".sessiongen.lock" if place.is_dir() and not beside else _lock_beside(place)
    try:
        fd = _locked(lock)
    except OSError as exc:  # a folder that cannot be written: said as atomic_path says it
        raise SessiongenError(f"{place}: cannot write there ({exc.strerror}): choose another folder or name") from None
    if fd is None:
        raise SessiongenError(f"{place}: another sessiongen run is writing {what} right now: wait for it to finish, or choose another name")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)  # while still held: a run that opened it now finds it gone and tries again
        os.close(fd)


def _lock_beside(place: Path) -> Path:
    return place.parent / f".{place.name[:80]}.lock"


def _remove_if_unheld(lock: Path) -> bool:
    """Remove a lock file nobody holds: its holder was killed before it could remove it."""
    if fcntl is None or not lock.is_file():
        return False
    try:
        fd = _locked(lock)
    except (OSError, SessiongenError):
        return False
    if fd is None:
        return False  # a live writer's (this process's own included: flock is per open file)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)
    os.close(fd)
    return True


def _locked(lock: Path) -> int | None:
    """An open descriptor holding `lock` exclusively, or None while another process holds it."""
    for _ in range(10):
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                return fd  # the lock file that is there: ours
        os.close(fd)  # it was removed by its last holder as we took it: take the new one
    raise SessiongenError(f"{lock}: cannot take the lock: remove the file if no sessiongen run is writing there")


def _temp_prefix(target: Path, pid: int | None = None) -> str:
    """Temporary files are named by their target and the process writing them, so a run cleans
    up only what is its own or a dead process's, never another live run's."""
    return f".{target.name[:40]}." + ("" if pid is None else f"{pid}.")


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat_file:
            return stat_file.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def remove_temporaries(target: Path | str, pids: Iterable[int] = ()) -> list[Path]:
    """Remove the temporary files atomic_path left beside `target` by processes that are dead (a
    writer killed before its own cleanup ran, kill -9 included) or listed in `pids`, and its
    one_writer lock file if nobody holds it; a live process's are kept. Returns what was removed."""
    target, pids = Path(target), set(pids)
    prefix = _temp_prefix(target)
    removed = []
    for name in glob.glob(glob.escape(str(target.parent / prefix)) + "*" + TEMP_SUFFIX):
        owner = Path(name).name[len(prefix) :].split(".", 1)[0]
        if owner.isdigit() and int(owner) not in pids and alive(int(owner)):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
            removed.append(Path(name))
    if _remove_if_unheld(_lock_beside(target)):
        removed.append(_lock_beside(target))
    return removed


def _umask() -> int:
    """The process's umask, read without changing it: os.umask can only be read by setting it, and
    a thread creating a file in that moment would make it world-writable (issue 28). Linux says
    it in /proc; elsewhere the value read once when this module was imported is used."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return _UMASK_AT_IMPORT


def _read_umask_once() -> int:
    mask = os.umask(0o022)  # at import, before any thread of ours writes a file
    os.umask(mask)
    return mask


_UMASK_AT_IMPORT = _read_umask_once()


def write_text_atomic(target: Path | str, text: str) -> None:
    with atomic_path(target) as temp:
        temp.write_text(text, encoding="utf-8")
