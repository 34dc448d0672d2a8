"""A voice pack on disk: a folder the clinician owns.

    PACK/pack.json        the synthetic voice (engine, voice id, rate: what takes are matched against),
                          the phrase list (id, text, text hash, expected length, personal?, how
                          a personal phrase is spoken) and, per recorded phrase, where it is in
                          which take, what was measured and how sure the match is (check, accepted)
    PACK/sheet.html       the recording sheet
    PACK/takes/           the original takes, as given (never changed)
    PACK/clips/RATE_RMS/  the cleaned clips, derived from the takes (remade when missing)
    PACK/report.html, report.json   the last import's report

Nothing of a pack is written anywhere else. Changes are made in a copy beside the pack, which
then takes the pack's place (`changing`): an import that fails leaves the pack as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from sessiongen.errors import SessiongenError
from sessiongen.output.files import alive, atomic_path, one_writer, write_text_atomic
from sessiongen.output.jsontext import json_text
from sessiongen.voicepack.phrases import Phrase

PACK_FILE = "pack.json"
FORMAT = "sessiongen-voice-pack"
VERSION = 1


@dataclass
class Pack:
    folder: Path
    phrases: list[Phrase]
    sources: list[str]
    engine: str = ""
    voice: str = ""
    recorded: dict[int, dict] = field(default_factory=dict)  # phrase id -> its take, times, measures, clip
    takes: list[str] = field(default_factory=list)  # file names under takes/
    voice_id: str = ""  # the engine's id of the synthetic voice: its readings are what the takes are matched against
    rate_wpm: int = 0  # and its rate (0: the default)

    def phrase(self, phrase_id: int) -> Phrase:
        return next(p for p in self.phrases if p.id == phrase_id)

    @property
    def name(self) -> str:
        return self.folder.resolve().name

    def as_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "sources": self.sources,
            "engine": self.engine,
            "voice": self.voice,
            "voice_id": self.voice_id,
            "rate_wpm": self.rate_wpm,
            "phrases": [p.as_dict() for p in self.phrases],
            "takes": self.takes,
            "recorded": {str(k): v for k, v in sorted(self.recorded.items())},
        }


def clip_folder(folder: Path, rate_hz: int, rms_db: float) -> Path:
    return folder / "clips" / f"{rate_hz}_{rms_db:g}"


def write_clip(path: Path, mono: np.ndarray, rate_hz: int) -> None:
    with atomic_path(path) as temp:
        sf.write(str(temp), mono, rate_hz, subtype="PCM_24", format="WAV")


def load(folder: Path | str) -> Pack:
    folder = Path(folder)
    path = folder / PACK_FILE
    if not folder.is_dir():
        raise SessiongenError(f"{folder}: no such voice pack (make one with `sessiongen voice-pack sheet SCRIPT -o {folder}`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SessiongenError(f"{folder}: not a voice pack (no {PACK_FILE}): make one with `sessiongen voice-pack sheet`") from None
    except (OSError, ValueError) as exc:
        raise SessiongenError(f"{path}: cannot be read as a voice pack ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessiongenError(f"{path}: not a sessiongen voice pack")
    if data.get("version") != VERSION:
        raise SessiongenError(f"{path}: a voice pack of version {data.get('version')}, this sessiongen reads version {VERSION}")
    try:
        phrases = [Phrase.from_dict(p) for p in data["phrases"]]
        recorded = {int(k): dict(v) for k, v in data.get("recorded", {}).items()}
        voice_id, rate_wpm = str(data.get("voice_id", "")), int(data.get("rate_wpm", 0))
    except (KeyError, TypeError, ValueError) as exc:
        raise SessiongenError(f"{path}: a damaged voice pack ({type(exc).__name__}: {exc})") from None
    return Pack(
        folder,
        phrases,
        list(data.get("sources", [])),
        str(data.get("engine", "")),
        str(data.get("voice", "")),
        recorded,
        list(data.get("takes", [])),
        voice_id,
        rate_wpm,
    )


def save(pack: Pack) -> None:
    write_text_atomic(pack.folder / PACK_FILE, json_text(pack.as_dict(), PACK_FILE, indent=1, ensure_ascii=False) + "\n")


def create(folder: Path, pack: Pack, sheet_html: str) -> None:
    """A new pack folder; an existing pack there keeps its recordings only if its phrases are the
    same (otherwise: an error, so a recording is never lost by making a sheet again)."""
    with holding(folder):
        if folder.exists() and not folder.is_dir():
            raise SessiongenError(f"{folder}: is a file: choose a folder for the voice pack")
        if (folder / PACK_FILE).exists():
            old = load(folder)
            if old.recorded and [p.as_dict() for p in old.phrases] != [p.as_dict() for p in pack.phrases]:
                raise SessiongenError(
                    f"{folder}: this voice pack already holds recordings of other phrases: "
                    "choose a new folder (or delete it with `sessiongen voice-pack delete`)"
                )
            pack.recorded, pack.takes = old.recorded, old.takes
        with changing(folder, must_exist=False) as staging:
            pack.folder = staging
            save(pack)
            write_text_atomic(staging / "sheet.html", sheet_html)
        pack.folder = folder


@contextlib.contextmanager
def changing(folder: Path, must_exist: bool = True) -> Iterator[Path]:
    """A copy of the pack folder to change; on success it replaces the pack, on any error (or a
    stop) it is removed and the pack is left as it was."""
    folder = Path(folder)
    parent = folder.resolve().parent if folder.exists() else folder.absolute().parent
    if not parent.is_dir():
        raise SessiongenError(f"{folder}: the folder {parent} does not exist: create it or choose another")
    staging = parent / f".{folder.name}.changing-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if folder.is_dir():
            shutil.copytree(folder, staging, copy_function=_link_or_copy)
        elif must_exist:
            raise SessiongenError(f"{folder}: no such voice pack")
        else:
            staging.mkdir()
        yield staging
        _swap(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _link_or_copy(source: str, target: str) -> None:
    """The takes are never changed in place: a hard link shares them (a copy where links fail)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _swap(staging: Path, folder: Path) -> None:
    old = staging.with_name(staging.name.replace(".changing-", ".old-"))
    if folder.exists():
        os.replace(folder, old)
    try:
        os.replace(staging, folder)
    except OSError:
        if old.exists():
            os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def doubtful(recorded: dict) -> bool:
    """A recorded phrase the import was not sure of (marked check) and the clinician has not accepted."""
    match = recorded.get("match") or {}
    return bool(match.get("check")) and not match.get("accepted")


def accept(folder: Path, ids: list[int]) -> list[int]:
    """Accept phrases marked check (the clinician listened: it is the phrase); all or nothing.
    The ids that were marked check (the others, recorded and sure, are left as they were)."""
    with holding(folder):
        pack = load(folder)
        known = {p.id for p in pack.phrases}
        for phrase_id in ids:
            if phrase_id not in known:
                raise SessiongenError(f"{folder}: the sheet has no phrase {phrase_id} (phrases 1 to {len(pack.phrases)}): nothing accepted")
            if phrase_id not in pack.recorded:
                raise SessiongenError(
                    f"{folder}: phrase {phrase_id} is not recorded, so there is nothing to accept: record it, then import it; nothing accepted"
                )
        marked = sorted({i for i in ids if doubtful(pack.recorded[i])})
        if not marked:
            return []
        with changing(folder) as staging:
            for phrase_id in marked:
                pack.recorded[phrase_id]["match"] = {**pack.recorded[phrase_id]["match"], "accepted": True}
            pack.folder = staging
            save(pack)
        pack.folder = Path(folder)
        return marked


@contextlib.contextmanager
def holding(folder: Path | str) -> Iterator[None]:
    """One writer at a time for a pack (an import, an accept, a new sheet, a delete): a second is
    refused in one line while the first runs, so no run replaces the pack with a copy that lacks
    the first's recordings. The lock file sits beside the pack (the folder itself is replaced whole)."""
    folder = Path(folder).absolute()
    if not folder.parent.is_dir():
        raise SessiongenError(f"{folder}: the folder {folder.parent} does not exist: create it or choose another")
    with one_writer(folder, "this voice pack", beside=True):
        yield


def delete(folder: Path) -> int:
    """Remove a pack completely (its takes, clips, reports and sheet); the number of files removed.
    Beside it, only what a dead run of ours left while changing it (`.NAME.changing-PID`,
    `.NAME.old-PID`) goes too: never another hidden folder, nor a live run's."""
    with holding(folder):
        pack = load(folder)
        files = sum(1 for p in pack.folder.rglob("*") if p.is_file())
        try:
            shutil.rmtree(pack.folder)
        except OSError as exc:
            raise SessiongenError(f"{folder}: could not be deleted completely ({exc.strerror}): remove what is left by hand") from None
        for stale in leftovers(pack.folder):
            shutil.rmtree(stale, ignore_errors=True)
    return files


def leftovers(folder: Path) -> list[Path]:
    """The staging copies dead runs left beside a pack (`changing` names them by process)."""
    pattern = re.compile(rf"\.{re.escape(folder.name)}\.(?:changing|old)-(\d+)")
    found = []
    for path in folder.absolute().parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and path.is_dir() and not path.is_symlink() and not alive(int(match.group(1))):
            found.append(path)
    return found
