#!/usr/bin/env python3
"""Choose the Opus and AAC bitrates by measurement (docs/performance.md, "Opus and AAC bitrates").

    .venv/bin/python benchmarks/codec_bitrate.py                  # Piper's joe, about 1 min
    .venv/bin/python benchmarks/codec_bitrate.py --engine pyttsx3 --tone chime
    .venv/bin/python benchmarks/codec_bitrate.py --speed          # encoding time of MP3, M4B, Opus

Renders one session to WAV (44.1 kHz stereo, real voice, no bed so the silent ear is silent, a 20 s bilateral set of sine
tones at 250 Hz and hard pan), encodes it at each candidate bitrate with the writer sessiongen uses
(output/avencode.AvWriter, PyAV), decodes it (PyAV, resampled back to 44.1 kHz) and measures,
against the WAV:

  lsd_db     log-spectral distance over the narration (50 Hz - 8 kHz, 2048-point frames where
             the WAV is within 50 dB of its loudest frame, bins within 30 dB of the frame's
             strongest): how far the spectrum that is heard moved, in dB.
             Under about 1 dB is hard to hear on speech; over 2 dB is audible as a change of timbre.
  band_khz   the highest frequency at which the decoded long-term spectrum stays within 10 dB of
             the WAV's (Opus narrows its audio band at low rates).
  leak_db    during the bilateral set, the tone band (200-300 Hz) in the ear that should be
             silent, relative to the ear that plays, worst 100 ms window among those where the
             WAV's silent ear is at least 40 dB down: how much of the alternation survives.
  kb_min     file size per minute.

  pesq_wb    ITU-T P.862.2 wideband PESQ of the narration (pip install pesq; MOS-LQO, up to 4.64).

The choice (printed last): the lowest bitrate that speaks as well as the MP3 sessiongen has always
delivered (lameenc, 192 kbps, the first row): pesq_wb within PESQ_MARGIN of it, band no narrower
(within 0.5 kHz), and the alternation kept (leak at most LEAK_LIMIT_DB, or the MP3's + 3 dB when
the timbre itself leaks more). lsd_db is shown, not used:
it counts the noise a perceptual codec shapes on purpose as error.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from sessiongen import pipeline
from sessiongen.output import avencode, encode
from sessiongen.settings import DEFAULTS

SCRIPT = """---
title: Bitrate check
ambience: none
---
# Settling
Welcome. You might let your shoulders soften, only as much as feels comfortable.
If you like, notice where your feet meet the floor, and the weight of your hands.
[pause 2s]
You can open your eyes and look around the room at any moment.
[bls 20s rate=1.0 tone={tone} depth=100]
When you are ready, let your attention come back to the sounds around you.
"""
OPUS_KBPS = (24, 32, 48, 64, 96, 128)
AAC_KBPS = (64, 96, 128, 160, 192)
RATE = 44100
PESQ_MARGIN = 0.1  # MOS: the smallest difference PESQ's authors treat as meaningful is about this
LEAK_LIMIT_DB = -60.0  # or the MP3's own leak + 3 dB, whichever is higher (a woodblock leaks in the source)


def render_wav(folder: Path, engine: str, tone: str = "sine") -> tuple[np.ndarray, object]:
    script_file = folder / "bitrate.md"
    script_file.write_text(SCRIPT.replace("{tone}", tone), encoding="utf-8")
    settings = DEFAULTS.but(engine=engine, ambience="none")
    script = pipeline.load(str(script_file))
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(script, {}, settings, root)
    out = folder / "bitrate.wav"
    pipeline.write(prepared, settings, out, "wav")
    return sf.read(str(out), dtype="float32", always_2d=True)[0], prepared.timeline


def mp3_round_trip(samples: np.ndarray, folder: Path, kbps: int) -> tuple[np.ndarray, int]:
    """The reference: our MP3 writer (lameenc) at the product's default bitrate, decoded by libsndfile."""
    path = folder / f"mp3-{kbps}.mp3"
    writer = encode.Mp3Writer(path, RATE, kbps)
    for start in range(0, len(samples), RATE):
        writer.write(samples[start : start + RATE])
    writer.close()
    return sf.read(str(path), dtype="float32", always_2d=True)[0][: len(samples)], path.stat().st_size


def round_trip(samples: np.ndarray, folder: Path, codec: str, kbps: int) -> tuple[np.ndarray, int]:
    path = folder / f"{codec}-{kbps}.{'opus' if codec == 'opus' else 'm4a'}"
    options = (
        dict(container="ogg", codec="libopus", out_rate_hz=48000, codec_options={"application": "audio"})
        if codec == "opus"
        else dict(container="ipod", codec="aac", out_rate_hz=RATE, codec_options={"profile": "aac_low"})
    )
    writer = avencode.AvWriter(path, RATE, 2, bitrate_bps=kbps * 1000, **options)
    for start in range(0, len(samples), RATE):
        writer.write(samples[start : start + RATE])
    writer.close()
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        blocks = [r.to_ndarray() for f in container.decode(audio=0) for r in resampler.resample(f)] + [
            r.to_ndarray() for r in resampler.resample(None)
        ]
    return np.concatenate(blocks, axis=1).T[: len(samples)], path.stat().st_size


def spectra(x: np.ndarray, n: int = 2048) -> np.ndarray:
    frames = len(x) // n
    window = np.hanning(n)
    return np.abs(np.fft.rfft(x[: frames * n].reshape(frames, n) * window, axis=1)) ** 2


def lsd_db(ref: np.ndarray, got: np.ndarray, speech: np.ndarray) -> float:
    a, b = spectra(ref.mean(axis=1)[speech]), spectra(got.mean(axis=1)[speech])
    freqs = np.fft.rfftfreq(2048, 1 / RATE)
    band = (freqs >= 50) & (freqs <= 8000)
    energy = a.sum(axis=1)
    loud = energy > energy.max() * 1e-5
    a, b = a[loud][:, band], b[loud][:, band]
    heard = a > a.max(axis=1, keepdims=True) * 1e-3  # bins within 30 dB of the frame's strongest: what is heard
    diff = 10 * np.log10((a + 1e-12) / (b + 1e-12))
    return float(np.mean([np.sqrt(np.mean(d[h] ** 2)) for d, h in zip(diff, heard)]))


def pesq_wb(ref: np.ndarray, got: np.ndarray, speech: np.ndarray) -> float:
    """ITU-T P.862.2 wideband PESQ (MOS-LQO, 1 to 4.64) of the narration, both folded to mono at 16 kHz."""
    from pesq import pesq  # the benchmark's own dependency: pip install pesq
    from scipy.signal import resample_poly

    a, b = (resample_poly(x.mean(axis=1)[speech], 160, 441) for x in (ref, got))
    return float(pesq(16000, a, b, "wb"))


def band_khz(ref: np.ndarray, got: np.ndarray) -> float:
    a, b = spectra(ref.mean(axis=1)).mean(axis=0), spectra(got.mean(axis=1)).mean(axis=0)
    freqs = np.fft.rfftfreq(2048, 1 / RATE)
    kept = (10 * np.log10((b + 1e-20) / (a + 1e-20)) > -10) & (a > a.max() * 1e-9)
    return float(freqs[np.flatnonzero(kept)[-1]] / 1000) if kept.any() else 0.0


def leak_db(ref: np.ndarray, got: np.ndarray, span: tuple[int, int]) -> float:
    window = RATE // 10
    worst = -120.0
    for start in range(span[0], span[1] - window, window):
        r, g = ref[start : start + window], got[start : start + window]
        tone = [np.abs(np.fft.rfft(ch))[int(200 * window / RATE) : int(300 * window / RATE)].sum() ** 2 for ch in (r[:, 0], r[:, 1])]
        if max(tone) < 1e4 * min(tone) + 1e-12:  # only windows where one ear plays and the other is 40 dB below
            continue
        on, off = (0, 1) if tone[0] > tone[1] else (1, 0)
        got_tone = [np.abs(np.fft.rfft(g[:, ch]))[int(200 * window / RATE) : int(300 * window / RATE)].sum() ** 2 for ch in (on, off)]
        worst = max(worst, 10 * np.log10((got_tone[1] + 1e-20) / (got_tone[0] + 1e-20)))
    return worst


def encode_speed(minutes: int = 10) -> None:
    """Seconds to encode and tag `minutes` of stereo noise (the worst case for size) in each format."""
    import time

    from sessiongen.output import formats, tags

    block = (0.1 * np.random.default_rng(1).standard_normal((RATE * 10, 2))).astype(np.float32)
    with tempfile.TemporaryDirectory() as name:
        for fmt in ("mp3", "m4b", "opus"):
            path = Path(name) / f"speed.{fmt}"
            start = time.perf_counter()
            writer = formats.open_writer(path, fmt, RATE)
            for _ in range(minutes * 6):
                writer.write(block)
            writer.close()
            encoded = time.perf_counter() - start
            tags.write_tags(
                path, fmt, tags.TagInfo(title="speed", chapters=(("a", 0.0, minutes * 30.0), ("b", minutes * 30.0, minutes * 60.0)))
            )
            print(
                f"{fmt}: encode {minutes} min {encoded:.1f} s, tag {time.perf_counter() - start - encoded:.2f} s, {path.stat().st_size / 1e6:.1f} MB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", default="piper")
    parser.add_argument("--tone", default="sine", help="the bilateral set's timbre (sessiongen sounds)")
    parser.add_argument("--speed", action="store_true", help="only time encoding 10 minutes in each format")
    args = parser.parse_args()
    if args.speed:
        encode_speed()
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        wav, tl = render_wav(folder, args.engine, args.tone)
        speech = np.zeros(len(wav), dtype=bool)
        bls = next((e.start, e.start + e.frames) for e in tl.events if e.kind.value == "bls")
        for e in tl.events:
            if e.kind.value == "speech":
                speech[e.start : e.start + e.frames] = True
        minutes = len(wav) / RATE / 60
        print(f"WAV: {len(wav) / RATE:.1f} s; leak in the WAV itself {leak_db(wav, wav, bls):.0f} dB")
        print(f"{'codec':<6} {'kbps':>5} {'pesq_wb':>7} {'lsd_db':>7} {'band_khz':>9} {'leak_db':>8} {'kb_min':>7}")
        rows = []
        for codec, rates in (("mp3", (192,)), ("opus", OPUS_KBPS), ("aac", AAC_KBPS)):
            for kbps in rates:
                got, size = mp3_round_trip(wav, folder, kbps) if codec == "mp3" else round_trip(wav, folder, codec, kbps)
                row = (
                    codec,
                    kbps,
                    lsd_db(wav, got, speech),
                    band_khz(wav, got),
                    leak_db(wav, got, bls),
                    size / 1024 / minutes,
                    pesq_wb(wav, got, speech),
                )
                rows.append(row)
                print(f"{row[0]:<6} {row[1]:>5} {row[6]:>7.2f} {row[2]:>7.2f} {row[3]:>9.1f} {row[4]:>8.1f} {row[5]:>7.0f}")
        reference = rows[0]
        for codec in ("opus", "aac"):
            mine = [r for r in rows if r[0] == codec]
            leak_limit_db = max(reference[4] + 3.0, LEAK_LIMIT_DB)
            chosen = next(
                (r for r in mine if r[6] >= reference[6] - PESQ_MARGIN and r[3] >= reference[3] - 0.5 and r[4] <= leak_limit_db), None
            )
            print(
                f"chosen {codec}: {f'{chosen[1]} kbps stereo' if chosen else 'none of these'}"
                + (f", {chosen[5] / reference[5]:.0%} of the MP3's size" if chosen else "")
            )


if __name__ == "__main__":
    main()
