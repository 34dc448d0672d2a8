"""Kokoro's cold synthesis of the 30-minute workload's phrases: sessiongen (its worker pool, with
trimming, levelling, resampling and the cache) against kokoro-onnx's own `Kokoro.create` with its
default session options, on the same sentences at the same speed, model loading included in both;
then sessiongen with 1, 2 and 3 workers. Each run in a fresh process and a fresh phrase cache; each
measured run records the peak resident set of every process (VmHWM, proctree.TreeWatcher).

    python benchmarks/kokoro_speed.py [--minutes 30] [--limit N] [--workers 1,2,3] > results.json

Also writes each phrase's spoken length at speed 1 ... (the `phrases` list) for the duration
estimator's fit (benchmarks/kokoro_estimate.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import MAIN_WORKLOAD  # noqa: E402
from proctree import TreeWatcher  # noqa: E402


def sentences(minutes: float, limit: int | None) -> list[tuple[str, int]]:
    from speech_piper import spoken_sentences

    found = spoken_sentences(MAIN_WORKLOAD, minutes)
    return found[:limit] if limit else found


def _ours(args: list[str]) -> None:
    """Child: sessiongen's Speaker over a fresh cache, every phrase synthesised; prints its figures."""
    from sessiongen import speech
    from sessiongen.settings import DEFAULTS
    from sessiongen.speech.cache import PhraseCache
    from sessiongen.speech.clips import Speaker

    calls = json.loads(Path(args[0]).read_text())
    start = time.perf_counter()
    engine = speech.get_engine("kokoro")
    speaker = Speaker(engine, PhraseCache(Path(args[1]), DEFAULTS.sample_rate_hz), DEFAULTS.but(engine="kokoro"))
    clips = speaker.clips({f"{i}": (text, rate) for i, (text, rate) in enumerate(calls)})
    wall_s = time.perf_counter() - start
    engine.close()
    speech_s = sum(c.frames for c in clips.values()) / DEFAULTS.sample_rate_hz
    print(
        json.dumps(
            {"wall_s": wall_s, "speech_s": speech_s, "phrases": [clips[f"{i}"].frames / DEFAULTS.sample_rate_hz for i in range(len(calls))]}
        )
    )


def _theirs(args: list[str]) -> None:
    """Child: kokoro-onnx's own API, default session options, af_heart at sessiongen's speed."""
    import numpy as np
    from kokoro_onnx import Kokoro

    from sessiongen.speech import kokorofiles as files

    calls = json.loads(Path(args[0]).read_text())
    speed = float(args[1])
    voices = Path(args[2]) / "voices.npz"
    np.savez(voices, af_heart=files.read_voice("af_heart"))
    start = time.perf_counter()
    kokoro = Kokoro(str(files.model_path()), str(voices))
    speech_s = 0.0
    for text, _ in calls:
        samples, rate = kokoro.create(text, "af_heart", speed=speed, lang="en-us")
        speech_s += len(samples) / rate
    print(json.dumps({"wall_s": time.perf_counter() - start, "speech_s": speech_s}))


def measured(argv: list[str], env: dict) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with TreeWatcher(proc.pid) as watcher:
        out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[2]} failed: {err[-2000:]}")
    found = json.loads(out)
    found["process_wall_s"] = time.perf_counter() - start
    found["peak_mb"] = [(p["vmhwm_mb"], p["role"]) for p in watcher.processes()]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--workers", default="2")
    options = parser.parse_args()
    from sessiongen.speech import calibration
    from sessiongen.speech.engines.kokoro import PACE_VS_ESPEAK, SPEED_RANGE

    calls = sentences(options.minutes, options.limit)
    speed = min(SPEED_RANGE[1], max(SPEED_RANGE[0], calls[0][1] * PACE_VS_ESPEAK / calibration.recorded_pace("af_heart")))
    results = {"phrases": len(calls), "words": sum(len(t.split()) for t, _ in calls), "speed": round(speed, 4), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "calls.json").write_text(json.dumps(calls))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), str(HERE)])}
        results["theirs"] = measured([sys.executable, __file__, "_theirs", str(work / "calls.json"), str(speed), folder], env)
        for count in options.workers.split(","):
            cache = work / f"cache-{count}"
            run_env = {**env, "SESSIONGEN_CACHE_DIR": str(cache), "SESSIONGEN_TTS_WORKERS": count}
            results[f"ours_{count}"] = measured([sys.executable, __file__, "_ours", str(work / "calls.json"), str(cache)], run_env)
    for found in results.values():
        if isinstance(found, dict):
            found["real_time_x"] = round(found["speech_s"] / found["process_wall_s"], 3)
    results["texts"] = [t for t, _ in calls]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("_ours", "_theirs"):
        {"_ours": _ours, "_theirs": _theirs}[sys.argv[1]](sys.argv[2:])
    else:
        main()
