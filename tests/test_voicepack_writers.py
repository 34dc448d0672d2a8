"""One writer per voice pack (issue 28, classes 1 and 3), with real processes: two `voice-pack
import` runs into one pack at once lose no recording (the second is refused in one line while the
first holds the pack), in both orders; `voice-pack delete` removes the pack and what its own dead
runs left, never another hidden folder beside it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from voicepack_takes import RATE_HZ, speak

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).parent / "data" / "voicepack-script.md"
SECONDS_OF_ROOM = 4.0  # around each phrase: an import long enough to be caught inside its lock


def _env(tmp_path: Path) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
        "SESSIONGEN_CACHE_DIR": str(tmp_path / "cache"),
    }


def _sessiongen(tmp_path: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sessiongen", *args], env=_env(tmp_path), capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A new pack (its sheet made by the command line) and two numbered folders of its takes."""
    tmp = tmp_path_factory.mktemp("made")
    made = _sessiongen(tmp, "voice-pack", "sheet", str(SCRIPT), "-o", str(tmp / "pack"), "--engine", "fake")
    assert made.returncode == 0, made.stderr
    phrases = json.loads((tmp / "pack" / "pack.json").read_text(encoding="utf-8"))["phrases"]
    _takes(tmp / "early", phrases[:5])
    _takes(tmp / "late", phrases[5:])
    return tmp, phrases


def _pack(made, tmp_path: Path) -> tuple[Path, list[dict]]:
    tmp, phrases = made
    for name in ("pack", "early", "late"):
        shutil.copytree(tmp / name, tmp_path / name)
    return tmp_path / "pack", phrases


def _takes(folder: Path, phrases: list[dict]) -> None:
    """A numbered folder of takes, one file a phrase, each with long room tone around it."""
    folder.mkdir()
    rng = np.random.default_rng(len(phrases))
    for phrase in phrases:
        room = rng.standard_normal(int(SECONDS_OF_ROOM * RATE_HZ)).astype(np.float32) * 0.002
        sf.write(folder / f"{phrase['id']:03d}.wav", np.concatenate([room, 0.4 * speak(phrase["text"]), room]), RATE_HZ)


def _recorded(pack: Path) -> set[int]:
    return {int(k) for k in json.loads((pack / "pack.json").read_text(encoding="utf-8"))["recorded"]}


def _holds_lock(pid: int, lock: Path) -> bool:
    """Whether process `pid` holds a flock on `lock` (the kernel's list, /proc/locks: looking
    never takes the lock, and a lock file made but not yet locked does not count)."""
    try:
        inode = lock.stat().st_ino
        table = Path("/proc/locks").read_text(encoding="ascii")
    except OSError:
        return False
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[4] == str(pid) and fields[5].rsplit(":", 1)[-1] == str(inode):
            return True
    return False


def _inside(pack: Path, process: subprocess.Popen, timeout_s: float = 120) -> None:
    """Wait until `process` is writing the pack: it holds the pack's lock, or (without one) its
    staging copy is there."""
    deadline = time.monotonic() + timeout_s
    lock, staging = pack.parent / f".{pack.name}.lock", pack.parent / f".{pack.name}.changing-{process.pid}"
    while not (_holds_lock(process.pid, lock) or staging.exists()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first import never started writing"
        time.sleep(0.005)


@pytest.mark.parametrize("first", ["early", "late"])
def test_two_imports_into_one_pack_at_once_lose_no_recording(made, tmp_path, first):
    pack, phrases = _pack(made, tmp_path)
    second = "late" if first == "early" else "early"
    command = [sys.executable, "-m", "sessiongen", "voice-pack", "import", str(pack)]
    holder = subprocess.Popen(
        [*command, str(tmp_path / first)], env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _inside(pack, holder)
        holder.send_signal(signal.SIGSTOP)  # held inside the pack while the second runs whole
        other = _sessiongen(tmp_path, "voice-pack", "import", str(pack), str(tmp_path / second))
    finally:
        holder.send_signal(signal.SIGCONT)
    out, err = holder.communicate(timeout=300)
    assert holder.returncode == 0, err
    assert other.returncode == 1, other.stdout + other.stderr
    assert (
        other.stderr.strip()
        == f"error: {pack}: another sessiongen run is writing this voice pack right now: wait for it to finish, or choose another name"
    )
    ids = {"early": {p["id"] for p in phrases[:5]}, "late": {p["id"] for p in phrases[5:]}}
    assert _recorded(pack) == ids[first]
    again = _sessiongen(tmp_path, "voice-pack", "import", str(pack), str(tmp_path / second))
    assert again.returncode == 0, again.stderr
    assert _recorded(pack) == ids["early"] | ids["late"]  # nothing of the first lost
    assert {p.name for p in (pack / "takes").iterdir()} == {f"{p['id']:03d}.wav" for p in phrases}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pack.")]
    assert not list((pack / "clips").rglob("*.part")) and sorted(p.name for p in tmp_path.iterdir()) == ["early", "late", "pack"]


def test_delete_removes_the_pack_and_its_dead_runs_leftovers_only(made, tmp_path):
    pack, _ = _pack(made, tmp_path)
    unrelated = [tmp_path / ".pack.my-notes", tmp_path / ".pack.changing-notes", tmp_path / ".pack.old-backup"]
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    live = tmp_path / f".pack.changing-{running.pid}"
    dead = tmp_path / ".pack.changing-999999999"
    try:
        for folder in [*unrelated, live, dead]:
            folder.mkdir()
            (folder / "keep.txt").write_text("mine", encoding="utf-8")
        gone = _sessiongen(tmp_path, "voice-pack", "delete", str(pack), "--yes")
        assert gone.returncode == 0, gone.stderr
        assert not pack.exists() and not dead.exists()
        for folder in [*unrelated, live]:
            assert (folder / "keep.txt").read_text(encoding="utf-8") == "mine", folder
        assert not (tmp_path / ".pack.lock").exists()
    finally:
        running.kill()
        running.wait()
