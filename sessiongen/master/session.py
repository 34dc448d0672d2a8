"""A session mastered: the mix, window by window, through the chain (gain, limiter, fades), into
whatever writes it, measured before and after; and the gain that lands it on its target.

The gain is anchored on the voice (loudness mode "voice"): the speech-gated loudness of the
narration, measured before mastering (mix/voice.py), lands on the target, and everything else
keeps its level against the voice. With "programme", or in a session without narration, the
whole mix lands on the target: its loudness is predicted (mix/predict.py) and measured as it
goes by; should the prediction miss by more than PREDICTION_TOLERANCE_LU, the session is
mastered again with the measured gain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from sessiongen.master.chain import Chain, Fading, Gain, Limiting, Metering
from sessiongen.master.fades import Fades
from sessiongen.master.loudness import LoudnessMeter, OutputMeter, gain_for
from sessiongen.model.results import Delivered, Loudness
from sessiongen.settings import Settings
from sessiongen.sound.audio import gain_to_db
from sessiongen.sound.limiter import Limiter

PREDICTION_TOLERANCE_LU = 0.1  # a prediction further than this from the measured mix is mastered again


@dataclass(frozen=True)
class Mastered:
    gain: float
    limiter_db: float
    delivered: Delivered
    mix: Loudness  # the mix before mastering, measured as it went by
    on_speech: tuple[float, float]  # the limiter's gain reduction over speech: mean, worst (dB)
    passes: int = 1  # 2 when the programme's prediction missed and the session was mastered again

    @property
    def gain_db(self) -> float:
        return gain_to_db(self.gain)


@dataclass(frozen=True)
class Frame:
    """What mastering needs to know of the session: its length, rate and channels, the voice's
    spans (the limiting over them is reported), and the codec's level change to make up."""

    frames: int
    rate_hz: int
    speech_spans: tuple[tuple[int, int], ...]
    codec_db: float


def fold(block: np.ndarray, settings: Settings) -> np.ndarray:
    """The mix as it is delivered: stereo, or folded down to one channel for a speaker."""
    return block.mean(axis=1, keepdims=True, dtype=np.float32) if settings.mono else block


def master(
    mixes: Iterable[np.ndarray], frame: Frame, settings: Settings, gain: float, write: Callable[[np.ndarray], None], report
) -> Mastered:
    """The mix, window by window, through gain, limiter and fades into `write`, measuring the mix
    and what is delivered; `report(fraction)` as it goes."""
    limiter = Limiter(frame.rate_hz, settings.peak_ceiling_db, settings.channels)
    limiting = Limiting(limiter, list(frame.speech_spans))
    meter, mix_meter = OutputMeter(frame.rate_hz, settings.channels), LoudnessMeter(frame.rate_hz, settings.channels)
    fades = Fades(frame.frames, frame.rate_hz, settings.fade_in_s, settings.fade_out_s)
    chain = Chain(Gain(gain), limiting, Fading(fades), Metering(meter))
    done = 0
    for mix in mixes:
        mix = fold(mix, settings)
        mix_meter.add(mix)
        write(chain.process(mix))
        done += len(mix)
        report(done / frame.frames)
    tail = chain.flush()
    if len(tail):
        write(tail)
    true_peak_db = min(gain_to_db(limiter.peak), settings.peak_ceiling_db)  # the limiter holds the ceiling
    on_speech = (limiting.on_speech.mean_db, limiting.on_speech.worst_db)
    return Mastered(gain, limiter.reduction_db, meter.result(true_peak_db, frame.codec_db), mix_meter.result(), on_speech)


def missed(predicted_lufs: float, measured_lufs: float) -> bool:
    if not (np.isfinite(predicted_lufs) and np.isfinite(measured_lufs)):
        return np.isfinite(predicted_lufs) != np.isfinite(measured_lufs)
    return abs(predicted_lufs - measured_lufs) > PREDICTION_TOLERANCE_LU


def mastered_on_target(master_with: Callable[[float], Mastered], anchor_lufs: float, target_lufs: float, programme: bool) -> Mastered:
    """Master once with the gain that brings `anchor_lufs` (the voice, or the programme as
    predicted) to the target; in programme mode, again if the prediction missed."""
    first = master_with(gain_for(anchor_lufs, target_lufs))
    if programme and missed(anchor_lufs, first.mix.integrated_lufs):
        again = master_with(gain_for(first.mix.integrated_lufs, target_lufs))
        return Mastered(again.gain, again.limiter_db, again.delivered, again.mix, again.on_speech, passes=2)
    return first
