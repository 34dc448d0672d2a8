"""Encode: streaming writers for MP3 (lameenc, with a Xing/LAME Info frame: xing.py) and
WAV/FLAC/OGG (soundfile); output/formats.py says which format uses which. Whatever is reduced to
16 bits (16-bit WAV and FLAC, the MP3 encoder's input) is TPDF-dithered (Dither16)."""

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
from sessiongen.output import xing
from sessiongen.timefmt import clock

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


def check_finite(block: np.ndarray, position: int, rate_hz: int) -> None:
    """Refuse a block with a NaN or an infinite sample: garbage is never encoded. The caller's
    atomic write then leaves no file behind. min and max propagate NaN, and cost no temporary."""
    if block.size and not (np.isfinite(block.min()) and np.isfinite(block.max())):
        bad = ~np.isfinite(block).reshape(len(block), -1).all(axis=1)
        frame = position + int(np.flatnonzero(bad)[0])
        raise SessiongenError(
            f"the mix has a sample that is not a number (NaN or infinity) at {clock(frame / rate_hz)}: nothing was written "
            "(a damaged input or a bug: please report it)"
        )


FULL_SCALE_16 = 32768.0  # 1.0 is 2**15 (clipped to 32767), as libsndfile and ffmpeg convert and read back
DITHER_SEED = 0x5E55  # fixed: the same session renders to the same bytes (tests/test_batch.py)
DITHER_EDGE_S = 0.02  # the dither fades in over the first 20 ms and out over the last 20 ms


class Dither16:
    """float -> int16 with TPDF dither of +-1 LSB (the difference of two uniform variables: 1/sqrt(6)
    LSB RMS; with the rounding, 0.5 LSB RMS of noise in silence, -96.3 dBFS), streamed block by block.

    Seeded, so a render is reproducible byte for byte. The dither rises from zero over the first
    DITHER_EDGE_S and falls to zero over the last (raised cosine), so a file starts and ends in
    digital silence wherever its signal does, and its first and last samples are exactly zero. To
    know where the end is, the last DITHER_EDGE_S of what it was given is held back until finish().
    """

    def __init__(self, rate_hz: int, channels: int, seed: int = DITHER_SEED):
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._rate_hz = rate_hz
        self._channels = channels
        self._edge = max(1, round(DITHER_EDGE_S * rate_hz))
        self._rise = (0.5 - 0.5 * np.cos(np.pi * np.arange(self._edge) / self._edge)).astype(np.float32)  # 0 at the edge
        self._held = np.zeros((0, channels), dtype=np.float32)
        self._position = 0  # samples quantised so far

    def process(self, block: np.ndarray) -> np.ndarray:
        """The quantised samples that are certainly not among the last DITHER_EDGE_S of the file."""
        check_finite(block, self._position + len(self._held), self._rate_hz)
        data = np.concatenate([self._held, block]) if len(self._held) else np.asarray(block, dtype=np.float32)
        cut = max(0, len(data) - self._edge)
        self._held = data[cut:].copy()
        return self._quantise(data[:cut], last=False)

    def finish(self) -> np.ndarray:
        """The held-back end of the file, the dither faded out, its last sample zero."""
        held, self._held = self._held, self._held[:0]
        return self._quantise(held, last=True)

    def _quantise(self, x: np.ndarray, last: bool) -> np.ndarray:
        n = len(x)
        if n == 0:
            return np.zeros((0, self._channels), dtype=np.int16)
        shape = (n, self._channels)
        noise = self._rng.random(shape, dtype=np.float32)
        noise -= self._rng.random(shape, dtype=np.float32)
        gain = np.ones(n, dtype=np.float32)
        if self._position < self._edge:
            rising = min(n, self._edge - self._position)
            gain[:rising] = self._rise[self._position : self._position + rising]
        if last:
            falling = min(n, self._edge)
            gain[n - falling :] = np.minimum(gain[n - falling :], self._rise[:falling][::-1])
        noise *= gain[:, None]
        scaled = np.multiply(x, np.float32(FULL_SCALE_16), dtype=np.float32)
        scaled += noise
        np.rint(scaled, out=scaled)
        np.clip(scaled, -32768, 32767, out=scaled)
        out = scaled.astype(np.int16)
        if self._position == 0:
            out[0] = 0
        if last:
            out[-1] = 0
        self._position += n
        return out


class Mp3Writer:
    """CBR MP3 through lameenc, from 16-bit dithered samples, with a Xing/LAME Info frame (xing.py):
    a placeholder frame is written first and filled in at close, when the frame count, byte count
    and encoder padding are known. The file is written straight through, never held in memory."""

    def __init__(self, path: Path, rate_hz: int, bitrate_kbps: int = 192, channels: int = 2):
        if bitrate_kbps not in MP3_BITRATES_KBPS:
            raise SessiongenError(f"MP3 bitrate must be one of {', '.join(map(str, MP3_BITRATES_KBPS))} kbps")
        try:
            self._header = xing.FrameHeader.expected(rate_hz, bitrate_kbps, channels)
        except ValueError as exc:
            raise SessiongenError(f"{exc}: render at 32000, 44100 or 48000 Hz for MP3") from None
        self._rate_hz = rate_hz
        self._encoder = lameenc.Encoder()
        self._encoder.set_bit_rate(bitrate_kbps)
        self._encoder.set_in_sample_rate(rate_hz)
        self._encoder.set_out_sample_rate(rate_hz)  # no resampling: the delay and padding are in these samples
        self._encoder.set_channels(channels)
        self._encoder.set_quality(MP3_QUALITY)
        self._dither = Dither16(rate_hz, channels)
        self._stream = xing.StreamInfo()
        self._samples = 0
        self._file = open(path, "wb")  # noqa: SIM115 - open across write() calls, closed by close()
        self._file.write(xing.placeholder(self._header))

    def prepare(self, block: np.ndarray) -> np.ndarray:
        """The block as the encoder takes it (dithered int16): done by the caller, off the encoding thread."""
        return self._dither.process(block)

    def write(self, block: np.ndarray) -> None:
        if block.dtype != np.int16:
            block = self.prepare(block)
        if len(block):
            self._samples += len(block)
            self._emit(self._encoder.encode(block))

    def _emit(self, data) -> None:
        self._stream.feed(data)
        self._file.write(data)

    def close(self) -> None:
        try:
            self.write(self._dither.finish())
            if self._samples == 0:
                return  # lame has nothing to flush: an empty file stays a lone silent frame
            self._emit(self._encoder.flush())
            first = self._stream.first
            if first is None or (first.bitrate_kbps, first.rate_hz, first.samples) != (
                self._header.bitrate_kbps,
                self._header.rate_hz,
                self._header.samples,
            ):
                raise SessiongenError(f"lameenc wrote {first} where {self._header} was expected: cannot write the MP3's Info frame")
            frame = xing.info_frame(self._stream, self._samples, MP3_QUALITY, self._rate_hz)
            self._file.seek(0)
            self._file.write(frame)
        finally:
            self._file.close()


WAV_LIMIT_BYTES = 2**32 - 1  # a RIFF chunk's size is 32 bits


def stem_format(frames: int, channels: int = 2) -> str:
    """A stem's container: WAV, or RF64 (WAV with 64-bit sizes, which libsndfile, ffmpeg and
    every DAW read) when its 32-bit float samples would pass WAV's 4 GiB: at 44.1 kHz stereo, a
    session over 3 h 23 min. A plain WAV header would wrap, and the stem read back short."""
    return "rf64" if frames * channels * 4 + (1 << 20) > WAV_LIMIT_BYTES else "wav"


class SoundfileWriter:
    """WAV, FLAC and OGG through libsndfile. 16-bit PCM is dithered (Dither16) here; 24-bit, float
    and Vorbis are given the float samples as they are."""

    def __init__(self, path: Path, rate_hz: int, fmt: str, subtype: str, channels: int = 2):
        self._file = sf.SoundFile(str(path), "w", samplerate=rate_hz, channels=channels, format=fmt.upper(), subtype=subtype)
        self._dither = Dither16(rate_hz, channels) if subtype == "PCM_16" else None
        self._rate_hz, self._written = rate_hz, 0

    @staticmethod
    def subtype_for(fmt: str, bit_depth: int) -> str:
        if fmt in ("wav", "flac") and bit_depth not in BIT_DEPTHS:
            raise SessiongenError(f"bit depth must be 16 or 24, not {bit_depth}")
        return {"wav": f"PCM_{bit_depth}", "flac": f"PCM_{bit_depth}"}.get(fmt, "VORBIS")

    def prepare(self, block: np.ndarray) -> np.ndarray:
        return self._dither.process(block) if self._dither is not None else block  # Dither16 checks the samples

    def write(self, block: np.ndarray) -> None:
        if self._dither is not None and block.dtype != np.int16:
            block = self.prepare(block)
        elif self._dither is None:  # 24-bit, float and Vorbis take the samples as they are: checked here
            check_finite(block, self._written, self._rate_hz)
            self._written += len(block)
        if len(block):
            self._file.write(block)

    def close(self) -> None:
        try:
            if self._dither is not None:
                self.write(self._dither.finish())
        finally:
            self._file.close()


def open_mp3(path: Path, rate_hz: int, bitrate_kbps: int, channels: int, bit_depth: int, length_frames: int | None = None) -> Mp3Writer:
    return Mp3Writer(path, rate_hz, bitrate_kbps, channels)


def soundfile_opener(fmt: str):
    """An opener for a format libsndfile writes (wav, flac, ogg)."""

    def open_file(
        path: Path, rate_hz: int, bitrate_kbps: int, channels: int, bit_depth: int, length_frames: int | None = None
    ) -> SoundfileWriter:
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
