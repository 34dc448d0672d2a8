"""The Xing/LAME 'Info' frame that makes a CBR MP3 gapless and its length exact.

lameenc writes bare MPEG frames: no frame count, so players estimate the length from the bitrate
(and count an ID3 tag as audio), and no encoder delay or padding, so decoders play lame's 1105
samples of delay at the start and its padding at the end. The Mp3Writer (encode.py) writes a
placeholder frame first, streams the audio after it while StreamInfo counts the frames, bytes
and music CRC, and at close seeks back and puts the frame made by info_frame() in its place.

The frame (LAME's own layout, libmp3lame VbrTag.c; offsets from the start of the frame, X = 4 +
side info: 32 bytes for MPEG-1 stereo, 17 for MPEG-1 mono and MPEG-2 stereo, 9 for MPEG-2 mono):

    0      MPEG header: same version, rate, bitrate and mode as the audio, no padding, no CRC
    4      side info, all zero (a decoder that ignores the tag plays one frame of silence)
    X+0    'Info' (a CBR stream; 'Xing' would mean VBR)
    X+4    flags 0x0000000F: frames, bytes, TOC and quality fields present
    X+8    frames: the audio frames after this one (u32 big-endian)
    X+12   bytes: the whole MPEG stream, this frame included (u32)
    X+16   TOC: 100 bytes, seek position at i % of the time in 1/256 of the stream (linear: CBR)
    X+116  quality: 100 - 10 * VBR quality (4, lame's default) - quality (u32)
    X+120  encoder: 'LAME' + version, 9 bytes (see ENCODER)
    X+129  tag revision 0 (high nibble), VBR method 1 = CBR (low nibble)
    X+130  lowpass / 100 Hz: 0, unknown
    X+131  peak (4), radio and audiophile ReplayGain (2 + 2): 0, not measured
    X+139  encoding flags and ATH type: 0, unknown
    X+140  bitrate in kbps (255 for 255 and above)
    X+141  encoder delay (12 bits) and padding (12 bits), in samples
    X+144  misc: source rate (2 bits), unwise settings (1), stereo mode (3), noise shaping (2)
    X+145  MP3 gain: 0
    X+146  surround info and preset: 0
    X+148  music length: the same as bytes (u32)
    X+152  music CRC: CRC-16 (ARC: polynomial 0x8005 reflected, initial 0) of the audio frames
    X+154  tag CRC: CRC-16 of every byte of the frame before it (190 bytes for MPEG-1 stereo)

Encoder delay and padding follow lame's convention: the delay is lame's own 576 samples and the
decoder adds its 529 (measured with lameenc 1.9.0: the signal starts 1105 samples into the
decoded stream at 128, 192 and 256 kbps, mono and stereo), and padding = frames x samples per
frame - 576 - samples, so frames x samples per frame - delay - padding is exactly the samples
given to the encoder. ffmpeg, mpg123 (libsndfile) and mutagen all read it that way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

ENCODER = b"LAME4.0 "  # lame's very short version string, as the lame inside lameenc 1.9.0 names itself
ENCODER_DELAY = 576  # samples lame adds before the signal; decoders add DECODER_DELAY of their own
DECODER_DELAY = 529
LAME_VBR_QUALITY = 4  # lame's default -V, which its quality field counts even in CBR
MAX_DELAY_OR_PADDING = 0xFFF

FLAGS = 0x0F  # frames | bytes | TOC | quality
TAG_SIZE = 156  # 'Info' to the end of the tag CRC
VBR_METHOD_CBR = 1

_MPEG1, _MPEG2, _MPEG25 = 3, 2, 0  # the version bits of the header
_RATES = {_MPEG1: (44100, 48000, 32000), _MPEG2: (22050, 24000, 16000), _MPEG25: (11025, 12000, 8000)}
_KBPS = {
    _MPEG1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    _MPEG2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_KBPS[_MPEG25] = _KBPS[_MPEG2]
MONO = 3  # channel mode bits; 0 stereo, 1 joint stereo, 2 dual channel
_STEREO_MODE_FIELD = {0: 1, 1: 3, 2: 2, MONO: 0}  # header mode -> the LAME tag's stereo mode


@dataclass(frozen=True)
class FrameHeader:
    """The fields of an MPEG audio layer III frame header that the Info frame needs."""

    version: int  # _MPEG1, _MPEG2 or _MPEG25
    bitrate_kbps: int
    rate_hz: int
    padding: int
    mode: int  # 0 stereo, 1 joint stereo, 2 dual channel, 3 mono
    last_byte: int  # mode, mode extension, copyright, original, emphasis

    @classmethod
    def expected(cls, rate_hz: int, bitrate_kbps: int, channels: int) -> FrameHeader:
        """The header lame will write for these settings (the joint/plain stereo choice is lame's)."""
        version = next((v for v, rates in _RATES.items() if rate_hz in rates), None)
        if version is None or bitrate_kbps not in _KBPS[version][1:]:
            raise ValueError(f"MP3 cannot carry {bitrate_kbps} kbps at {rate_hz} Hz")
        mode = MONO if channels == 1 else 0
        return cls(version, bitrate_kbps, rate_hz, 0, mode, mode << 6 | 0x04)  # 'original' set, as lame does

    @classmethod
    def parse(cls, data: bytes) -> FrameHeader:
        if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0 or (data[1] >> 1) & 3 != 1:
            raise ValueError(f"not an MPEG layer III frame header: {bytes(data[:4]).hex()}")
        version, rate_index, bitrate_index = (data[1] >> 3) & 3, (data[2] >> 2) & 3, data[2] >> 4
        if version == 1 or rate_index == 3 or bitrate_index in (0, 15):
            raise ValueError(f"unsupported MPEG frame header: {bytes(data[:4]).hex()}")
        return cls(version, _KBPS[version][bitrate_index], _RATES[version][rate_index], (data[2] >> 1) & 1, data[3] >> 6, data[3])

    @property
    def samples(self) -> int:
        return 1152 if self.version == _MPEG1 else 576

    @property
    def size(self) -> int:
        return self.samples // 8 * 1000 * self.bitrate_kbps // self.rate_hz + self.padding

    @property
    def side_info(self) -> int:
        if self.version == _MPEG1:
            return 17 if self.mode == MONO else 32
        return 9 if self.mode == MONO else 17

    def to_bytes(self) -> bytes:
        """The header, without CRC protection and (for the Info frame) without a mode extension."""
        bitrate_index = _KBPS[self.version].index(self.bitrate_kbps)
        rate_index = _RATES[self.version].index(self.rate_hz)
        return bytes(
            (0xFF, 0xE0 | self.version << 3 | 1 << 1 | 1, bitrate_index << 4 | rate_index << 2 | self.padding << 1, self.last_byte & 0xCF)
        )


def placeholder(header: FrameHeader) -> bytes:
    """A silent frame of the Info frame's size, written before the audio and replaced at close."""
    frame = replace(header, padding=0)
    return frame.to_bytes() + bytes(frame.size - 4)


# --- CRC-16 (ARC), streamed and vectorised: a 3-hour MP3 is 260 MB of music to check -------------


def _crc_table() -> np.ndarray:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return np.array(table, dtype=np.uint16)


CRC_TABLE = _crc_table()
_TABLE = [int(v) for v in CRC_TABLE]
LANE = 64  # bytes each numpy lane runs through before the lanes are combined


def crc16_simple(data: bytes, crc: int = 0) -> int:
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


# With initial value 0, the CRC is linear: the state after some bytes followed by n zero bytes is a
# fixed linear map of the state, applied here as two 256-entry tables (low and high byte).
def _after_zero_bytes_columns(nbytes: int) -> tuple[int, ...]:
    """The map 'state -> state after nbytes zero bytes', as the images of the 16 one-bit states."""
    columns, step = [1 << bit for bit in range(16)], _one_zero_byte()
    while nbytes:  # by squaring: the step for 1, 2, 4, ... bytes
        if nbytes & 1:
            columns = [_apply(step, c) for c in columns]
        nbytes >>= 1
        if nbytes:
            step = tuple(_apply(step, c) for c in step)
    return tuple(columns)


@lru_cache(maxsize=1)
def _one_zero_byte() -> tuple[int, ...]:
    return tuple((1 << bit >> 8) ^ _TABLE[(1 << bit) & 0xFF] for bit in range(16))


def _apply(columns, state: int) -> int:
    out = 0
    for bit in range(16):
        if state >> bit & 1:
            out ^= columns[bit]
    return out


@lru_cache(maxsize=64)
def _shift_tables(nbytes: int) -> tuple[np.ndarray, np.ndarray]:
    columns = _after_zero_bytes_columns(nbytes)
    low = np.array([_apply(columns, v) for v in range(256)], dtype=np.uint16)
    high = np.array([_apply(columns, v << 8) for v in range(256)], dtype=np.uint16)
    return low, high


def _shift(crc: int, nbytes: int) -> int:
    """The CRC state `crc` carried through `nbytes` zero bytes."""
    bit = 0
    while nbytes:
        if nbytes & 1:
            low, high = _shift_tables(1 << bit)
            crc = int(low[crc & 0xFF] ^ high[crc >> 8])
        nbytes >>= 1
        bit += 1
    return crc


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of `data`, continuing from `crc` (the CRC of what came before)."""
    if len(data) < 4 * LANE:
        return crc16_simple(data, crc)
    lanes = -(-len(data) // LANE)
    # leading zero bytes leave a CRC of initial value 0 unchanged: pad at the front to whole lanes
    padded = np.zeros(lanes * LANE, dtype=np.uint8)
    padded[lanes * LANE - len(data) :] = np.frombuffer(data, dtype=np.uint8)
    columns = padded.reshape(lanes, LANE).T.astype(np.uint16)
    state = np.zeros(lanes, dtype=np.uint16)
    for column in columns:
        state = (state >> 8) ^ CRC_TABLE[(state ^ column) & 0xFF]
    length = LANE
    while len(state) > 1:  # combine neighbouring lanes: crc(a + b) = shift(crc(a), len(b)) ^ crc(b)
        if len(state) % 2:
            state = np.concatenate([np.zeros(1, dtype=np.uint16), state])  # a lane of zeros in front
        low, high = _shift_tables(length)
        first, second = state[0::2], state[1::2]
        state = low[first & 0xFF] ^ high[first >> 8] ^ second
        length *= 2
    return _shift(crc, len(data)) ^ int(state[0])


# --- the stream ---------------------------------------------------------------------------------


class StreamInfo:
    """Follows the encoder's output frame by frame (it may split frames between calls): counts
    frames and bytes, keeps the CRC of the music, and checks that the stream is CBR."""

    def __init__(self):
        self.frames = 0
        self.bytes = 0
        self.crc = 0
        self.first: FrameHeader | None = None
        self._skip = 0  # bytes of the current frame still to come
        self._partial = b""  # the start of a header split between calls

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.bytes += len(data)
        self.crc = crc16(data, self.crc)
        if self._partial:
            data, self._partial = self._partial + data, b""
        position = self._skip
        while position + 4 <= len(data):
            header = _parse_cached(bytes(data[position : position + 4]))
            if self.first is None:
                self.first = header
            elif header.bitrate_kbps != self.first.bitrate_kbps or header.rate_hz != self.first.rate_hz:
                raise ValueError(f"the encoder wrote a frame of {header.bitrate_kbps} kbps in a {self.first.bitrate_kbps} kbps CBR stream")
            self.frames += 1
            position += header.size
        if position > len(data):
            self._skip = position - len(data)
        else:
            self._skip, self._partial = 0, bytes(data[position:])


@lru_cache(maxsize=64)
def _parse_cached(header: bytes) -> FrameHeader:
    return FrameHeader.parse(header)


def padding_for(frames: int, samples_per_frame: int, samples: int) -> int:
    return frames * samples_per_frame - ENCODER_DELAY - samples


def info_frame(stream: StreamInfo, samples: int, quality: int, source_rate_hz: int) -> bytes:
    """The Info frame for a finished stream of `samples` samples per channel."""
    header = replace(stream.first, padding=0)
    padding = padding_for(stream.frames, header.samples, samples)
    if not DECODER_DELAY <= padding <= MAX_DELAY_OR_PADDING:
        raise ValueError(f"encoder padding of {padding} samples for {samples} samples in {stream.frames} frames: not lame's stream")
    total_bytes = header.size + stream.bytes
    frame = bytearray(placeholder(header))
    start = 4 + header.side_info
    tag = bytearray()
    tag += b"Info" + FLAGS.to_bytes(4, "big") + stream.frames.to_bytes(4, "big") + total_bytes.to_bytes(4, "big")
    tag += bytes(min(255, 256 * i // 100) for i in range(100))
    tag += max(0, 100 - 10 * LAME_VBR_QUALITY - quality).to_bytes(4, "big")
    tag += ENCODER.ljust(9, b"\0")[:9]
    tag += bytes((VBR_METHOD_CBR, 0)) + bytes(4 + 2 + 2) + bytes((0, min(255, header.bitrate_kbps)))
    tag += (ENCODER_DELAY << 12 | padding).to_bytes(3, "big")
    tag += bytes((_source_rate_field(source_rate_hz) << 6 | _STEREO_MODE_FIELD[header.mode] << 2, 0)) + bytes(2)
    tag += total_bytes.to_bytes(4, "big") + stream.crc.to_bytes(2, "big")
    frame[start : start + len(tag)] = tag
    frame[start + len(tag) : start + len(tag) + 2] = crc16_simple(bytes(frame[: start + len(tag)])).to_bytes(2, "big")
    assert len(tag) + 2 == TAG_SIZE and start + TAG_SIZE <= header.size
    return bytes(frame)


def _source_rate_field(rate_hz: int) -> int:
    if rate_hz <= 32000:
        return 0
    return 1 if rate_hz < 48000 else 2 if rate_hz == 48000 else 3


@dataclass(frozen=True)
class InfoTag:
    """What an Info frame says, read back (for tests and diagnostics)."""

    frames: int
    bytes: int
    toc: bytes
    quality: int
    encoder: bytes
    delay: int
    padding: int
    music_length: int
    music_crc: int
    tag_crc: int
    tag_crc_ok: bool


def read_info(frame: bytes) -> InfoTag | None:
    """The Info/Xing tag of the frame at the start of `frame`, or None."""
    header = FrameHeader.parse(frame[:4])
    start = 4 + header.side_info
    tag = frame[start : start + TAG_SIZE]
    if len(tag) < TAG_SIZE or tag[:4] not in (b"Info", b"Xing") or int.from_bytes(tag[4:8], "big") != FLAGS:
        return None
    delay_padding = int.from_bytes(tag[141:144], "big")
    tag_crc = int.from_bytes(tag[154:156], "big")
    return InfoTag(
        frames=int.from_bytes(tag[8:12], "big"),
        bytes=int.from_bytes(tag[12:16], "big"),
        toc=bytes(tag[16:116]),
        quality=int.from_bytes(tag[116:120], "big"),
        encoder=bytes(tag[120:129]),
        delay=delay_padding >> 12,
        padding=delay_padding & 0xFFF,
        music_length=int.from_bytes(tag[148:152], "big"),
        music_crc=int.from_bytes(tag[152:154], "big"),
        tag_crc=tag_crc,
        tag_crc_ok=crc16_simple(bytes(frame[: start + 154])) == tag_crc,
    )
