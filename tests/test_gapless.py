"""Gapless, honest MP3 (issue 15, item 5): the Xing/LAME Info frame that the writer puts before the
audio, checked against the WAV render of the same session by ffmpeg (the binary of imageio-ffmpeg),
libsndfile (mpg123) and mutagen, after tagging, at 128, 192 and 256 kbps, mono and stereo."""

from __future__ import annotations

import re
import subprocess

import imageio_ffmpeg
import lameenc
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from helpers import script_text
from mutagen.mp3 import MP3

from sessiongen.cli import cli
from sessiongen.output import xing
from sessiongen.output.encode import MP3_QUALITY, Mp3Writer

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
RATE = 44100
ONE_MS = RATE // 1000  # 44 samples
FIFTY_MS = RATE // 20
BODY = (
    "# Arriving\nWelcome. Let yourself settle, in your own time.\n[pause 3s]\n[bell]\n"
    "# Noticing\nYou might notice your feet on the floor.\n[bls 4s rate=1.0]\n[ambience rain]\nRest here.\n[pause 2s]\nThank you.\n"
)
CASES = [(kbps, mono) for kbps in (128, 192, 256) for mono in (False, True)]
IDS = [f"{kbps}k-{'mono' if mono else 'stereo'}" for kbps, mono in CASES]


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    """Renders on demand (inside the test, where the fake engine is installed), each once."""
    folder = tmp_path_factory.mktemp("gapless")
    script = folder / "gapless.md"
    script.write_text(script_text(BODY, id="gapless", duration="30s"), encoding="utf-8")
    done = {}

    def run(name: str, *extra: str):
        if name not in done:
            out = folder / name
            result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--engine", "fake", "--sidecars", "none", *extra])
            assert result.exit_code == 0, result.output
            done[name] = out
        return done[name]

    return run


def pair(render, kbps: int, mono: bool):
    """(the MP3, the WAV samples) of the same session."""
    layout = ["--mono"] if mono else []
    wav = render(f"{'mono' if mono else 'stereo'}.wav", *layout)
    mp3 = render(f"{kbps}-{'mono' if mono else 'stereo'}.mp3", "--bitrate", str(kbps), *layout)
    return mp3, sf.read(str(wav), dtype="int16", always_2d=True)[0]


def ffmpeg_decode(path, channels: int) -> np.ndarray:
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-f", "s16le", "-ac", str(channels), "-"], capture_output=True, check=True
    ).stdout
    return np.frombuffer(raw, np.int16).reshape(-1, channels)


def lag_of(reference: np.ndarray, other: np.ndarray) -> tuple[int, float]:
    """Where `other` is against `reference` (positive: later), and the normalised correlation there."""
    a, b = reference.astype(float), other.astype(float)
    n = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    corr = np.fft.irfft(np.conj(np.fft.rfft(a, n)) * np.fft.rfft(b, n), n)
    peak = int(np.argmax(corr))
    lag = peak if peak < n // 2 else peak - n
    return lag, float(corr[peak] / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def id3_size(data: bytes) -> int:
    if not data.startswith(b"ID3"):
        return 0
    size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
    return 10 + size + (10 if data[5] & 0x10 else 0)


def frames_of(data: bytes) -> list[tuple[int, xing.FrameHeader]]:
    """(offset, header) of every MPEG frame in a tag-free stream, walked header to header."""
    out, at = [], 0
    while at + 4 <= len(data):
        header = xing.FrameHeader.parse(data[at : at + 4])
        out.append((at, header))
        at += header.size
    assert at == len(data), "the stream ends inside a frame"
    return out


# --- against the WAV render -------------------------------------------------------------------------


@pytest.mark.parametrize("kbps, mono", CASES, ids=IDS)
def test_ffmpeg_reads_the_length_without_estimating(render, kbps, mono):
    mp3, wav = pair(render, kbps, mono)
    report = subprocess.run([FFMPEG, "-hide_banner", "-i", str(mp3)], capture_output=True, text=True).stderr
    assert "Estimating duration from bitrate" not in report
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", report).groups()
    assert abs(int(hours) * 3600 + int(minutes) * 60 + float(seconds) - len(wav) / RATE) <= 0.01  # printed in 1/100 s
    assert re.search(r"encoder\s*: LAME", report)


@pytest.mark.parametrize("kbps, mono", CASES, ids=IDS)
def test_ffmpeg_decodes_the_wav_length_in_place(render, kbps, mono):
    """The encoder delay is trimmed at the start and the padding at the end: same length, no shift."""
    mp3, wav = pair(render, kbps, mono)
    decoded = ffmpeg_decode(mp3, wav.shape[1])
    assert abs(len(decoded) - len(wav)) <= ONE_MS
    lag, similarity = lag_of(wav[:, 0], decoded[:, 0])
    assert abs(lag) <= 2 and similarity > 0.95


@pytest.mark.parametrize("kbps, mono", CASES, ids=IDS)
def test_libsndfile_and_mutagen_read_the_wav_length(render, kbps, mono):
    mp3, wav = pair(render, kbps, mono)
    assert abs(sf.info(str(mp3)).frames - len(wav)) <= FIFTY_MS  # the ID3 tag (with its cover) is not counted as audio
    decoded, _ = sf.read(str(mp3), dtype="int16", always_2d=True)
    assert abs(len(decoded) - len(wav)) <= FIFTY_MS
    assert MP3(mp3).info.length * RATE == pytest.approx(len(wav), abs=0.5)  # exact: frames, delay and padding


@pytest.mark.parametrize("kbps, mono", [(128, True), (192, False), (256, False)], ids=["128k-mono", "192k-stereo", "256k-stereo"])
def test_the_info_frame_survives_tagging_and_tells_the_truth(render, kbps, mono):
    mp3, wav = pair(render, kbps, mono)
    data = mp3.read_bytes()
    start = id3_size(data)
    assert start > 0, "the render is tagged (ID3v2.3 at the start of the file)"
    frames = frames_of(data[start:])
    (_, first), audio = frames[0], frames[1:]
    info = xing.read_info(data[start : start + first.size])
    assert info is not None and data[start + 4 + first.side_info : start + 8 + first.side_info] == b"Info"
    assert first.bitrate_kbps == kbps and first.size == xing.FrameHeader.expected(RATE, kbps, 1 if mono else 2).size
    assert (first.mode == xing.MONO) == mono
    assert info.frames == len(audio)
    assert info.bytes == info.music_length == len(data) - start
    assert info.delay == xing.ENCODER_DELAY
    assert info.padding == len(audio) * 1152 - xing.ENCODER_DELAY - len(wav)
    assert info.tag_crc_ok
    assert info.music_crc == xing.crc16_simple(data[start + first.size :])
    assert info.encoder.startswith(b"LAME") and info.quality == 100 - 10 * xing.LAME_VBR_QUALITY - MP3_QUALITY
    assert info.toc[0] == 0 and list(info.toc) == sorted(info.toc)


# --- the writer on its own ----------------------------------------------------------------------------


@pytest.mark.parametrize("frames", [1, 1151, 1152, 1153, 1152 * 7 - 576, RATE + 123])
@pytest.mark.parametrize("channels", [1, 2])
def test_any_length_decodes_to_itself(tmp_path, frames, channels):
    """Lengths around whole MPEG frames, and a lone sample: ffmpeg, libsndfile and mutagen agree."""
    rng = np.random.default_rng(frames)
    x = (0.2 * rng.standard_normal((frames, channels))).astype(np.float32)
    path = tmp_path / "x.mp3"
    writer = Mp3Writer(path, RATE, 192, channels)
    for at in range(0, frames, 5000):
        writer.write(x[at : at + 5000])
    writer.close()
    assert len(ffmpeg_decode(path, channels)) == frames
    assert sf.info(str(path)).frames == frames
    assert MP3(path).info.length * RATE == pytest.approx(frames, abs=0.01)


def test_stream_info_follows_frames_split_anywhere():
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(2)
    rng = np.random.default_rng(1)
    stream = bytes(encoder.encode((3000 * rng.standard_normal((3 * RATE, 2))).astype(np.int16))) + bytes(encoder.flush())
    whole, pieces = xing.StreamInfo(), xing.StreamInfo()
    whole.feed(stream)
    cuts = sorted(set(rng.integers(0, len(stream), 200).tolist()) | {0, 1, 2, 3, len(stream)})
    for a, b in zip(cuts, cuts[1:]):
        pieces.feed(stream[a:b])
    assert (
        (whole.frames, whole.bytes, whole.crc)
        == (pieces.frames, pieces.bytes, pieces.crc)
        == (len(frames_of(stream)), len(stream), xing.crc16_simple(stream))
    )


def test_crc16_is_crc16_arc_and_streams():
    assert xing.crc16(b"123456789") == xing.crc16_simple(b"123456789") == 0xBB3D  # the catalogue's check value
    rng = np.random.default_rng(2)
    for size in (0, 1, 255, 256, 257, 4095, 70001, 300_000):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        cut = size // 3
        assert xing.crc16(data) == xing.crc16_simple(data) == xing.crc16(data[cut:], xing.crc16(data[:cut]))


def test_frame_sizes_and_tag_offsets():
    sizes = {kbps: xing.FrameHeader.expected(RATE, kbps, 2).size for kbps in (128, 192, 256)}
    assert sizes == {128: 417, 192: 626, 256: 835}
    assert xing.FrameHeader.expected(RATE, 192, 1).side_info == 17 and xing.FrameHeader.expected(RATE, 192, 2).side_info == 32
    assert xing.FrameHeader.expected(48000, 128, 2).size == 384
    with pytest.raises(ValueError):
        xing.FrameHeader.expected(96000, 192, 2)
