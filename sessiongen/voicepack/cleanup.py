"""Gentle, measured clean-up of one recorded phrase.

In order: a high-pass at 80 Hz (rumble, hum's fundamental, handling noise), de-clicking (single
spikes far above the local slope, bridged over a millisecond), stationary noise reduction with
noisereduce against the take's own room tone at a conservative strength (NOISE_REDUCTION: the
noise is lowered, not removed, so the voice keeps its air), a trim to the speech with a short
margin of room tone and short fades, and the levelling every synthetic clip gets
(speech/clips.py), so a recorded phrase sits at the same speech loudness.
"""

from __future__ import annotations

from dataclasses import dataclass

import noisereduce
import numpy as np
from scipy import signal

from sessiongen.settings import Settings
from sessiongen.speech.clips import level as level_like_synthetic
from sessiongen.voicepack.takes import HOP_S, high_pass

NOISE_REDUCTION = 0.7  # noisereduce's prop_decrease: at most about -10 dB on the noise
MIN_ROOM_TONE_S = 0.25  # less than this and the noise is not reduced (nothing to learn it from)
MARGIN_S = 0.05  # room tone kept before and after the speech
FADE_S = 0.02
NR_PADDING = 2048  # noisereduce's padding of each chunk (its default of 30 000 doubled the time on a phrase)
CLICK_RATIO = 12.0  # a jump this many times the local slope's RMS is a click
CLICK_S = 0.001


@dataclass(frozen=True)
class Measured:
    """A stretch of audio measured every HOP_S: its speech level and noise floor (dBFS, RMS)."""

    speech_db: float
    noise_db: float

    @property
    def snr_db(self) -> float:
        return self.speech_db - self.noise_db


def measure(mono: np.ndarray, rate_hz: int) -> Measured:
    hop = max(1, int(HOP_S * rate_hz))
    usable = len(mono) // hop * hop
    if usable == 0:
        return Measured(-120.0, -120.0)
    power = np.square(mono[:usable], dtype=np.float64).reshape(-1, hop).mean(axis=1)
    level = 10 * np.log10(np.maximum(power, 1e-12))
    return Measured(float(np.percentile(level, 90)), float(np.percentile(level, 10)))


def declick(mono: np.ndarray, rate_hz: int) -> tuple[np.ndarray, int]:
    """Spikes bridged by straight lines; the number bridged."""
    slope = np.diff(mono, prepend=mono[:1])
    window = max(3, int(0.01 * rate_hz))
    local = np.sqrt(np.convolve(np.square(slope, dtype=np.float64), np.ones(window) / window, mode="same")) + 1e-6
    robust = np.median(local) * 3.0
    clicks = np.flatnonzero(np.abs(slope) > CLICK_RATIO * np.maximum(local * 0.25, robust))
    if not clicks.size:
        return mono, 0
    out, half = mono.copy(), max(1, int(CLICK_S * rate_hz))
    starts = clicks[np.concatenate([[True], np.diff(clicks) > half * 2])]
    for at in starts:
        lo, hi = max(0, at - half), min(len(out) - 1, at + half)
        out[lo : hi + 1] = np.linspace(out[lo], out[hi], hi - lo + 1, dtype=np.float32)
    return out, len(starts)


def trim(mono: np.ndarray, rate_hz: int, noise_db: float) -> np.ndarray:
    """The speech with MARGIN_S of room tone either side, faded in and out over FADE_S."""
    hop = max(1, int(HOP_S * rate_hz))
    usable = len(mono) // hop * hop
    power = np.square(mono[:usable], dtype=np.float64).reshape(-1, hop).mean(axis=1)
    level = 10 * np.log10(np.maximum(power, 1e-12))
    loud = np.flatnonzero(level > max(noise_db + 10.0, level.max() - 40.0)) if level.size else np.zeros(0, int)
    if not loud.size:
        return mono
    margin = int(MARGIN_S * rate_hz)
    start, stop = max(0, loud[0] * hop - margin), min(len(mono), (loud[-1] + 1) * hop + margin)
    out = mono[start:stop].copy()
    fade = min(int(FADE_S * rate_hz), len(out) // 2)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    out[:fade] *= ramp
    out[len(out) - fade :] *= ramp[::-1]
    return out


@dataclass(frozen=True)
class Cleaned:
    samples: np.ndarray  # mono at the mix rate, levelled
    before: Measured
    after: Measured
    clicks: int


def _rms_db(x: np.ndarray) -> float:
    return 10 * float(np.log10(max(float(np.mean(np.square(x, dtype=np.float64))) if x.size else 0.0, 1e-12)))


@dataclass(frozen=True)
class Room:
    """A take's room tone, as recorded and as the clean-up leaves it (measured once per take)."""

    noise: np.ndarray  # high-passed: what the noise reduction learns from
    before_db: float
    after_db: float


def _reduce(x: np.ndarray, rate_hz: int, noise: np.ndarray) -> np.ndarray:
    return noisereduce.reduce_noise(
        y=x, sr=rate_hz, stationary=True, y_noise=noise, prop_decrease=NOISE_REDUCTION, padding=NR_PADDING, n_jobs=1
    ).astype(np.float32)


def room(room_tone: np.ndarray | None, rate_hz: int) -> Room | None:
    """None when there is too little room tone to learn the noise from (it is then not reduced)."""
    if room_tone is None or len(room_tone) < MIN_ROOM_TONE_S * rate_hz:
        return None
    noise = signal.sosfiltfilt(high_pass(rate_hz), room_tone).astype(np.float32)
    return Room(noise, _rms_db(room_tone), _rms_db(_reduce(noise, rate_hz, noise)))


def clean(mono: np.ndarray, rate_hz: int, room_tone: Room | None, settings: Settings) -> Cleaned:
    """One phrase's segment (with some room tone around it) -> the clip spoken in sessions. The
    noise floor before and after is the take's room tone, as it was and as cleaned."""
    speech_db = measure(mono, rate_hz).speech_db
    filtered, clicks = declick(signal.sosfiltfilt(high_pass(rate_hz), mono).astype(np.float32), rate_hz)
    noise_after = noise_before = measure(mono, rate_hz).noise_db
    if room_tone is not None:
        filtered = _reduce(filtered, rate_hz, room_tone.noise)
        noise_before, noise_after = room_tone.before_db, room_tone.after_db
    trimmed = trim(filtered, rate_hz, noise_after)
    levelled = level_like_synthetic(trimmed, rate_hz, settings)
    gain_db = _rms_db(levelled) - _rms_db(trimmed)
    after = Measured(measure(filtered, rate_hz).speech_db + gain_db, noise_after + gain_db)  # as delivered: levelled
    return Cleaned(np.ascontiguousarray(levelled, dtype=np.float32), Measured(speech_db, noise_before), after, clicks)
