"""Output formats: one registry. Adding a format is one entry here: how to write it, how to tag
it and read its tag back, and what its codec does to the level (made up by mastering)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.output import encode, tags


def _no_level_change(bitrate_kbps: int, rate_hz: int) -> float:
    return 0.0


@dataclass(frozen=True)
class OutputFormat:
    open: Callable  # (path, rate_hz, bitrate_kbps, channels, bit_depth) -> a writer with prepare/write/close
    write_tags: Callable[[Path, tags.TagInfo], None]
    read_tags: Callable[[Path], dict]
    level_change_db: Callable[[int, int], float] = _no_level_change  # (bitrate_kbps, rate_hz) -> dB


FORMATS = {
    "mp3": OutputFormat(encode.open_mp3, tags.write_mp3, tags.read_mp3, encode.mp3_level_change_db),
    "wav": OutputFormat(encode.soundfile_opener("wav"), tags.write_wav, tags.read_wav),
    "flac": OutputFormat(encode.soundfile_opener("flac"), tags.write_flac, tags.read_flac),
    "ogg": OutputFormat(encode.soundfile_opener("ogg"), tags.write_ogg, tags.read_ogg),
}
NAMES = tuple(FORMATS)


def format_for(path: Path, explicit: str | None = None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        endings = ", ".join(f".{name}" for name in NAMES[:-1]) + f" or .{NAMES[-1]}"
        raise SessiongenError(f"{path}: unknown output format '{fmt or path.name}'{suggest(fmt, NAMES)}: use {endings}")
    return fmt


def open_writer(path: Path, fmt: str, rate_hz: int, bitrate_kbps: int = 192, channels: int = 2, bit_depth: int = 16):
    return FORMATS[fmt].open(path, rate_hz, bitrate_kbps, channels, bit_depth)


def level_change_db(fmt: str, bitrate_kbps: int, rate_hz: int) -> float:
    return FORMATS[fmt].level_change_db(bitrate_kbps, rate_hz)
