"""The benchmark's targets (issue 8), checked on figures measured in the same run: `check(results)`
returns one row per target (measured, limit, PASS/MISS or n/a, detail)."""

from __future__ import annotations

from speech_piper import PIPER_OVER_CLI_MIN

MP3_OVER_ENCODER_MAX = 1.15
WAV_OVER_NATIVE_MAX = 0.25
SPEECH_OVER_ESPEAK_MIN = 0.7
RSS_LIMIT_MB = 250.0
RSS_GROWTH_MAX = 1.3
RENDER_RSS_LIMIT_MB = 250.0  # cold render: the render process itself
WORKER_RSS_LIMIT_MB = {"piper": 350.0, "kokoro": 600.0}  # cold render: each voice worker, by the default voice's engine
KOKORO_OVER_CREATE_MIN = 1.0  # speech per second, ours (default workers) / kokoro-onnx's Kokoro.create
KOKORO_REAL_TIME_MIN = 2.5  # seconds of speech per second of wall time, cold, on the 2-core machine
ESTIMATE_ERROR_MAX_PCT = 3.0  # the duration estimate's total error against the real clips
BATCH_SPEEDUP_MIN = 1.7


def check(r: dict) -> list[dict]:
    out: list[dict] = []

    def add(name, measured, limit, passed, detail):
        out.append(
            {
                "target": name,
                "measured": None if measured is None else round(measured, 3),
                "limit": limit,
                "status": "n/a" if passed is None else ("PASS" if passed else "MISS"),
                "detail": detail,
            }
        )

    _encoder(r, add)
    _native(r, add)
    _speech(r, add)
    _kokoro(r, add)
    _memory(r, add)
    _batch(r, add)
    return out


def _encoder(r: dict, add) -> None:
    e2e, enc = r.get("e2e"), r.get("encoder")
    if e2e and enc:
        ratio = e2e["mp3-warm"]["wall_s"]["median"] / enc["wall_s"]["median"]
        add(
            "MP3 end-to-end (warm) / lameenc alone",
            ratio,
            f"<= {MP3_OVER_ENCODER_MAX}",
            ratio <= MP3_OVER_ENCODER_MAX,
            f"{e2e['mp3-warm']['wall_s']['median']:.1f} s / {enc['wall_s']['median']:.1f} s (against the encoder's CPU time, "
            f"{enc['cpu_s']['median']:.1f} s: {e2e['mp3-warm']['wall_s']['median'] / enc['cpu_s']['median']:.2f})",
        )
    else:
        add("MP3 end-to-end (warm) / lameenc alone", None, f"<= {MP3_OVER_ENCODER_MAX}", None, "not measured")


def _native(r: dict, add) -> None:
    e2e, nat = r.get("e2e"), r.get("native")
    if e2e and nat:
        ratio = e2e["wav-warm"]["wall_s"]["median"] / nat["ffmpeg"]["wall_s"]["median"]
        add(
            "WAV end-to-end (warm) / ffmpeg native mix",
            ratio,
            f"<= {WAV_OVER_NATIVE_MAX}",
            ratio <= WAV_OVER_NATIVE_MAX,
            f"{e2e['wav-warm']['wall_s']['median']:.1f} s / {nat['ffmpeg']['wall_s']['median']:.1f} s",
        )
        if "sox" in nat:
            ratio = e2e["wav-warm"]["wall_s"]["median"] / nat["sox"]["wall_s"]["median"]
            add(
                "WAV end-to-end (warm) / sox native mix",
                ratio,
                f"<= {WAV_OVER_NATIVE_MAX}",
                ratio <= WAV_OVER_NATIVE_MAX,
                f"{e2e['wav-warm']['wall_s']['median']:.1f} s / {nat['sox']['wall_s']['median']:.1f} s",
            )
    else:
        add("WAV end-to-end (warm) / ffmpeg native mix", None, f"<= {WAV_OVER_NATIVE_MAX}", None, "not measured")


def _speech(r: dict, add) -> None:
    sp = r.get("speech", {})
    piper = sp.get("piper")
    if piper:
        ours, theirs = piper["sessiongen"]["words_per_s"], piper["piper_cli"]["words_per_s"]
        add(
            "neural synthesis (cold, piper) / piper's CLI, words/s",
            ours / theirs,
            f">= {PIPER_OVER_CLI_MIN}",
            ours / theirs >= PIPER_OVER_CLI_MIN,
            f"{ours:.1f} / {theirs:.1f} words/s, {piper['default_workers']} workers; per round {piper['ratio_per_round']}",
        )
    else:
        add("neural synthesis (cold, piper) / piper's CLI, words/s", None, f">= {PIPER_OVER_CLI_MIN}", None, "not measured")
    espeak = sp.get("pyttsx3")
    if espeak:
        ratio = espeak["sessiongen"]["words_per_s"] / espeak["espeak"]["words_per_s"]
        add(
            "espeak-ng path (cold, --engine pyttsx3) / espeak-ng, words/s",
            ratio,
            f">= {SPEECH_OVER_ESPEAK_MIN}",
            ratio >= SPEECH_OVER_ESPEAK_MIN,
            f"{espeak['sessiongen']['words_per_s']:.1f} / {espeak['espeak']['words_per_s']:.1f} words/s",
        )
    else:
        add("espeak-ng path (cold, --engine pyttsx3) / espeak-ng, words/s", None, f">= {SPEECH_OVER_ESPEAK_MIN}", None, "not measured")


def _kokoro(r: dict, add) -> None:
    k = r.get("kokoro")
    ours = k and (k.get("ours_2") or k[next(key for key in k if key.startswith("ours_"))])
    names = ("Kokoro cold synthesis, ours / kokoro-onnx create, speech per second", "Kokoro cold synthesis, real time (x)")
    if not k:
        for name, limit in zip(names, (KOKORO_OVER_CREATE_MIN, KOKORO_REAL_TIME_MIN)):
            add(name, None, f">= {limit}", None, "not measured")
        add("duration estimate, total error over the phrases (%)", None, f"<= {ESTIMATE_ERROR_MAX_PCT}", None, "not measured")
        return
    ratio = ours["real_time_x"] / k["theirs"]["real_time_x"]
    add(
        names[0],
        ratio,
        f">= {KOKORO_OVER_CREATE_MIN}",
        ratio >= KOKORO_OVER_CREATE_MIN,
        f"{ours['real_time_x']:.2f}x / {k['theirs']['real_time_x']:.2f}x",
    )
    sweep = ", ".join(f"{key[5:]} workers {k[key]['real_time_x']:.2f}x" for key in k if key.startswith("ours_"))
    add(names[1], ours["real_time_x"], f">= {KOKORO_REAL_TIME_MIN}", ours["real_time_x"] >= KOKORO_REAL_TIME_MIN, sweep)
    error = k["estimate"]["total_error_pct"]
    detail = (
        f"{k['estimate']['estimated_s']:.0f} s estimated / {k['estimate']['spoken_s']:.0f} s spoken, {k['estimate']['phrases']} phrases"
    )
    add(
        "duration estimate, total error over the phrases (%)",
        error,
        f"<= {ESTIMATE_ERROR_MAX_PCT}",
        abs(error) <= ESTIMATE_ERROR_MAX_PCT,
        detail,
    )


def _memory(r: dict, add) -> None:
    mem = r.get("memory")
    if not mem:
        add("peak memory at every length (MB)", None, f"<= {RSS_LIMIT_MB:g}", None, "not measured")
        return
    sweep = [row for row in mem["rows"] if not row["control"]]
    peak = max(row["maxrss_mb"]["median"] for row in sweep)
    add(
        "peak memory at every length (MB)",
        peak,
        f"<= {RSS_LIMIT_MB:g}",
        peak <= RSS_LIMIT_MB,
        ", ".join(f"{row['minutes']:g} min {row['maxrss_mb']['median']:.0f}" for row in sweep),
    )
    first, last = sweep[0], sweep[-1]
    growth = last["maxrss_mb"]["median"] / first["maxrss_mb"]["median"]
    add(
        f"RSS({last['minutes']:g} min) / RSS({first['minutes']:g} min)",
        growth,
        f"<= {RSS_GROWTH_MAX}",
        growth <= RSS_GROWTH_MAX,
        f"{last['maxrss_mb']['median']:.0f} MB / {first['maxrss_mb']['median']:.0f} MB",
    )
    cold = mem["cold"]["rows"]
    peak = max(row["render_mb"]["median"] for row in cold)
    add(
        "cold render: render process peak RSS (MB)",
        peak,
        f"<= {RENDER_RSS_LIMIT_MB:g}",
        peak <= RENDER_RSS_LIMIT_MB,
        ", ".join(f"{row['minutes']:g} min {row['render_mb']['median']:.0f}" for row in cold),
    )
    workers = [row for row in cold if row["worker_max_mb"]]
    peak = max((row["worker_max_mb"]["median"] for row in workers), default=None)
    detail = ", ".join(f"{row['minutes']:g} min {row['worker_max_mb']['median']:.0f} ({row['workers']} workers)" for row in workers)
    piper = r.get("speech", {}).get("piper")
    if piper:  # the speech section synthesises the same phrases several times: how much a worker's peak varies
        seen = [mb for row in piper["workers"] for mb in row["worker_maxrss_mb"]["runs"]]
        detail += f"; speech section, same phrases, any worker count: {min(seen):.0f}..{max(seen):.0f}"
    engine = mem["cold"].get("engine", "piper")
    limit = WORKER_RSS_LIMIT_MB.get(engine, WORKER_RSS_LIMIT_MB["piper"])
    add(
        f"cold render: each voice worker's peak RSS (MB, {engine})",
        peak,
        f"<= {limit:g}",
        None if peak is None else peak <= limit,
        detail or "no worker seen",
    )


def _batch(r: dict, add) -> None:
    b = r.get("batch")
    if b:
        speedup = b["workers_1"]["wall_s"]["median"] / b["workers_2"]["wall_s"]["median"]
        add(
            "batch throughput, 2 workers / 1 worker",
            speedup,
            f">= {BATCH_SPEEDUP_MIN}",
            speedup >= BATCH_SPEEDUP_MIN,
            f"{b['workers_1']['wall_s']['median']:.1f} s / {b['workers_2']['wall_s']['median']:.1f} s for {b['rows']} sessions",
        )
    else:
        add("batch throughput, 2 workers / 1 worker", None, f">= {BATCH_SPEEDUP_MIN}", None, "not measured")
