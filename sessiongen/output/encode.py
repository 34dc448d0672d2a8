"""Encode: streaming writers for MP3 (lameenc) and WAV/FLAC/OGG (soundfile); output/formats.py
says which format uses which."""

from __future__ import annotations

import queue
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

import lameenc
import numpy as np
import soundfile as sf

from sessiongen.errors import SessiongenError

MP3_BITRATES_KBPS = (128, 192, 256)
BIT_DEPTHS = (16, 24)
MP3_QUALITY = 5  # lame's speed/quality trade-off; 5 is near-transparent for speech at 192 kbps


@lru_cache(maxsize=8)
def mp3_level_change_db(bitrate_kbps: int, rate_hz: int) -> float:
    """How much the MP3 round trip changes the level, measured once on a 1 kHz tone.

    lameenc lowers the level by a fixed amount that depends on the bitrate (measured here:
    -0.45 dB at 128 kbps, -0.26 dB at 192, 0 at 256, for any content); mastering makes up for it.
    """
    t_s = np.arange(2 * rate_hz) / rate_hz
    tone = (0.25 * np.sin(2 * np.pi * 1000.0 * t_s)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calibrate.mp3"
        writer = Mp3Writer(path, rate_hz, bitrate_kbps)
        writer.write(np.stack([tone, tone], axis=1))
        writer.close()
        decoded, _ = sf.read(str(path), dtype="float32")
    middle = decoded[rate_hz // 2 : rate_hz + rate_hz // 2, 0]
    reference = tone[rate_hz // 2 : rate_hz + rate_hz // 2]
    return 20.0 * float(np.log10(np.sqrt(np.mean(middle**2)) / np.sqrt(np.mean(reference**2))))


def to_int16(block: np.ndarray) -> np.ndarray:
    scaled = np.multiply(block, np.float32(32767.0), dtype=np.float32)
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(np.int16)


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

    @staticmethod
    def prepare(block: np.ndarray) -> np.ndarray:
        """The block as the encoder takes it (int16): done by the caller, off the encoding thread."""
        return to_int16(block)

    def write(self, block: np.ndarray) -> None:
        if len(block):
            self._file.write(self._encoder.encode(block if block.dtype == np.int16 else to_int16(block)))

    def close(self) -> None:
        self._file.write(self._encoder.flush())
        self._file.close()


class SoundfileWriter:
    def __init__(self, path: Path, rate_hz: int, fmt: str, subtype: str, channels: int = 2):
        self._file = sf.SoundFile(str(path), "w", samplerate=rate_hz, channels=channels, format=fmt.upper(), subtype=subtype)

    @staticmethod
    def subtype_for(fmt: str, bit_depth: int) -> str:
        if fmt in ("wav", "flac") and bit_depth not in BIT_DEPTHS:
            raise SessiongenError(f"bit depth must be 16 or 24, not {bit_depth}")
        return {"wav": f"PCM_{bit_depth}", "flac": f"PCM_{bit_depth}"}.get(fmt, "VORBIS")

    @staticmethod
    def prepare(block: np.ndarray) -> np.ndarray:
        return block

    def write(self, block: np.ndarray) -> None:
        if len(block):
            self._file.write(block)

    def close(self) -> None:
        self._file.close()


def open_mp3(path: Path, rate_hz: int, bitrate_kbps: int, channels: int, bit_depth: int) -> Mp3Writer:
    return Mp3Writer(path, rate_hz, bitrate_kbps, channels)


def soundfile_opener(fmt: str):
    """An opener for a format libsndfile writes (wav, flac, ogg)."""

    def open_file(path: Path, rate_hz: int, bitrate_kbps: int, channels: int, bit_depth: int) -> SoundfileWriter:
        return SoundfileWriter(path, rate_hz, fmt, SoundfileWriter.subtype_for(fmt, bit_depth), channels)

    return open_file


class BackgroundWriter:
    """Writes blocks on its own thread, so encoding overlaps the mixing of the next window.

    The queue holds at most two blocks, so memory stays bounded; a failure in the thread is
    raised in the caller at the next write or at close.
    """

    def __init__(self, writer):
        self._writer = writer
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sessiongen-encoder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (block := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write(block)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                    self._error = exc

    def write(self, block: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(self._writer.prepare(block))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._writer.close()
        if self._error is not None:
            raise self._error
