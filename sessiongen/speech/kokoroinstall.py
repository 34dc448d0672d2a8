"""Installing Kokoro's voices: from the npm package kokoro-js 1.2.1 (fetched by name with `npm
pack` where npm is present, or a tarball the user brought), every voice file checked against the
SHA-256 recorded in data/kokoro-voices.json before any is written; then the model assembled.
The only step of sessiongen that may use the network, and only through npm, when asked to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sessiongen import offline
from sessiongen.errors import SessiongenError
from sessiongen.speech import kokorofiles as files

PACKAGE = "kokoro-js@1.2.1"
TARBALL = "kokoro-js-1.2.1.tgz"
NPM_TIMEOUT_S = 300
HOW_TO_GET = (
    f"on a machine with npm, run `npm pack {PACKAGE}` (it writes {TARBALL}, 27 MB), bring that file here "
    f"and run `sessiongen voices install --from {TARBALL}`"
)


def install(tarball: Path | None = None) -> list[str]:
    """Install every voice of the tarball (fetched with npm when none is given); the names
    installed. Nothing is written unless every voice file in it checks out."""
    if tarball is not None:
        return _from_tarball(Path(tarball))
    npm = shutil.which("npm")
    if npm is None:
        raise SessiongenError(f"npm is not installed here, and Kokoro's voices come in its package {PACKAGE}: {HOW_TO_GET}")
    if os.environ.get(offline.ENV) == "1":
        raise SessiongenError(f"the network is refused ({offline.ENV}=1), so npm cannot fetch {PACKAGE}: {HOW_TO_GET}")
    with tempfile.TemporaryDirectory(prefix="sessiongen-npm-") as folder:
        try:
            subprocess.run(
                [npm, "pack", PACKAGE, "--pack-destination", folder],
                check=True,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
                cwd=folder,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            detail = (getattr(exc, "stderr", "") or str(exc)).strip().splitlines()
            raise SessiongenError(f"`npm pack {PACKAGE}` failed ({detail[-1] if detail else 'no output'}): {HOW_TO_GET}") from None
        return _from_tarball(Path(folder) / TARBALL)


def _from_tarball(tarball: Path) -> list[str]:
    voices = _read_voices(tarball)
    target = files.voices_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in voices.items():
            _write(target / f"{name}.bin", data)
    except OSError as exc:
        raise SessiongenError(
            f"{target}: Kokoro's voices cannot be written there ({exc.strerror}): set {files.HOME_ENV} to a writable folder"
        ) from None
    files.model_path()  # assembled once now, so the first render does not
    return sorted(voices)


def _read_voices(tarball: Path) -> dict[str, bytes]:
    """name -> the voice file's bytes, each checked; one line naming the tarball when it is not kokoro-js 1.2.1."""
    catalogue = files.catalogue()
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                name = Path(member.name).stem
                if member.isfile() and member.name == f"package/voices/{name}.bin" and name in catalogue:
                    found[name] = archive.extractfile(member).read()
    except FileNotFoundError:
        raise SessiongenError(f"{tarball}: no such file: {HOW_TO_GET}") from None
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise SessiongenError(f"{tarball}: not a readable npm package tarball ({type(exc).__name__}): {HOW_TO_GET}") from None
    for name, data in found.items():
        if hashlib.sha256(data).hexdigest() != catalogue[name].sha256:
            raise SessiongenError(
                f"{tarball}: the voice {name} in it is not kokoro-js 1.2.1's (SHA-256 differs); nothing was installed: {HOW_TO_GET}"
            )
    if set(found) != set(catalogue):
        missing = sorted(set(catalogue) - set(found))
        raise SessiongenError(
            f"{tarball}: not {TARBALL} (it lacks {len(missing)} voices, e.g. {missing[0]}); nothing was installed: {HOW_TO_GET}"
        )
    return found


def _write(path: Path, data: bytes) -> None:
    from sessiongen.output.files import atomic_path

    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    with atomic_path(path) as temp:
        temp.write_bytes(data)
