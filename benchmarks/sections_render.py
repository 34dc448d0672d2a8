"""The benchmark's rendering sections, as a mixin of run.py's Bench: 1. end-to-end renders (`e2e`),
2. the MP3 encoder alone on the same PCM (`encoder`), 3. a native noise-plus-tones mix (`native`),
6. batch throughput (`batch`). Each stores its figures in `self.results`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from common import ROOT, SELF, SHORT_WORKLOAD, env_with_cache, ffmpeg_exe, log, median, run, summary, workload_info


class RenderSections:
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
                    cache = self.warm_cache if cache_kind == "warm" else self.calibrated_cache()
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
            "workload": workload_info(workload),
            "minutes": minutes,
            "audio_s": audio_s,
            "command": f"sessiongen render {workload.relative_to(ROOT)} --minutes {minutes:g} -o OUT.{{mp3,wav}} --sidecars none",
            "cold_cache": "a fresh folder holding only the warm cache's piper-pace.json (phrases synthesised; the voice's pace "
            "calibration not repeated)",
            **{
                key: {
                    "wall_s": summary(times[key], "s"),
                    "cpu_s": summary(cpu[key], "s"),
                    "maxrss_mb": summary(rss[key], "MB"),
                    "realtime_x": round(audio_s / median(times[key]), 2),
                }
                for key in times
            },
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
            "audio_s": round(info["audio_s"], 3),
            "wall_s": summary(walls, "s"),
            "cpu_s": summary(cpus, "s"),
            "realtime_x": round(info["audio_s"] / median(walls), 2),
        }

    # -- 3. a native noise-plus-tones mix of the same length: ffmpeg, and sox if present --
    def native(self) -> None:
        _, minutes = self.session
        seconds = int(minutes * 60)
        out = self.work / "native.wav"
        commands = self.native_commands(seconds, out)
        found = {}
        for tool, argv in commands.items():
            walls, cpus = [], []
            for r in range(self.runs):
                proc = run(argv)
                walls.append(proc.wall_s)
                cpus.append(proc.cpu_s)
                log(f"   {tool} run {r + 1}/{self.runs}: {proc.wall_s:.1f} s")
                out.unlink(missing_ok=True)
            found[tool] = {
                "command": " ".join(str(a) for a in argv).replace(str(self.work), "$WORK"),
                "wall_s": summary(walls, "s"),
                "cpu_s": summary(cpus, "s"),
                "realtime_x": round(seconds / median(walls), 2),
            }
        self.results["native"] = {
            "audio_s": seconds,
            "what": "two pink noise sources (one per channel) + a 250 Hz sine panned left/right once a second, mixed, to 16-bit stereo WAV",
            **found,
            "sox_available": "sox" in found,
        }

    def native_commands(self, seconds: int, out: Path) -> dict:
        """The native mix as ffmpeg's command, and sox's when sox is there (or can be installed)."""
        graph = (
            f"anoisesrc=color=pink:sample_rate=44100:amplitude=0.2:seed=1:duration={seconds}[nl];"
            f"anoisesrc=color=pink:sample_rate=44100:amplitude=0.2:seed=2:duration={seconds}[nr];"
            "[nl][nr]amerge=inputs=2[noise];"
            f"sine=frequency=250:sample_rate=44100:duration={seconds},aformat=channel_layouts=stereo,"
            "apulsator=mode=sine:hz=1:offset_l=0:offset_r=0.5:amount=1[tones];"
            "[noise][tones]amix=inputs=2:duration=first[out]"
        )
        commands = {
            "ffmpeg": [
                ffmpeg_exe(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-filter_complex",
                graph,
                "-map",
                "[out]",
                "-c:a",
                "pcm_s16le",
                out,
            ],
        }
        if shutil.which("sox") or install_sox():
            commands["sox"] = [
                "sox",
                "-m",
                f"|sox -n -r 44100 -c 2 -p synth {seconds} pinknoise pinknoise vol 0.2",
                f"|sox -n -r 44100 -c 2 -p synth {seconds} sine 250 sine 250 synth {seconds} sine amod 1 0 0 sine amod 1 0 50 vol 0.3",
                "-b",
                "16",
                out,
            ]
        else:
            self.notes.append(
                "sox is not installed and could not be installed here (apt-get as root): the native-mix baseline is ffmpeg only"
            )
            log("   sox: not installed, skipped")
        return commands

    # -- 6. batch throughput, 1 and 2 workers --
    def batch(self) -> None:
        roster = self.work / "roster.csv"
        lines = ["client_id,technique,minutes"] + [
            f"bench-{i + 1:02d},{SHORT_WORKLOAD},{self.batch_minutes:g}" for i in range(self.batch_rows)
        ]
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
            "rows": self.batch_rows,
            "minutes_each": self.batch_minutes,
            "workload": workload_info(SHORT_WORKLOAD),
            "command": "sessiongen batch roster.csv -o DIR --workers N --force --date 2000-01-01 (warm cache)",
            **{
                f"workers_{w}": {
                    "wall_s": summary(walls[w], "s"),
                    "sessions_per_hour": round(self.batch_rows * 3600 / median(walls[w]), 1),
                    "audio_min_per_min": round(audio_min * 60 / median(walls[w]), 2),
                }
                for w in (1, 2)
            },
        }


def install_sox() -> bool:
    """Install sox with apt-get when this runs as root on a Debian-like system (as CI does); whether
    sox is there afterwards."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    log("   sox: not installed; installing it with apt-get ...")
    subprocess.run(["apt-get", "install", "-y", "-q", "sox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return shutil.which("sox") is not None
