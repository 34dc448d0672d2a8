"""Reading audio a user supplies (beds): any common format, resampled to the mix rate, stereo."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from sessiongen.errors import SessiongenError
from sessiongen.sound.audio import Audio, resample

MIN_DURATION_S = 2.0


def read_audio(path: str | Path, rate_hz: int, max_duration_s: float) -> Audio:
    path = Path(path)
    if not path.is_file():
        raise SessiongenError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise SessiongenError(f"{path}: the file is empty: choose another audio file")
    samples, file_rate = _decode(path)
    if len(samples) < MIN_DURATION_S * file_rate:
        raise SessiongenError(f"{path}: the audio is shorter than {MIN_DURATION_S:g} s: a bed needs at least that to loop")
    if len(samples) > max_duration_s * file_rate:
        samples = samples[: int(max_duration_s * file_rate)]
    if samples.shape[1] == 1:
        samples = np.repeat(samples, 2, axis=1)
    elif samples.shape[1] > 2:  # surround: even channels to the left, odd ones to the right
        samples = np.stack([samples[:, 0::2].mean(axis=1), samples[:, 1::2].mean(axis=1)], axis=1)
    channels = [resample(samples[:, c], file_rate, rate_hz) for c in range(2)]
    return Audio(np.stack(channels, axis=1).astype(np.float32), rate_hz)


def _decode(path: Path) -> tuple[np.ndarray, int]:
    try:
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return samples, int(rate)
    except (RuntimeError, sf.LibsndfileError):
        pass
    try:  # other formats (m4a, aac, ...) through pydub, which needs ffmpeg on the PATH
        with warnings.catch_warnings():  # pydub warns on import when ffmpeg is missing
            warnings.simplefilter("ignore")
            from pydub import AudioSegment

            segment = AudioSegment.from_file(str(path))
    except Exception:
        raise SessiongenError(f"{path}: cannot be read as audio: use WAV, FLAC, OGG or MP3") from None
    raw = np.array(segment.get_array_of_samples(), dtype=np.float32).reshape(-1, segment.channels)
    return raw / float(1 << (8 * segment.sample_width - 1)), int(segment.frame_rate)
