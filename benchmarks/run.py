#!/usr/bin/env python3
"""sessiongen benchmarks (issue 8): render reproducible workloads, print a table, write JSON.

    make bench                                   # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --runs 5  # more runs per figure (median reported)
    .venv/bin/python benchmarks/run.py --quick   # smoke run: 1 run, shorter sessions
    .venv/bin/python benchmarks/run.py --only e2e,encoder

Every figure is the median of --runs runs (memory: of --memory-runs). Renders run as
subprocesses of the installed `sessiongen` command, each with its own phrase cache
(SESSIONGEN_CACHE_DIR): a warm one filled before timing, or a fresh one per run for "cold". The
user's own phrase cache is never touched. Results go to benchmarks/results/latest.json (and the
table to stdout); see benchmarks/README.md and docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
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
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

SELF = Path(__file__).resolve()
HERE = SELF.parent
ROOT = HERE.parent
WORKLOADS = HERE / "workloads"
MAIN_WORKLOAD = WORKLOADS / "steady-ground-30.md"  # 30 min: ~10 min speech, 8 min of sets, pink bed
SHORT_WORKLOAD = WORKLOADS / "steady-ground-10.md"  # the same proportions at a third: 10 min
DEFAULT_OUTPUT = HERE / "results" / "latest.json"
SECTIONS = ("e2e", "encoder", "native", "speech", "memory", "batch")

# Targets (issue 8), checked on figures measured in the same run.
MP3_OVER_ENCODER_MAX = 1.15
WAV_OVER_NATIVE_MAX = 0.25
SPEECH_OVER_ESPEAK_MIN = 0.7
RSS_LIMIT_MB = 250.0
RSS_GROWTH_MAX = 1.3
BATCH_SPEEDUP_MIN = 1.7

PACKAGES = (
    "sessiongen", "numpy", "soundfile", "soxr", "lameenc", "pyebur128", "pyttsx3", "espeakng-loader",
    "imageio-ffmpeg", "mutagen", "click", "Jinja2", "PyYAML",
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


def run(argv: list, env: dict | None = None, check: bool = True) -> Proc:
    """Run argv; its wall time, CPU time and peak RSS come from wait4 on it alone, in the launcher."""
    argv = [str(a) for a in argv]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, result.name, *argv], stdout=out, stderr=err,
                       stdin=subprocess.DEVNULL, env=env, cwd=ROOT, check=False)
        measured = json.loads(Path(result.name).read_text() or "{}")
        out.seek(0)
        err.seek(0)
        if not measured:
            raise RuntimeError(f"the launcher failed for {' '.join(argv[:4])}: {err.read().strip()[-800:]}")
        proc = Proc(argv, measured["wall_s"], measured["cpu_s"], measured["maxrss_kb"] / 1024.0, measured["code"], out.read(), err.read())
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
    stamp = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).isoformat(timespec="seconds")
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


# -- the benchmark run --------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.runs = 1 if args.quick else args.runs
        self.memory_runs = 1 if args.quick else args.memory_runs
        self.work = Path(tempfile.mkdtemp(prefix="sessiongen-bench-"))
        self.warm_cache = self.work / "cache-warm"
        self.sessiongen = sessiongen_cmd()
        # The session the timing figures use, and the lengths of the memory sweep.
        if self.quick:
            self.session = (SHORT_WORKLOAD, 10.0)
            self.sweep = [(SHORT_WORKLOAD, 10.0), (SHORT_WORKLOAD, 20.0)]
            self.control = None
            self.batch_rows, self.batch_minutes = 2, 10.0
        else:
            self.session = (MAIN_WORKLOAD, 30.0)
            self.sweep = [(SHORT_WORKLOAD, 10.0), (MAIN_WORKLOAD, 30.0), (MAIN_WORKLOAD, 60.0), (MAIN_WORKLOAD, 120.0)]
            self.control = None if args.no_control else (SHORT_WORKLOAD, 120.0)
            self.batch_rows, self.batch_minutes = 8, 10.0
        self.results: dict = {}
        self.errors: dict = {}
        self.notes: list[str] = []
        self.mastered_wav: Path | None = None  # the session rendered to WAV: the encoder's input
        self.package = package_state()  # sessiongen's source at the start
        self.sections: dict[str, dict] = {}  # section -> its duration and the machine's CPU busy and stolen shares
        self.changed: dict[str, list[str]] = {}  # section -> files that differ from the start of the run at its end

    # -- helpers --
    def render(self, workload: Path, minutes: float, out: Path, cache: Path) -> Proc:
        argv = [*self.sessiongen, "render", workload, "--minutes", f"{minutes:g}", "-o", out, "--sidecars", "none"]
        return run(argv, env_with_cache(cache))

    def fresh_cache(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="cache-cold-", dir=self.work))

    def warm_up(self) -> None:
        """Fill the warm cache with every phrase of both workloads (plan synthesises, renders nothing)."""
        log("warming the phrase cache (untimed) ...")
        for workload in (MAIN_WORKLOAD, SHORT_WORKLOAD):
            run([*self.sessiongen, "plan", workload, "--json"], env_with_cache(self.warm_cache))

    def section(self, name: str, function) -> None:
        if name not in self.args.only:
            return
        log(f"== {name}")
        started, ticks = time.perf_counter(), cpu_times()
        try:
            function()
        except Exception as exc:  # one failing section must not lose the others' figures
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            log(f"   FAILED: {self.errors[name]}")
        after = package_state()
        if after["sha256"] != self.package["sha256"]:
            self.changed[name] = changed_files(self.package, after)
            log(f"   WARNING: sessiongen's source differs from the start of the run: {', '.join(self.changed[name])}")
        share = cpu_share(ticks, cpu_times())
        self.sections[name] = {"seconds": round(time.perf_counter() - started, 1), **share}
        log(f"   ({self.sections[name]['seconds']:.0f} s; machine CPU busy {share.get('busy_pct', '?')} %, stolen {share.get('steal_pct', '?')} %)")

    # -- 1. end-to-end renders: MP3 and WAV, warm and cold phrase cache --
    def e2e(self) -> None:
        workload, minutes = self.session
        times = {key: [] for key in ("mp3-warm", "mp3-cold", "wav-warm", "wav-cold")}
        rss = {key: [] for key in times}
        cpu = {key: [] for key in times}
        for r in range(self.runs):  # interleaved, so drift in the machine's speed hits every figure alike
            for fmt in ("mp3", "wav"):
                for cache_kind in ("warm", "cold"):
                    key = f"{fmt}-{cache_kind}"
                    cache = self.warm_cache if cache_kind == "warm" else self.fresh_cache()
                    out = self.work / f"e2e-{key}.{fmt}"
                    proc = self.render(workload, minutes, out, cache)
                    times[key].append(proc.wall_s)
                    rss[key].append(proc.maxrss_mb)
                    cpu[key].append(proc.cpu_s)
                    log(f"   {key} run {r + 1}/{self.runs}: {proc.wall_s:.1f} s wall, {proc.cpu_s:.1f} s CPU, {proc.maxrss_mb:.0f} MB")
                    if cache_kind == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    if key == "wav-warm":
                        self.mastered_wav = out
                    elif key != "mp3-warm":
                        out.unlink(missing_ok=True)
        audio_s = minutes * 60.0
        self.results["e2e"] = {
            "workload": workload_info(workload), "minutes": minutes, "audio_s": audio_s,
            "command": f"sessiongen render {workload.relative_to(ROOT)} --minutes {minutes:g} -o OUT.{{mp3,wav}} --sidecars none",
            **{key: {"wall_s": summary(times[key], "s"), "cpu_s": summary(cpu[key], "s"), "maxrss_mb": summary(rss[key], "MB"),
                     "realtime_x": round(audio_s / median(times[key]), 2)} for key in times},
        }
        mp3 = self.work / "e2e-mp3-warm.mp3"
        if mp3.exists():
            self.results["e2e"]["mp3_bytes"] = mp3.stat().st_size
            mp3.unlink()

    # -- 2. the MP3 encoder alone on the same PCM --
    def encoder(self) -> None:
        workload, minutes = self.session
        source = self.mastered_wav
        if source is None or not source.exists():
            log("   rendering the session to WAV once (untimed) for the encoder's input ...")
            source = self.work / "encoder-input.wav"
            self.render(workload, minutes, source, self.warm_cache)
            self.mastered_wav = source
        walls, cpus, info = [], [], {}
        for r in range(self.runs):  # each run in a fresh process, which keeps the PCM out of this one
            proc = run([sys.executable, SELF, "_encode", source, self.work / "encoder-floor.mp3"])
            info = json.loads(proc.stdout)
            walls.append(info["wall_s"])
            cpus.append(info["cpu_s"])
            log(f"   lameenc run {r + 1}/{self.runs}: {walls[-1]:.1f} s")
        self.results["encoder"] = {
            "what": f"lameenc {info['bitrate_kbps']} kbps CBR, quality {info['quality']}, {info['channels']} channels, "
                    f"{info['block_frames']}-frame blocks of int16 PCM, on the session's own mastered PCM (its WAV render); "
                    "encoding and writing only",
            "audio_s": round(info["audio_s"], 3), "wall_s": summary(walls, "s"), "cpu_s": summary(cpus, "s"),
            "realtime_x": round(info["audio_s"] / median(walls), 2),
        }

    # -- 3. a native noise-plus-tones mix of the same length: ffmpeg, and sox if present --
    def native(self) -> None:
        _, minutes = self.session
        seconds = int(minutes * 60)
        out = self.work / "native.wav"
        graph = (
            f"anoisesrc=color=pink:sample_rate=44100:amplitude=0.2:seed=1:duration={seconds}[nl];"
            f"anoisesrc=color=pink:sample_rate=44100:amplitude=0.2:seed=2:duration={seconds}[nr];"
            "[nl][nr]amerge=inputs=2[noise];"
            f"sine=frequency=250:sample_rate=44100:duration={seconds},aformat=channel_layouts=stereo,"
            "apulsator=mode=sine:hz=1:offset_l=0:offset_r=0.5:amount=1[tones];"
            "[noise][tones]amix=inputs=2:duration=first[out]"
        )
        commands = {
            "ffmpeg": [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-filter_complex", graph,
                       "-map", "[out]", "-c:a", "pcm_s16le", out],
        }
        if shutil.which("sox") or install_sox():
            commands["sox"] = [
                "sox", "-m",
                f"|sox -n -r 44100 -c 2 -p synth {seconds} pinknoise pinknoise vol 0.2",
                f"|sox -n -r 44100 -c 2 -p synth {seconds} sine 250 sine 250 synth {seconds} sine amod 1 0 0 sine amod 1 0 50 vol 0.3",
                "-b", "16", out,
            ]
        else:
            self.notes.append("sox is not installed and could not be installed here (apt-get as root): the native-mix baseline is ffmpeg only")
            log("   sox: not installed, skipped")
        found = {}
        for tool, argv in commands.items():
            walls, cpus = [], []
            for r in range(self.runs):
                proc = run(argv)
                walls.append(proc.wall_s)
                cpus.append(proc.cpu_s)
                log(f"   {tool} run {r + 1}/{self.runs}: {proc.wall_s:.1f} s")
                out.unlink(missing_ok=True)
            found[tool] = {"command": " ".join(str(a) for a in argv).replace(str(self.work), "$WORK"),
                           "wall_s": summary(walls, "s"), "cpu_s": summary(cpus, "s"),
                           "realtime_x": round(seconds / median(walls), 2)}
        self.results["native"] = {"audio_s": seconds, "what": "two pink noise sources (one per channel) + a 250 Hz sine panned "
                                  "left/right once a second, mixed, to 16-bit stereo WAV", **found,
                                  "sox_available": "sox" in found}

    # -- 4. narration: sessiongen's cold-cache synthesis against espeak-ng itself --
    def speech(self) -> None:
        workload, minutes = self.session
        phrases_file = self.work / "phrases.json"
        phrases_file.write_text(json.dumps(phrases_of(workload, minutes)))
        ours, floor = [], []
        for r in range(self.runs):
            cache = self.fresh_cache()
            proc = run([sys.executable, SELF, "_prepare", workload, f"{minutes:g}", cache], env_with_cache(cache))
            ours.append(json.loads(proc.stdout))
            shutil.rmtree(cache, ignore_errors=True)
            proc = run([sys.executable, SELF, "_espeak", phrases_file])
            floor.append(json.loads(proc.stdout))
            log(f"   run {r + 1}/{self.runs}: session.prepare {ours[-1]['prepare_s']:.1f} s "
                f"({ours[-1]['words'] / ours[-1]['prepare_s']:.1f} words/s); espeak-ng {floor[-1]['synth_s']:.1f} s "
                f"({floor[-1]['words'] / floor[-1]['synth_s']:.1f} words/s)")
        words = ours[0]["words"]
        self.results["speech"] = {
            "phrases": ours[0]["phrases"], "words": words, "rate_wpm": ours[0]["rate_wpm"], "voice": ours[0]["voice"],
            "sessiongen": {
                "what": "session.prepare with a fresh SESSIONGEN_CACHE_DIR (engine process already started): synthesis, "
                        "trimming, resampling to 44.1 kHz, levelling, cache writes, planning",
                "prepare_s": summary([o["prepare_s"] for o in ours], "s"),
                "engine_start_s": summary([o["engine_start_s"] for o in ours], "s"),
                "parent_cpu_s": summary([o["parent_cpu_s"] for o in ours], "s"),
                "engine_cpu_s": summary([o["engine_cpu_s"] for o in ours], "s"),
                "audio_s": ours[0]["audio_s"],
                "words_per_s": round(words / median([o["prepare_s"] for o in ours]), 2),
                "audio_s_per_s": round(ours[0]["audio_s"] / median([o["prepare_s"] for o in ours]), 2),
            },
            "espeak": {
                "what": "libespeak-ng from espeakng_loader through ctypes, AUDIO_OUTPUT_SYNCHRONOUS, the same voice, rate, "
                        "volume and flags as pyttsx3's driver, one espeak_Synth per phrase, samples collected in the callback",
                "library": floor[0]["library"], "version": floor[0]["version"],
                "synth_s": summary([f["synth_s"] for f in floor], "s"),
                "init_s": summary([f["init_s"] for f in floor], "s"),
                "cpu_s": summary([f["cpu_s"] for f in floor], "s"),
                "audio_s": floor[0]["audio_s"],
                "words_per_s": round(words / median([f["synth_s"] for f in floor]), 2),
                "audio_s_per_s": round(floor[0]["audio_s"] / median([f["synth_s"] for f in floor]), 2),
            },
        }

    # -- 5. peak memory against session length --
    def memory(self) -> None:
        rows = []
        plan = list(self.sweep) + ([self.control] if self.control else [])
        e2e = self.results.get("e2e")
        for index, (workload, minutes) in enumerate(plan):
            control = self.control is not None and index == len(plan) - 1
            runs = 1 if control else self.memory_runs
            if (workload, minutes) == self.session and e2e and not control:  # the MP3 warm renders already measured it
                rss, walls = e2e["mp3-warm"]["maxrss_mb"]["runs"], e2e["mp3-warm"]["wall_s"]["runs"]
                log(f"   {minutes:g} min: from the end-to-end MP3 renders: {median(rss):.0f} MB")
            else:
                rss, walls = [], []
                for r in range(runs):
                    out = self.work / f"memory-{int(minutes)}.mp3"
                    proc = self.render(workload, minutes, out, self.warm_cache)
                    out.unlink(missing_ok=True)
                    rss.append(proc.maxrss_mb)
                    walls.append(proc.wall_s)
                    log(f"   {workload.name} at {minutes:g} min, run {r + 1}/{runs}: {proc.maxrss_mb:.0f} MB, {proc.wall_s:.1f} s")
            rows.append({"workload": workload.name, "minutes": minutes, "control": control, "maxrss_mb": summary(rss, "MB"),
                         "wall_s": summary(walls, "s"), "realtime_x": round(minutes * 60 / median(walls), 2)})
        self.results["memory"] = {
            "command": "sessiongen render WORKLOAD --minutes M -o OUT.mp3 --sidecars none (warm cache); max RSS of the "
                       "render process from wait4, which includes the speech-engine child it reaps",
            "rows": rows,
        }

    # -- 6. batch throughput, 1 and 2 workers --
    def batch(self) -> None:
        roster = self.work / "roster.csv"
        lines = ["client_id,technique,minutes"] + [f"bench-{i + 1:02d},{SHORT_WORKLOAD},{self.batch_minutes:g}" for i in range(self.batch_rows)]
        roster.write_text("\n".join(lines) + "\n")
        out = self.work / "batch-out"
        walls = {1: [], 2: []}
        for r in range(self.runs):
            for workers in (1, 2):
                argv = [*self.sessiongen, "batch", roster, "-o", out, "--workers", str(workers), "--force", "--date", "2000-01-01"]
                proc = run(argv, env_with_cache(self.warm_cache))
                report = json.loads((out / "report.json").read_text())
                if report["summary"].get("rendered") != self.batch_rows:
                    raise RuntimeError(f"batch rendered {report['summary']} of {self.batch_rows} rows")
                walls[workers].append(proc.wall_s)
                log(f"   {workers} worker(s) run {r + 1}/{self.runs}: {proc.wall_s:.1f} s")
        shutil.rmtree(out, ignore_errors=True)
        audio_min = self.batch_rows * self.batch_minutes
        self.results["batch"] = {
            "rows": self.batch_rows, "minutes_each": self.batch_minutes, "workload": workload_info(SHORT_WORKLOAD),
            "command": "sessiongen batch roster.csv -o DIR --workers N --force --date 2000-01-01 (warm cache)",
            **{f"workers_{w}": {"wall_s": summary(walls[w], "s"),
                                "sessions_per_hour": round(self.batch_rows * 3600 / median(walls[w]), 1),
                                "audio_min_per_min": round(audio_min * 60 / median(walls[w]), 2)} for w in (1, 2)},
        }

    # -- targets --
    def targets(self) -> list[dict]:
        r, out = self.results, []

        def add(name, measured, limit, passed, detail):
            out.append({"target": name, "measured": None if measured is None else round(measured, 3), "limit": limit,
                        "status": "n/a" if passed is None else ("PASS" if passed else "MISS"), "detail": detail})

        e2e, enc, nat = r.get("e2e"), r.get("encoder"), r.get("native")
        if e2e and enc:
            ratio = e2e["mp3-warm"]["wall_s"]["median"] / enc["wall_s"]["median"]
            add("MP3 end-to-end (warm) / lameenc alone", ratio, f"<= {MP3_OVER_ENCODER_MAX}", ratio <= MP3_OVER_ENCODER_MAX,
                f"{e2e['mp3-warm']['wall_s']['median']:.1f} s / {enc['wall_s']['median']:.1f} s (against the encoder's CPU time, "
                f"{enc['cpu_s']['median']:.1f} s: {e2e['mp3-warm']['wall_s']['median'] / enc['cpu_s']['median']:.2f})")
        else:
            add("MP3 end-to-end (warm) / lameenc alone", None, f"<= {MP3_OVER_ENCODER_MAX}", None, "not measured")
        if e2e and nat:
            ratio = e2e["wav-warm"]["wall_s"]["median"] / nat["ffmpeg"]["wall_s"]["median"]
            add("WAV end-to-end (warm) / ffmpeg native mix", ratio, f"<= {WAV_OVER_NATIVE_MAX}", ratio <= WAV_OVER_NATIVE_MAX,
                f"{e2e['wav-warm']['wall_s']['median']:.1f} s / {nat['ffmpeg']['wall_s']['median']:.1f} s")
            if "sox" in nat:
                ratio = e2e["wav-warm"]["wall_s"]["median"] / nat["sox"]["wall_s"]["median"]
                add("WAV end-to-end (warm) / sox native mix", ratio, f"<= {WAV_OVER_NATIVE_MAX}", ratio <= WAV_OVER_NATIVE_MAX,
                    f"{e2e['wav-warm']['wall_s']['median']:.1f} s / {nat['sox']['wall_s']['median']:.1f} s")
        else:
            add("WAV end-to-end (warm) / ffmpeg native mix", None, f"<= {WAV_OVER_NATIVE_MAX}", None, "not measured")
        sp = r.get("speech")
        if sp:
            ratio = sp["sessiongen"]["words_per_s"] / sp["espeak"]["words_per_s"]
            add("narration synthesis (cold) / espeak-ng throughput", ratio, f">= {SPEECH_OVER_ESPEAK_MIN}", ratio >= SPEECH_OVER_ESPEAK_MIN,
                f"{sp['sessiongen']['words_per_s']:.1f} / {sp['espeak']['words_per_s']:.1f} words/s")
        else:
            add("narration synthesis (cold) / espeak-ng throughput", None, f">= {SPEECH_OVER_ESPEAK_MIN}", None, "not measured")
        mem = r.get("memory")
        if mem:
            sweep = [row for row in mem["rows"] if not row["control"]]
            peak = max(row["maxrss_mb"]["median"] for row in sweep)
            add("peak memory at every length (MB)", peak, f"<= {RSS_LIMIT_MB:g}", peak <= RSS_LIMIT_MB,
                ", ".join(f"{row['minutes']:g} min {row['maxrss_mb']['median']:.0f}" for row in sweep))
            first, last = sweep[0], sweep[-1]
            growth = last["maxrss_mb"]["median"] / first["maxrss_mb"]["median"]
            add(f"RSS({last['minutes']:g} min) / RSS({first['minutes']:g} min)", growth, f"<= {RSS_GROWTH_MAX}", growth <= RSS_GROWTH_MAX,
                f"{last['maxrss_mb']['median']:.0f} MB / {first['maxrss_mb']['median']:.0f} MB")
        else:
            add("peak memory at every length (MB)", None, f"<= {RSS_LIMIT_MB:g}", None, "not measured")
        b = r.get("batch")
        if b:
            speedup = b["workers_1"]["wall_s"]["median"] / b["workers_2"]["wall_s"]["median"]
            add("batch throughput, 2 workers / 1 worker", speedup, f">= {BATCH_SPEEDUP_MIN}", speedup >= BATCH_SPEEDUP_MIN,
                f"{b['workers_1']['wall_s']['median']:.1f} s / {b['workers_2']['wall_s']['median']:.1f} s for {b['rows']} sessions")
        else:
            add("batch throughput, 2 workers / 1 worker", None, f">= {BATCH_SPEEDUP_MIN}", None, "not measured")
        return out

    def go(self) -> int:
        started = time.perf_counter()
        info = machine()
        log(f"sessiongen benchmarks: {info['nproc']} cores, {info['cpu_model']}, {info['memory_mb']} MB; "
            f"{self.runs} run(s) per figure{' (quick smoke run)' if self.quick else ''}; work folder {self.work}")
        try:
            if set(self.args.only) & {"e2e", "encoder", "memory", "batch"}:
                self.warm_up()
            self.section("e2e", self.e2e)
            self.section("encoder", self.encoder)
            self.section("native", self.native)
            self.section("speech", self.speech)
            self.section("memory", self.memory)
            self.section("batch", self.batch)
        finally:
            if not self.args.keep:
                shutil.rmtree(self.work, ignore_errors=True)
        info["loadavg_end"] = list(os.getloadavg())
        end = package_state()
        if self.changed or end["sha256"] != self.package["sha256"]:
            self.notes.append(f"sessiongen's source changed while the benchmark ran ({', '.join(changed_files(self.package, end))}; "
                              f"first seen at the end of section {next(iter(self.changed), 'last')}): figures after that may "
                              "belong to another version; run it again for figures of one version")
        targets = self.targets()
        if self.quick:
            self.notes.append("quick smoke run: 1 run, a 10-minute session and shorter lengths; the targets are not comparable "
                              "with a full run")
        document = {
            "schema": 1,
            "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - started, 1),
            "quick": self.quick, "runs": self.runs, "memory_runs": self.memory_runs,
            "command": " ".join([Path(sys.executable).name, "benchmarks/run.py", *sys.argv[1:]]),
            "machine": info,
            "package": {"start": {k: v for k, v in self.package.items() if k != "files"},
                        "end": {k: v for k, v in end.items() if k != "files"},
                        "changed_files": changed_files(self.package, end), "changed_by_section": self.changed},
            "workloads": {"session": workload_info(self.session[0]), "session_minutes": self.session[1],
                          "short": workload_info(SHORT_WORKLOAD)},
            "sections": self.sections,
            "results": self.results, "targets": targets, "errors": self.errors, "notes": self.notes,
        }
        out = Path(self.args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2) + "\n")
        print(table(document))
        print(f"\nwrote {out}")
        return 1 if self.errors else 0


# -- the table ------------------------------------------------------------------------------------

def table(doc: dict) -> str:
    m, r = doc["machine"], doc["results"]
    lines = [f"sessiongen benchmarks: {m['nproc']} cores, {m['cpu_model']}, {m['memory_mb']} MB, Python {m['python']}, "
             f"{doc['runs']} run(s) per figure (median){', QUICK' if doc['quick'] else ''}",
             f"sessiongen source {doc['package']['start']['sha256'][:12]} (newest file {doc['package']['start']['newest_mtime']})"
             + (f"; CHANGED during the run: {', '.join(doc['package']['changed_files'])}" if doc['package']['changed_files'] else ""),
             ""]
    rows = [("figure", "median", "min..max", "detail")]

    def timing(label, s, detail=""):
        rows.append((label, f"{s['median']:.2f} s", f"{s['min']:.2f}..{s['max']:.2f}", detail))

    if "e2e" in r:
        e = r["e2e"]
        for key, label in (("mp3-warm", "MP3, warm cache"), ("mp3-cold", "MP3, cold cache"), ("wav-warm", "WAV, warm cache"), ("wav-cold", "WAV, cold cache")):
            timing(f"render {e['minutes']:g} min {label}", e[key]["wall_s"], f"{e[key]['realtime_x']}x realtime, {e[key]['maxrss_mb']['median']:.0f} MB")
    if "encoder" in r:
        timing("lameenc alone, same PCM", r["encoder"]["wall_s"], f"{r['encoder']['realtime_x']}x realtime")
    if "native" in r:
        for tool in ("ffmpeg", "sox"):
            if tool in r["native"]:
                timing(f"{tool} native noise+tones mix", r["native"][tool]["wall_s"], f"{r['native'][tool]['realtime_x']}x realtime")
        if not r["native"].get("sox_available"):
            rows.append(("sox native noise+tones mix", "-", "-", "sox is not installed"))
    if "speech" in r:
        s = r["speech"]
        timing("session.prepare, cold cache", s["sessiongen"]["prepare_s"],
               f"{s['sessiongen']['words_per_s']} words/s, {s['sessiongen']['audio_s_per_s']} audio s/s ({s['words']} words, {s['phrases']} phrases)")
        timing("espeak-ng direct, same phrases", s["espeak"]["synth_s"],
               f"{s['espeak']['words_per_s']} words/s, {s['espeak']['audio_s_per_s']} audio s/s")
    if "memory" in r:
        for row in r["memory"]["rows"]:
            label = f"peak RSS {row['minutes']:g} min ({row['workload']}{', control' if row['control'] else ''})"
            s = row["maxrss_mb"]
            rows.append((label, f"{s['median']:.0f} MB", f"{s['min']:.0f}..{s['max']:.0f}", f"render {row['wall_s']['median']:.1f} s, {row['realtime_x']}x realtime"))
    if "batch" in r:
        b = r["batch"]
        for w in (1, 2):
            timing(f"batch {b['rows']} x {b['minutes_each']:g} min, {w} worker{'s' * (w > 1)}", b[f"workers_{w}"]["wall_s"],
                   f"{b[f'workers_{w}']['sessions_per_hour']} sessions/h")
    lines += _columns(rows)
    lines += ["", "targets (ratios measured in this run):"]
    lines += _columns([("target", "measured", "limit", "status", "detail")] +
                      [(t["target"], "-" if t["measured"] is None else f"{t['measured']:.3g}", t["limit"], t["status"], t["detail"]) for t in doc["targets"]])
    if doc.get("sections"):
        lines.append("machine CPU stolen by the hypervisor, by section: " + ", ".join(
            f"{name} {info.get('steal_pct', '?')} %" for name, info in doc["sections"].items()))
    for name, error in doc["errors"].items():
        lines.append(f"ERROR in {name}: {error}")
    for note in doc["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _columns(rows) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " + str(row[-1]) for row in rows]


# -- helpers run in their own processes ----------------------------------------------------------

def phrases_of(workload: Path, minutes: float) -> dict:
    """The phrases sessiongen synthesises for a workload, exactly as session.prepare asks for them."""
    from sessiongen import session
    from sessiongen.pacing import pace
    from sessiongen.personalise import personalise
    from sessiongen.settings import DEFAULTS
    from sessiongen.timeline import texts_to_speak

    settings = DEFAULTS.but(minutes=minutes)
    script = pace(personalise(session.load(str(workload)), {}), settings)
    phrases = list(texts_to_speak(script, settings).values())
    return {"phrases": [[text, rate] for text, rate in phrases], "volume": settings.volume}


def install_sox() -> bool:
    """Install sox with apt-get when this runs as root on a Debian-like system (as CI does); whether
    sox is there afterwards."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    log("   sox: not installed; installing it with apt-get ...")
    subprocess.run(["apt-get", "install", "-y", "-q", "sox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return shutil.which("sox") is not None


def child_prepare(workload: str, minutes: str, cache: str) -> None:
    """Time session.prepare with a fresh cache; the engine's process is started first, separately."""
    from sessiongen import session
    from sessiongen.settings import DEFAULTS
    from sessiongen.speech import get_engine

    settings = DEFAULTS.but(minutes=float(minutes))
    script = session.load(workload)
    t0 = time.perf_counter()
    engine = get_engine(settings.engine)
    voice = engine.resolve_voice(settings.voice)  # starts the engine's child process
    engine_cpu0 = _engine_cpu(engine)
    t1, cpu1 = time.perf_counter(), time.process_time()
    prepared = session.prepare(script, {}, settings, Path(cache))
    t2, cpu2 = time.perf_counter(), time.process_time()
    engine_cpu1 = _engine_cpu(engine)
    engine_cpu = None if engine_cpu0 is None or engine_cpu1 is None else engine_cpu1 - engine_cpu0
    texts = [c.text for c in prepared.clips.values()]
    print(json.dumps({
        "engine_start_s": t1 - t0, "prepare_s": t2 - t1, "parent_cpu_s": cpu2 - cpu1, "engine_cpu_s": engine_cpu,
        "phrases": len(prepared.clips), "words": sum(len(t.split()) for t in texts),
        "audio_s": sum(c.frames for c in prepared.clips.values()) / settings.sample_rate_hz,
        "synthesised": prepared.speak.synthesised, "rate_wpm": settings.rate_wpm, "voice": voice,
    }))


def _engine_cpu(engine) -> float | None:
    """CPU seconds used so far by the isolated engine's child process (from /proc)."""
    process = getattr(engine, "_process", None)
    pid = getattr(process, "pid", None)
    if not pid:
        return None
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def child_encode(source: str, target: str) -> None:
    """lameenc alone, as sessiongen configures it, on int16 PCM already in memory: the floor for MP3."""
    import lameenc
    import soundfile as sf

    from sessiongen.encode import MP3_QUALITY
    from sessiongen.settings import DEFAULTS

    pcm, rate = sf.read(source, dtype="int16", always_2d=True)
    block = int(DEFAULTS.window_s * rate)  # the blocks sessiongen hands the encoder
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(DEFAULTS.mp3_bitrate_kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(pcm.shape[1])
    encoder.set_quality(MP3_QUALITY)
    with open(target, "wb") as out:
        started, cpu0 = time.perf_counter(), time.process_time()
        for at in range(0, len(pcm), block):
            out.write(encoder.encode(pcm[at : at + block].tobytes()))
        out.write(encoder.flush())
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    size = Path(target).stat().st_size
    Path(target).unlink()
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "audio_s": len(pcm) / rate, "channels": pcm.shape[1], "block_frames": block,
                      "bitrate_kbps": DEFAULTS.mp3_bitrate_kbps, "quality": MP3_QUALITY, "bytes": size}))


def child_espeak(phrases_file: str) -> None:
    """espeak-ng itself, through ctypes on the library espeakng_loader ships: the floor for speech."""
    import espeakng_loader
    import numpy as np

    data = json.loads(Path(phrases_file).read_text())
    library = espeakng_loader.get_library_path()
    data_path = espeakng_loader.get_data_path()
    os.environ["ESPEAK_DATA_PATH"] = data_path
    dll = ctypes.CDLL(library)
    AUDIO_OUTPUT_SYNCHRONOUS, ESPEAK_RATE, ESPEAK_VOLUME = 2, 1, 2
    CHARS_UTF8, ENDPAUSE = 1, 0x1000  # the flags pyttsx3's driver passes
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
    dll.espeak_Initialize.restype = ctypes.c_int
    dll.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    dll.espeak_SetSynthCallback.argtypes = [callback_type]
    dll.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    dll.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    dll.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                 ctypes.c_void_p, ctypes.c_void_p]
    dll.espeak_Info.restype = ctypes.c_char_p
    dll.espeak_Info.argtypes = [ctypes.c_void_p]
    chunks: list = []

    def on_samples(wav, count, events):
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = callback_type(on_samples)
    t0 = time.perf_counter()
    rate_hz = dll.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(Path(data_path).parent).encode(), 0)
    if rate_hz <= 0:
        raise SystemExit("espeak_Initialize failed")
    dll.espeak_SetSynthCallback(callback)
    from sessiongen.speech.pyttsx3_engine import DEFAULT_ESPEAK_VOICE

    if dll.espeak_SetVoiceByName(DEFAULT_ESPEAK_VOICE.encode()) != 0:
        raise SystemExit(f"espeak_SetVoiceByName({DEFAULT_ESPEAK_VOICE}) failed")
    dll.espeak_SetParameter(ESPEAK_VOLUME, int(round(data["volume"] * 100)), 0)
    t1, cpu1 = time.perf_counter(), time.process_time()
    for text, rate in data["phrases"]:
        dll.espeak_SetParameter(ESPEAK_RATE, int(rate), 0)
        encoded = text.encode("utf-8")
        if dll.espeak_Synth(encoded, len(encoded) + 1, 0, 1, 0, CHARS_UTF8 | ENDPAUSE, None, None) != 0:
            raise SystemExit(f"espeak_Synth failed on {text[:40]!r}")
    t2, cpu2 = time.perf_counter(), time.process_time()
    samples = sum(len(c) for c in chunks)
    print(json.dumps({
        "init_s": t1 - t0, "synth_s": t2 - t1, "cpu_s": cpu2 - cpu1, "audio_s": samples / rate_hz, "rate_hz": rate_hz,
        "library": library, "version": dll.espeak_Info(None).decode(),
        "words": sum(len(text.split()) for text, _ in data["phrases"]),
    }))


# -- command line -------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    if argv[:1] == ["_prepare"]:
        child_prepare(*argv[1:4])
        return 0
    if argv[:1] == ["_espeak"]:
        child_espeak(argv[1])
        return 0
    if argv[:1] == ["_encode"]:
        child_encode(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is reported [default: 3]")
    parser.add_argument("--memory-runs", type=int, default=1,
                        help="runs per length of the memory sweep (peak RSS barely varies between runs; the session length reuses the end-to-end renders) [default: 1]")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: 1 run, a 10-minute session, shorter lengths")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections to run: {', '.join(SECTIONS)}")
    parser.add_argument("--no-control", action="store_true", help="skip the same-script memory control (short workload at 120 min)")
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT), help=f"the JSON file [default: {DEFAULT_OUTPUT.relative_to(ROOT)}]")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (renders, caches) for inspection")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.memory_runs < 1:
        parser.error("--runs and --memory-runs must be at least 1")
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.only if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    return Bench(args).go()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
