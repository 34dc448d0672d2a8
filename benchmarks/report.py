"""The benchmark's table: the JSON document written by run.py, as text for stdout."""

from __future__ import annotations


def table(doc: dict) -> str:
    lines = _header(doc)
    lines += _columns(_figures(doc["results"]))
    lines += ["", "targets (ratios measured in this run):"]
    lines += _columns(
        [("target", "measured", "limit", "status", "detail")]
        + [
            (t["target"], "-" if t["measured"] is None else f"{t['measured']:.3g}", t["limit"], t["status"], t["detail"])
            for t in doc["targets"]
        ]
    )
    lines += _footer(doc)
    return "\n".join(lines)


def _header(doc: dict) -> list[str]:
    m = doc["machine"]
    return [
        f"sessiongen benchmarks: {m['nproc']} cores, {m['cpu_model']}, {m['memory_mb']} MB, Python {m['python']}, "
        f"{doc['runs']} run(s) per figure (median){', QUICK' if doc['quick'] else ''}",
        f"sessiongen source {doc['package']['start']['sha256'][:12]} (newest file {doc['package']['start']['newest_mtime']})"
        + (f"; CHANGED during the run: {', '.join(doc['package']['changed_files'])}" if doc["package"]["changed_files"] else ""),
        "",
    ]


def _footer(doc: dict) -> list[str]:
    lines = []
    if doc.get("sections"):
        lines.append(
            "machine CPU stolen by the hypervisor, by section: "
            + ", ".join(f"{name} {info.get('steal_pct', '?')} %" for name, info in doc["sections"].items())
        )
    for name, error in doc["errors"].items():
        lines.append(f"ERROR in {name}: {error}")
    for note in doc["notes"]:
        lines.append(f"note: {note}")
    return lines


def _figures(r: dict) -> list[tuple]:
    rows = [("figure", "median", "min..max", "detail")]
    _e2e_rows(rows, r)
    _native_rows(rows, r)
    _speech_rows(rows, r)
    _memory_rows(rows, r)
    _batch_rows(rows, r)
    return rows


def _timing(rows: list, label, s, detail=""):
    rows.append((label, f"{s['median']:.2f} s", f"{s['min']:.2f}..{s['max']:.2f}", detail))


def _e2e_rows(rows: list, r: dict) -> None:
    if "e2e" in r:
        e = r["e2e"]
        for key, label in (
            ("mp3-warm", "MP3, warm cache"),
            ("mp3-cold", "MP3, cold cache"),
            ("wav-warm", "WAV, warm cache"),
            ("wav-cold", "WAV, cold cache"),
        ):
            _timing(
                rows,
                f"render {e['minutes']:g} min {label}",
                e[key]["wall_s"],
                f"{e[key]['realtime_x']}x realtime, {e[key]['maxrss_mb']['median']:.0f} MB"
                + (" (wait4: the largest process, a voice worker)" if key.endswith("cold") else ""),
            )
    if "encoder" in r:
        _timing(rows, "lameenc alone, same PCM", r["encoder"]["wall_s"], f"{r['encoder']['realtime_x']}x realtime")


def _native_rows(rows: list, r: dict) -> None:
    if "native" in r:
        for tool in ("ffmpeg", "sox"):
            if tool in r["native"]:
                _timing(rows, f"{tool} native noise+tones mix", r["native"][tool]["wall_s"], f"{r['native'][tool]['realtime_x']}x realtime")
        if not r["native"].get("sox_available"):
            rows.append(("sox native noise+tones mix", "-", "-", "sox is not installed"))


def _speech_rows(rows: list, r: dict) -> None:
    if "piper" in r.get("speech", {}):
        _piper_rows(rows, r["speech"]["piper"])
    if "pyttsx3" in r.get("speech", {}):
        s = r["speech"]["pyttsx3"]
        _timing(
            rows,
            "espeak path: pipeline.prepare --engine pyttsx3, cold",
            s["sessiongen"]["prepare_s"],
            f"{s['sessiongen']['words_per_s']} words/s, {s['sessiongen']['audio_s_per_s']} audio s/s ({s['words']} words, {s['phrases']} phrases)",
        )
        _timing(
            rows,
            "espeak-ng direct, same phrases",
            s["espeak"]["synth_s"],
            f"{s['espeak']['words_per_s']} words/s, {s['espeak']['audio_s_per_s']} audio s/s",
        )


def _piper_rows(rows: list, p: dict) -> None:
    for row in p["workers"]:
        default = row["workers"] == p["default_workers"]
        _timing(
            rows,
            f"piper: pipeline.prepare, cold, {row['workers']} worker{'s' * (row['workers'] > 1)}{' (default)' if default else ''}",
            row["prepare_s"],
            f"{row['words_per_s']} words/s, {row['audio_s_per_s']} audio s/s, {row['cores_used']} cores, "
            f"worker {row['worker_maxrss_mb']['median']:.0f} MB" + (f" ({p['words']} words, {p['phrases']} phrases)" if default else ""),
        )
    for key, label in (("piper_cli", "piper CLI, default settings"), ("piper_cli_paced", "piper CLI at sessiongen's pace (control)")):
        c = p[key]
        _timing(
            rows,
            label,
            c["wall_s"],
            f"{c['words_per_s']} words/s, {c['audio_s_per_s']} audio s/s, {c['cores_used']} cores, {c['maxrss_mb']['median']:.0f} MB",
        )
    _timing(rows, "piper CLI, one word (start-up)", p["piper_cli_startup"]["wall_s"])
    rows.append(
        (
            "piper: pace calibration, once per voice",
            f"{p['calibration']['calibrate_s']:.2f} s",
            "-",
            f"first cold run {p['calibration']['first_run_prepare_s']:.1f} s (+{p['calibration']['first_run_extra_s']:.1f} s)",
        )
    )


def _memory_rows(rows: list, r: dict) -> None:
    if "memory" not in r:
        return
    for row in r["memory"]["rows"]:
        label = f"peak RSS {row['minutes']:g} min ({row['workload']}{', control' if row['control'] else ''})"
        s = row["maxrss_mb"]
        rows.append(
            (
                label,
                f"{s['median']:.0f} MB",
                f"{s['min']:.0f}..{s['max']:.0f}",
                f"render {row['wall_s']['median']:.1f} s, {row['realtime_x']}x realtime",
            )
        )
    for row in r["memory"].get("cold", {}).get("rows", []):
        s, w = row["render_mb"], row["worker_max_mb"]
        rows.append(
            (
                f"peak RSS cold {row['minutes']:g} min ({row['workload']}): render process",
                f"{s['median']:.0f} MB",
                f"{s['min']:.0f}..{s['max']:.0f}",
                f"each voice worker at most {w['median']:.0f} MB ({row['workers']} workers)" if w else "no voice worker seen",
            )
        )


def _batch_rows(rows: list, r: dict) -> None:
    if "batch" in r:
        b = r["batch"]
        for w in (1, 2):
            _timing(
                rows,
                f"batch {b['rows']} x {b['minutes_each']:g} min, {w} worker{'s' * (w > 1)}",
                b[f"workers_{w}"]["wall_s"],
                f"{b[f'workers_{w}']['sessions_per_hour']} sessions/h",
            )


def _columns(rows) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " + str(row[-1]) for row in rows]
