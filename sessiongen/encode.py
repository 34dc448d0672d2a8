"""Encode: streaming writers for MP3 (lameenc) and WAV/FLAC/OGG (soundfile), atomic on disk."""

from __future__ import annotations

from pathlib import Path

import lameenc
import numpy as np
import soundfile as sf

from sessiongen.errors import SessiongenError, suggest

FORMATS = ("mp3", "wav", "flac", "ogg")
MP3_BITRATES_KBPS = (128, 192, 256)
MP3_QUALITY = 5  # lame's speed/quality trade-off; 5 is near-transparent for speech at 192 kbps


def format_for(path: Path, explicit: str | None = None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise SessiongenError(f"{path}: unknown output format '{fmt or path.name}'{suggest(fmt, FORMATS)}: use .mp3, .wav, .flac or .ogg")
    return fmt


def to_int16(block: np.ndarray) -> np.ndarray:
    return np.clip(np.round(block * 32767.0), -32768, 32767).astype(np.int16)


class Mp3Writer:
    def __init__(self, path: Path, rate_hz: int, bitrate_kbps: int = 192, channels: int = 2):
        if bitrate_kbps not in MP3_BITRATES_KBPS:
            raise SessiongenError(f"MP3 bitrate must be one of {', '.join(map(str, MP3_BITRATES_KBPS))} kbps")
        self._file = open(path, "wb")
        self._encoder = lameenc.Encoder()
        self._encoder.set_bit_rate(bitrate_kbps)
        self._encoder.set_in_sample_rate(rate_hz)
        self._encoder.set_channels(channels)
        self._encoder.set_quality(MP3_QUALITY)

    def write(self, block: np.ndarray) -> None:
        if len(block):
            self._file.write(self._encoder.encode(to_int16(block).tobytes()))

    def close(self) -> None:
        self._file.write(self._encoder.flush())
        self._file.close()


class SoundfileWriter:
    SUBTYPES = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS"}

    def __init__(self, path: Path, rate_hz: int, fmt: str, subtype: str | None = None, channels: int = 2):
        self._file = sf.SoundFile(str(path), "w", samplerate=rate_hz, channels=channels, format=fmt.upper(), subtype=subtype or self.SUBTYPES[fmt])

    def write(self, block: np.ndarray) -> None:
        if len(block):
            self._file.write(block)

    def close(self) -> None:
        self._file.close()


def open_writer(path: Path, fmt: str, rate_hz: int, bitrate_kbps: int = 192, channels: int = 2):
    if fmt == "mp3":
        return Mp3Writer(path, rate_hz, bitrate_kbps, channels)
    return SoundfileWriter(path, rate_hz, fmt, channels=channels)
