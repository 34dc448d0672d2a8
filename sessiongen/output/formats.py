"""Output formats: one registry. Adding a format is one entry here: how to write it, how to tag
it and read its tag back, and what its codec does to the level (made up by mastering)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.output import avencode, encode, mp4tags, tags


def _no_level_change(bitrate_kbps: int, rate_hz: int) -> float:
    return 0.0


@dataclass(frozen=True)
class OutputFormat:
    open: Callable  # (path, rate_hz, bitrate_kbps, channels, bit_depth, length_frames=None) -> a writer with prepare/write/close
    write_tags: Callable[[Path, tags.TagInfo], None]
    read_tags: Callable[[Path], dict]
    level_change_db: Callable[[int, int], float] = _no_level_change  # (bitrate_kbps, rate_hz) -> dB
    mime: str = "audio/mpeg"  # what the review page's player is told it plays
    purpose: str = ""  # one line for --help and docs/cli.md


FORMATS = {
    "mp3": OutputFormat(
        encode.open_mp3, tags.write_mp3, tags.read_mp3, encode.mp3_level_change_db, "audio/mpeg", "plays everywhere; ID3 chapters"
    ),
    "m4b": OutputFormat(
        avencode.open_mp4,
        mp4tags.writer(audiobook=True),
        mp4tags.read_mp4,
        mime="audio/mp4",
        purpose="an audiobook: Apple Books and audiobook apps show the chapters and keep the listener's place",
    ),
    "m4a": OutputFormat(
        avencode.open_mp4,
        mp4tags.writer(audiobook=False),
        mp4tags.read_mp4,
        mime="audio/mp4",
        purpose="the same AAC with chapters, filed as music rather than an audiobook",
    ),
    "opus": OutputFormat(
        avencode.open_opus,
        tags.write_opus,
        tags.read_opus,
        mime="audio/ogg; codecs=opus",
        purpose="the smallest file (about a third of the MP3) for sending by message; Android, browsers, VLC",
    ),
    "wav": OutputFormat(
        encode.soundfile_opener("wav"), tags.write_wav, tags.read_wav, mime="audio/wav", purpose="uncompressed, for editing or archiving"
    ),
    "flac": OutputFormat(
        encode.soundfile_opener("flac"),
        tags.write_flac,
        tags.read_flac,
        mime="audio/flac",
        purpose="lossless and half the size of WAV, for archiving",
    ),
    "ogg": OutputFormat(
        encode.soundfile_opener("ogg"), tags.write_ogg, tags.read_ogg, mime="audio/ogg", purpose="Ogg Vorbis, for players that prefer it"
    ),
}
NAMES = tuple(FORMATS)


def format_for(path: Path, explicit: str | None = None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        endings = ", ".join(f".{name}" for name in NAMES[:-1]) + f" or .{NAMES[-1]}"
        raise SessiongenError(f"{path}: unknown output format '{fmt or path.name}'{suggest(fmt, NAMES)}: use {endings}")
    return fmt


def open_writer(
    path: Path, fmt: str, rate_hz: int, bitrate_kbps: int = 192, channels: int = 2, bit_depth: int = 16, length_frames: int | None = None
):
    """A writer; `length_frames`, the frames that will be written, when known (M4B/M4A align their
    priming to it so that the last AAC frame needs no padding: avencode.open_mp4)."""
    return FORMATS[fmt].open(path, rate_hz, bitrate_kbps, channels, bit_depth, length_frames=length_frames)


def level_change_db(fmt: str, bitrate_kbps: int, rate_hz: int) -> float:
    return FORMATS[fmt].level_change_db(bitrate_kbps, rate_hz)
