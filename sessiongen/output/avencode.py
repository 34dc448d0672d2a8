"""Encode through PyAV (ffmpeg's libraries, shipped inside its wheel: no ffmpeg on the PATH):
AAC-LC in MP4 (.m4b, .m4a) and Opus in Ogg (.opus). Streaming like the other writers: blocks in,
packets out to the file, nothing held in memory.

Gapless: every frame is stamped with its sample position, so the encoder's priming delay gives
the first packet a negative time and the muxer records it (MP4: an edit list whose media time
skips the priming and whose duration is the exact number of samples, in a movie time scale of
the sample rate; Ogg: the Opus pre-skip and the last page's granule position). mp4tags.py adds
iTunSMPB for Apple's players from the same numbers.

No padding at the end of an MP4: ffmpeg's decoder (and so ffprobe, PyAV and every ffmpeg-based
player) skips the priming the edit list states but not the padding of the last AAC frame, which
would lengthen the decoded file by up to 1023 samples (23 ms). So when the length is known,
`open_mp4` puts LEAD frames of silence before the session, stamped before time 0 and declared as
priming with the encoder's own 1024 (edit list, iTunSMPB), LEAD chosen so that priming and
session fill whole 1024-sample frames: every decoder then gives exactly the session's samples.
(Not under 1024 frames, 23 ms: ffmpeg's MP4 muxer loses the edit list when the lead outweighs
so short a session; measured, every length from 1024 on decodes to itself.)

Bitrates, chosen with benchmarks/codec_bitrate.py (docs/performance.md, "Opus and AAC bitrates"):
the lowest that speaks as well as our 192 kbps MP3 (wideband PESQ within 0.1) and keeps the
bilateral tones in their own ear.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from sessiongen.errors import SessiongenError, display_path
from sessiongen.output.encode import check_finite

AAC_KBPS_PER_CHANNEL = 64  # 128 kbps stereo: PESQ 4.57 against the MP3's 4.63 (96 kbps: 4.50)
OPUS_KBPS_PER_CHANNEL = 32  # 64 kbps stereo: 48 is the lowest that passes; at 32 libopus puts a sine set in both ears (-25 dB)
AAC_FRAME_SAMPLES = 1024
AAC_PRIMING_FRAMES = 1024  # ffmpeg's AAC encoder's delay
OPUS_RATE_HZ = 48_000  # Opus codes at 48 kHz; 44.1 kHz is resampled (by ffmpeg's swresample)


def _layout(channels: int) -> str:
    return "mono" if channels == 1 else "stereo"


class _Planar:
    """A block as the encoder takes it: (channels, frames) float32, made off the encoding thread."""

    def __init__(self, samples: np.ndarray):
        self.samples = samples


class AvWriter:
    """One audio stream of `codec` in a `container` (ffmpeg's muxer name), fed float blocks of
    shape (frames, channels) at rate_hz; resampled to out_rate_hz when they differ."""

    def __init__(
        self,
        path: Path,
        rate_hz: int,
        channels: int,
        *,
        container: str,
        codec: str,
        bitrate_bps: int,
        out_rate_hz: int,
        options: dict | None = None,
        codec_options: dict | None = None,
        lead_frames: int = 0,
    ):
        self._path, self._rate_hz, self._channels = path, rate_hz, channels
        try:
            self._container = av.open(str(path), "w", format=container, options=options or {})
            self._stream = self._container.add_stream(codec, rate=out_rate_hz, layout=_layout(channels), options=codec_options or {})
        except av.FFmpegError as exc:
            raise SessiongenError(f"{display_path(path)}: cannot write {codec} in {container} ({exc})") from None
        self._stream.bit_rate = bitrate_bps
        sample_format = self._stream.codec_context.format.name
        self._resampler = av.AudioResampler(format=sample_format, layout=_layout(channels), rate=out_rate_hz)
        self._written = 0  # input frames
        self._pts = -lead_frames  # output samples stamped so far; a lead of silence before time 0 is skipped as priming
        if lead_frames:
            self.write(_Planar(np.zeros((channels, lead_frames), dtype=np.float32)))

    def prepare(self, block: np.ndarray) -> _Planar:
        check_finite(block, self._written, self._rate_hz)
        self._written += len(block)
        return _Planar(np.ascontiguousarray(block.T, dtype=np.float32))

    def write(self, block) -> None:
        planar = (block if isinstance(block, _Planar) else self.prepare(block)).samples
        if planar.shape[1] == 0:
            return
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=_layout(self._channels))
        frame.sample_rate = self._rate_hz
        for out in self._resampler.resample(frame):
            self._encode(out)

    def _encode(self, frame) -> None:
        if frame is not None:
            frame.pts = self._pts  # in 1/rate: the encoder's priming then shows as a negative first time
            self._pts += frame.samples
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        try:
            for out in self._resampler.resample(None):
                self._encode(out)
            self._encode(None)
        except av.FFmpegError as exc:
            raise SessiongenError(f"{display_path(self._path)}: the encoder failed ({exc}): render the file again") from None
        finally:
            self._container.close()


def open_mp4(path: Path, rate_hz: int, bitrate_kbps: int, channels: int, bit_depth: int, length_frames: int | None = None) -> AvWriter:
    """AAC-LC in MP4 (ffmpeg's 'ipod' muxer: iTunes-style metadata), moov time scale = the sample
    rate so the edit list states the length to the sample; with `length_frames`, a lead that leaves
    the last frame unpadded. `bitrate_kbps` is MP3's setting: unused."""
    return AvWriter(
        path,
        rate_hz,
        channels,
        container="ipod",
        codec="aac",
        bitrate_bps=AAC_KBPS_PER_CHANNEL * 1000 * channels,
        out_rate_hz=rate_hz,
        options={"movie_timescale": str(rate_hz)},
        codec_options={"profile": "aac_low"},
        lead_frames=(-(AAC_PRIMING_FRAMES + length_frames)) % AAC_FRAME_SAMPLES if (length_frames or 0) >= AAC_FRAME_SAMPLES else 0,
    )


def open_opus(path: Path, rate_hz: int, bitrate_kbps: int, channels: int, bit_depth: int, length_frames: int | None = None) -> AvWriter:
    """Opus in Ogg through libopus, 20 ms frames, the 'audio' application (speech and tones alike).
    The last page's granule position trims the end exactly: `length_frames` is not needed."""
    return AvWriter(
        path,
        rate_hz,
        channels,
        container="ogg",
        codec="libopus",
        bitrate_bps=OPUS_KBPS_PER_CHANNEL * 1000 * channels,
        out_rate_hz=OPUS_RATE_HZ,
        codec_options={"application": "audio", "frame_duration": "20"},
    )
