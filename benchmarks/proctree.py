"""Peak RSS of each process in a tree, separately, while it runs (Linux /proc).

`os.wait4` gives one figure for a child and the descendants it reaped: the largest of them. To
tell the render process from its voice workers, `TreeWatcher` polls the tree under a root pid
(children from /proc/PID/task/*/children) and keeps, per process, the last VmHWM it read from
/proc/PID/status. VmHWM is the kernel's own high-water mark of the resident set, so a sample
taken any time before the process ends holds every earlier peak; only growth in the last
interval before a process ends can be missed (the render's own figure is cross-checked with
wait4's, which has no such gap).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

INTERVAL_S = 0.1


def children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def vmhwm_kb(pid: int) -> int | None:
    """The process's peak resident set so far, or None once it has ended (a zombie has none)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    return ""


def role(depth: int, command: str) -> str:
    """What a process of a render's tree is: the command itself, a multiprocessing worker (a
    voice worker, or a batch worker), multiprocessing's resource tracker, or something else."""
    if depth == 1:
        return "command"
    if "resource_tracker" in command:
        return "tracker"
    if "spawn_main" in command or "forkserver" in command:
        return "worker"
    return "other"


class TreeWatcher:
    """Poll the processes under `root` (not root itself) until stopped; `processes()` lists each
    one seen, with its role and peak RSS in MB."""

    def __init__(self, root: int, interval_s: float = INTERVAL_S):
        self.root, self.interval_s = root, interval_s
        self.seen: dict[int, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tree-watcher", daemon=True)

    def __enter__(self) -> TreeWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval_s):
                return

    def sample(self) -> None:
        level, depth = children(self.root), 1
        while level:
            following = []
            for pid in level:
                command = command_line(pid)
                peak = vmhwm_kb(pid)
                if peak is None or command_line(pid) != command:  # ended, or exec'd between the two reads
                    continue
                entry = self.seen.get(pid)
                if entry is None or entry["command"] != command[:160]:  # new, or it exec'd: a fork's VmHWM is its parent's
                    entry = self.seen[pid] = {
                        "pid": pid,
                        "depth": depth,
                        "role": role(depth, command),
                        "command": command[:160],
                        "vmhwm_kb": 0,
                    }
                entry["vmhwm_kb"] = max(entry["vmhwm_kb"], peak)
                following += children(pid)
            level, depth = following, depth + 1

    def processes(self) -> list[dict]:
        return [
            {**{k: v for k, v in p.items() if k != "vmhwm_kb"}, "vmhwm_mb": round(p["vmhwm_kb"] / 1024.0, 1)}
            for p in sorted(self.seen.values(), key=lambda p: (p["depth"], p["pid"]))
        ]
