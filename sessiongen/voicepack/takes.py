"""Reading a clinician's takes: decoded block by block (sound/useraudio.py: WAV, FLAC, OGG, MP3 by
libsndfile; M4A and AAC by ffmpeg where it is on the PATH), folded to mono at the mix rate.

Two passes over a take, each with flat memory: `envelope` measures it every HOP_S (after an
80 Hz high-pass, so hum and rumble do not count as speech) and takes its spectral features (MFCC,
features.py) every FEATURE_HOP_S, and `cut` hands out the spans asked for as the decoding
reaches them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from sessiongen.errors import SessiongenError
from sessiongen.sound.useraudio import stream_audio
from sessiongen.timefmt import clock
from sessiongen.voicepack.features import Framer

HOP_S = 0.01
MAX_TAKE_S = 4 * 3600.0
HIGH_PASS_HZ = 80.0
FLOOR_DB = -120.0
ACCEPTED = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".m4a", ".aac", ".mp4")


def check_lengths(paths: list[Path]) -> None:
    """Every take's length from its header, before any is decoded: one over MAX_TAKE_S is refused
    in one line (it would otherwise be cut there, and the phrases after the cut called missing)."""
    for path in paths:
        duration_s = length_s(path)
        if duration_s is not None and duration_s > MAX_TAKE_S:
            raise SessiongenError(_too_long(path, duration_s))


def _too_long(path: Path, duration_s: float | None = None) -> str:
    length = f" is {clock(duration_s)} long," if duration_s is not None else " is"
    return (
        f"{path}:{length} longer than the limit of {clock(MAX_TAKE_S)} for one take: split it into takes of at most "
        "4 hours and import them together, in the sheet's order: the pack is unchanged"
    )


def length_s(path: Path) -> float | None:
    """A take's length as its header gives it (libsndfile, or ffmpeg's reading of it); None if unknown."""
    try:
        info = sf.info(str(path))
        return info.frames / info.samplerate if info.samplerate else None
    except (RuntimeError, sf.LibsndfileError):
        pass
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    try:
        probe = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=30, errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", probe.stderr)
    return int(found.group(1)) * 3600 + int(found.group(2)) * 60 + float(found.group(3)) if found else None


def mono_blocks(path: Path, rate_hz: int) -> Iterator[np.ndarray]:
    """A take as mono blocks at rate_hz. One longer than MAX_TAKE_S whose header did not say so is
    an error once the decoding passes the limit, never a take cut short without a word."""
    decoded, limit = 0, int(MAX_TAKE_S * rate_hz)
    for block in stream_audio(path, rate_hz, MAX_TAKE_S + 1.0, min_duration_s=0.0):
        decoded += len(block)
        if decoded > limit:
            raise SessiongenError(_too_long(path))
        yield block.mean(axis=1, dtype=np.float32)


def high_pass(rate_hz: int):
    return signal.butter(4, HIGH_PASS_HZ, "highpass", fs=rate_hz, output="sos")


@dataclass(frozen=True)
class Envelope:
    """A take measured every HOP_S: the high-passed RMS and the sample peak, in dBFS; and its
    MFCC frames (features.py), one every FEATURE_HOP_S."""

    path: Path
    rate_hz: int
    level_db: np.ndarray
    peak_db: np.ndarray
    frames: int
    mfcc: np.ndarray

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz


def envelope(path: Path, rate_hz: int) -> Envelope:
    sos, hop = high_pass(rate_hz), int(round(HOP_S * rate_hz))
    state = np.zeros((sos.shape[0], 2))
    carry_raw, carry_hp = np.zeros(0, np.float32), np.zeros(0, np.float32)
    levels, peaks, frames = [], [], 0
    framer = Framer(rate_hz)
    for block in mono_blocks(path, rate_hz):
        frames += len(block)
        filtered, state = signal.sosfilt(sos, block, zi=state)
        raw, hp = np.concatenate([carry_raw, block]), np.concatenate([carry_hp, filtered.astype(np.float32)])
        usable = len(raw) // hop * hop
        levels.append(np.square(hp[:usable], dtype=np.float64).reshape(-1, hop).mean(axis=1))
        peaks.append(np.abs(raw[:usable]).reshape(-1, hop).max(axis=1))
        carry_raw, carry_hp = raw[usable:], hp[usable:]
        framer.add(filtered.astype(np.float32))
    level = np.concatenate(levels) if levels else np.zeros(0)
    peak = np.concatenate(peaks) if peaks else np.zeros(0)
    return Envelope(path, rate_hz, _db(level, power=True), _db(peak), frames, framer.result())


def _db(values: np.ndarray, power: bool = False) -> np.ndarray:
    scale = 10.0 if power else 20.0
    return np.maximum(scale * np.log10(np.maximum(values, 1e-30)), FLOOR_DB)


def cut(path: Path, rate_hz: int, spans: list[tuple[int, int]]) -> Iterator[tuple[int, np.ndarray]]:
    """(index, mono samples) of each span (start, stop frames) of a take, in order of start, as
    the decoding reaches its end; spans may overlap."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    pending: dict[int, list[np.ndarray]] = {}
    position, next_up = 0, 0
    for block in mono_blocks(path, rate_hz):
        end = position + len(block)
        while next_up < len(order) and spans[order[next_up]][0] < end:
            pending[order[next_up]] = []
            next_up += 1
        for index in list(pending):
            start, stop = spans[index]
            lo, hi = max(start, position) - position, min(stop, end) - position
            if hi > lo:
                pending[index].append(block[lo:hi])
            if stop <= end:
                yield index, np.concatenate(pending.pop(index) or [np.zeros(0, np.float32)])
        position = end
    for index in list(pending) + [order[i] for i in range(next_up, len(order))]:
        yield index, np.concatenate(pending.pop(index, None) or [np.zeros(0, np.float32)])
