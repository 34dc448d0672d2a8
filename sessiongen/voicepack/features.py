"""Spectral features of speech, for finding a phrase by what is said: MFCC (librosa), one frame
every FEATURE_HOP_S, the same for a clinician's take (streamed, flat memory) and for the
synthetic voice's reading of a phrase.

The first coefficient (overall level) is left out, so a phrase said louder or softer looks the
same; the filters start above 100 Hz, so mains hum does not count. Each side is normalised on its
own speech (mean and spread per coefficient), which takes out most of the difference between two
voices' timbres and microphones.
"""

from __future__ import annotations

import numpy as np

FEATURE_HOP_S = 0.02
COEFFICIENTS = 20  # after the first (level) is dropped
MELS = 40
LOWEST_HZ, HIGHEST_HZ = 100.0, 8000.0
CHUNK_S = 30.0  # a take is featured this much at a time


def fft_size(rate_hz: int) -> int:
    return 2048 if rate_hz > 32_000 else 1024


def hop_frames(rate_hz: int) -> int:
    return int(round(FEATURE_HOP_S * rate_hz))


def offset_s(rate_hz: int) -> float:
    """The time of feature frame 0's centre (frame k: k * FEATURE_HOP_S later)."""
    return fft_size(rate_hz) / 2 / rate_hz


def mfcc(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """(frames, COEFFICIENTS) for mono samples; frames whose window fits (no padding)."""
    import librosa  # numba compiles on first use: only when a take is imported

    n_fft = fft_size(rate_hz)
    if len(samples) < n_fft:
        samples = np.pad(samples, (0, n_fft - len(samples)))
    mel = librosa.feature.melspectrogram(
        y=np.ascontiguousarray(samples, dtype=np.float32),
        sr=rate_hz,
        n_fft=n_fft,
        hop_length=hop_frames(rate_hz),
        center=False,
        n_mels=MELS,
        fmin=LOWEST_HZ,
        fmax=min(HIGHEST_HZ, rate_hz / 2),
    )
    cepstra = librosa.feature.mfcc(S=librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None), n_mfcc=COEFFICIENTS + 1)
    return cepstra[1:].T.astype(np.float32)


class Framer:
    """MFCC frames of a stream of mono blocks, CHUNK_S at a time, continuous across chunks."""

    def __init__(self, rate_hz: int):
        self.rate_hz, self.hop, self.n_fft = rate_hz, hop_frames(rate_hz), fft_size(rate_hz)
        self.pending: list[np.ndarray] = []
        self.pending_n = 0
        self.frames: list[np.ndarray] = []

    def add(self, block: np.ndarray) -> None:
        self.pending.append(block)
        self.pending_n += len(block)
        if self.pending_n >= CHUNK_S * self.rate_hz:
            self._flush()

    def _flush(self) -> None:
        buffer = np.concatenate(self.pending) if self.pending else np.zeros(0, np.float32)
        count = 1 + (len(buffer) - self.n_fft) // self.hop if len(buffer) >= self.n_fft else 0
        if count > 0:
            self.frames.append(mfcc(buffer[: (count - 1) * self.hop + self.n_fft], self.rate_hz))
        rest = buffer[count * self.hop :]
        self.pending, self.pending_n = [rest], len(rest)

    def result(self) -> np.ndarray:
        self._flush()
        return np.concatenate(self.frames) if self.frames else np.zeros((0, COEFFICIENTS), np.float32)


def normalised(features: np.ndarray, speech: np.ndarray | None = None) -> np.ndarray:
    """Features with each coefficient's mean and spread over the speech frames (a boolean mask;
    all frames when None) taken out, then each frame scaled to length 1 (frames are compared by
    the angle between them: cosine distance, which two voices agree on far better than on
    euclidean distance: 42 of 43 phrases best matched by their own reading against 21 of 43,
    espeak-ng against Piper joe)."""
    basis = features if speech is None or not speech.any() else features[speech]
    if not len(basis):
        return features
    centred = (features - basis.mean(axis=0)) / np.maximum(basis.std(axis=0), 1e-3)
    return (centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6)).astype(np.float32)
