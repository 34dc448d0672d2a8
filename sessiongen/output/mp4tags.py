"""Tags and chapters of AAC in MP4 (.m4b audiobook, .m4a): what Apple's players and ffmpeg read.

- Chapters: a QuickTime chapter track (a text track the audio track points to with a 'chap'
  reference: what Apple Books, Music and Podcasts show) and a Nero 'chpl' list (what ffmpeg-based
  players and mutagen read). ffmpeg's MP4 muxer writes both, only when the file is opened, so the
  packets are copied once into a file opened with the chapters (PyAV; no re-encoding).
- Text (mutagen, iTunes 'ilst'): ©nam title, ©ART artist, ©alb album, ©gen genre, ©cmt comment,
  covr the cover, `----:com.apple.iTunes:sessiongen` the render parameters (JSON), stik 2
  (audiobook) for .m4b, and `----:com.apple.iTunes:iTunSMPB`: the encoder delay, the padding and
  the exact length in samples, as Apple's gapless players read them (the edit list says the same
  for ffmpeg).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

from sessiongen.errors import SessiongenError, display_path
from sessiongen.output.tags import PARAMS_KEY, TagInfo, clean_info, params_json

FREEFORM = "----:com.apple.iTunes:"
AUDIOBOOK_STIK = 2
AAC_FRAME_SAMPLES = 1024


def _chapters(info: TagInfo) -> list[dict]:
    ms = Fraction(1, 1000)
    return [
        {"id": number, "start": round(start_s * 1000), "end": round(end_s * 1000), "time_base": ms, "metadata": {"title": title}}
        for number, (title, start_s, end_s) in enumerate(info.chapters, start=1)
    ]


def _remux(path: Path, info: TagInfo) -> tuple[int, int, int]:
    """Copy the packets of `path` into a new file opened with the chapters, replacing it.
    Returns (delay, padding, length) in samples."""
    fd, temp = tempfile.mkstemp(prefix=".remux-", suffix=".mp4", dir=path.parent)
    os.close(fd)
    try:
        with av.open(str(path)) as source:
            stream = source.streams.audio[0]
            rate_hz = stream.codec_context.sample_rate
            with av.open(temp, "w", format="ipod", options={"movie_timescale": str(rate_hz)}) as out:
                copy = out.add_stream_from_template(stream)
                out.set_chapters(_chapters(info))
                first_pts, total, packets = None, 0, 0
                for packet in source.demux(stream):
                    if packet.dts is None:
                        continue  # the demuxer's empty flush packet
                    first_pts = packet.pts if first_pts is None else first_pts
                    total += packet.duration
                    packets += 1
                    packet.stream = copy
                    out.mux(packet)
        os.chmod(temp, os.stat(path).st_mode & 0o7777)  # the file's own permissions, not mkstemp's 0600
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    delay = -int(first_pts or 0)
    return delay, packets * AAC_FRAME_SAMPLES - total, total - delay


def itunsmpb(delay: int, padding: int, length: int) -> str:
    """Apple's gapless record: ' 00000000 DELAY PADDING LENGTH' and eight zero fields, in hex."""
    return f" 00000000 {delay:08X} {padding:08X} {length:016X}" + " 00000000" * 8


def writer(audiobook: bool):
    """The tagger of .m4b (audiobook=True) or .m4a."""

    def write(path: Path, info: TagInfo) -> None:
        path = Path(path)
        try:
            gapless = _remux(path, clean_info(info))
        except av.FFmpegError as exc:
            raise SessiongenError(f"{display_path(path)}: could not write the chapters ({exc}): render the file again") from None
        _write_ilst(path, clean_info(info), gapless, audiobook)

    return write


def _write_ilst(path: Path, info: TagInfo, gapless: tuple[int, int, int], audiobook: bool) -> None:
    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    for key, text in (
        ("\xa9nam", info.title),
        ("\xa9ART", info.artist),
        ("\xa9alb", info.album),
        ("\xa9gen", info.genre),
        ("\xa9cmt", info.comment),
    ):
        if text:
            audio.tags[key] = [text]
    if info.params:
        audio.tags[FREEFORM + PARAMS_KEY] = [MP4FreeForm(params_json(info.params).encode("utf-8"))]
    audio.tags[FREEFORM + "iTunSMPB"] = [MP4FreeForm(itunsmpb(*gapless).encode("ascii"))]
    if info.cover:
        kind = MP4Cover.FORMAT_PNG if info.cover_mime == "image/png" else MP4Cover.FORMAT_JPEG
        audio.tags["covr"] = [MP4Cover(info.cover, imageformat=kind)]
    if audiobook:
        audio.tags["stik"] = [AUDIOBOOK_STIK]
    audio.save()


def read_mp4(path: Path) -> dict:
    """The tag as plain values, chapters from the Nero list (mutagen), plus `gapless`: (delay,
    padding, length) from iTunSMPB, or None."""
    audio = MP4(path)
    tags = audio.tags or {}

    def first(key: str) -> str:
        values = tags.get(key)
        return str(values[0]) if values else ""

    params = tags.get(FREEFORM + PARAMS_KEY)
    smpb = tags.get(FREEFORM + "iTunSMPB")
    covers = tags.get("covr") or []
    gapless = tuple(int(v, 16) for v in bytes(smpb[0]).decode("ascii").split()[1:4]) if smpb else None
    chapters = list(audio.chapters or [])
    length_s = gapless[2] / audio.info.sample_rate if gapless else audio.info.length  # the length without priming and padding
    ends = [c.start for c in chapters[1:]] + [length_s]
    return {
        "title": first("\xa9nam"),
        "artist": first("\xa9ART"),
        "album": first("\xa9alb"),
        "genre": first("\xa9gen"),
        "comment": first("\xa9cmt"),
        "params": json.loads(bytes(params[0]).decode("utf-8")) if params else {},
        "chapters": [(c.title, round(c.start, 3), round(end, 3)) for c, end in zip(chapters, ends)],
        "has_cover": bool(covers),
        "cover": bytes(covers[0]) if covers else b"",
        "cover_mime": ("image/png" if covers[0].imageformat == MP4Cover.FORMAT_PNG else "image/jpeg") if covers else "",
        "gapless": gapless,
        "stik": int(tags["stik"][0]) if "stik" in tags else None,
    }
