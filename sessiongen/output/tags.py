"""Tags for a rendered session: title, clinician, disclaimer, cover, render parameters and chapters.

write_tags replaces whatever tag the file had with one built from TagInfo; the audio is not touched.

- MP3: ID3v2.3 at the start of the file, text frames in UTF-16 (../shared/RESEARCH.md §6): TIT2, TPE1, TALB, TCON,
  COMM (eng), TXXX:sessiongen (params as compact JSON), APIC (front cover) and one CHAP frame per
  chapter (ids chp0, chp1, ...; start/end in ms; a TIT2 sub-frame) listed by a top-level, ordered
  CTOC 'toc'.
- WAV: the same ID3v2.3 tag in an 'id3 ' RIFF chunk at the end (mutagen.wave); ffmpeg and most
  taggers read it (chapters and cover included), simpler players ignore it. No LIST/INFO chunk.
- FLAC, OGG Vorbis and Ogg Opus: Vorbis comments TITLE, ARTIST, ALBUM, GENRE, COMMENT, SESSIONGEN (params JSON)
  and CHAPTER001=HH:MM:SS.mmm / CHAPTER001NAME=title. That convention has no end times: a chapter ends
  where the next begins (read_tags gives the last one the file's length). The cover is a FLAC Picture
  block (FLAC) or a base64 METADATA_BLOCK_PICTURE comment (OGG, Opus).
- MP4 (m4b, m4a): mp4tags.py.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import mutagen
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TCON, TIT2, TPE1, TXXX, CTOCFlags, Encoding, PictureType
from mutagen.id3._tags import save_frame  # private, for _ChapterOrder below
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE, _WaveID3

from sessiongen.errors import SessiongenError, display_path
from sessiongen.output.cover import image_size_px
from sessiongen.output.jsontext import json_text
from sessiongen.timefmt import vtt_timestamp

PARAMS_KEY = "sessiongen"
ID3_VERSION = 3
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets unused: times rule
MAX_VORBIS_CHAPTERS = 999


@dataclass(frozen=True)
class TagInfo:
    title: str
    artist: str = ""  # the clinician or practice
    album: str = ""
    genre: str = "Meditation"
    comment: str = ""  # carries the general-wellness disclaimer
    cover: bytes = b""  # image data
    cover_mime: str = "image/png"
    params: dict = field(default_factory=dict)  # render parameters, stored as JSON
    chapters: tuple[tuple[str, float, float], ...] = ()  # (title, start_s, end_s)


# Bidirectional formatting characters: embeddings and overrides (U+202A-U+202E), isolates
# (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). Text that reorders itself on screen
# hides what a title or a file name really says.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
LINE_BREAKS = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")  # become a space


def clean_text(text: str) -> str:
    """`text` without control characters (Unicode category Cc: BEL, ESC, DEL, C1, ...) and bidi
    controls; tabs and line breaks become spaces; lone surrogates (an undecodable byte of an
    argument, which no tag can hold) are removed too. Every tag value goes through this; so do the
    names of the files sessiongen writes."""
    if text.isprintable():  # the common case: nothing to remove (bidi controls are not printable)
        return text
    return "".join(
        " " if c in LINE_BREAKS else c
        for c in text
        if c in LINE_BREAKS or not (c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cs"))
    )


def clean_info(info: TagInfo) -> TagInfo:
    """Every text of a tag cleaned (clean_text); the params as JSON are cleaned when written."""
    text = {name: clean_text(getattr(info, name)) for name in ("title", "artist", "album", "genre", "comment")}
    chapters = tuple((clean_text(title), start_s, end_s) for title, start_s, end_s in info.chapters)
    return replace(info, **text, chapters=chapters)


def write_tags(path: Path, fmt: str, info: TagInfo) -> None:
    """Tag `path` (a format of output/formats.py) with `info`, replacing any tag it had."""
    _check_chapters(info.chapters)
    try:
        _format(fmt, "tag").write_tags(Path(path), info)
    except mutagen.MutagenError as exc:
        raise SessiongenError(f"{display_path(path)}: could not write tags ({exc}): render the file again") from exc


def read_tags(path: Path, fmt: str) -> dict:
    """The tag as plain values: title, artist, album, genre, comment, params, chapters, has_cover, cover,
    cover_mime, and id3_version (e.g. (2, 3, 0)) for mp3 and wav."""
    return _format(fmt, "read tags of").read_tags(Path(path))


def _format(fmt: str, verb: str):
    from sessiongen.output.formats import FORMATS  # the registry imports this module

    if fmt not in FORMATS:
        raise ValueError(f"cannot {verb} format '{fmt}': expected one of {', '.join(FORMATS)}")
    return FORMATS[fmt]


def params_json(params: dict) -> str:
    """The render parameters as compact JSON for a tag: no NaN or infinity, no control or bidi
    characters (removed from the JSON text, which stays valid: they can only be in its strings)."""
    text = json_text(_cleaned(params), "the render parameters", ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return clean_text(text)


def _cleaned(value):
    """Every string in a structure of dicts and lists cleaned (clean_text), keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_cleaned(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(v) for v in value]
    return value


def _check_chapters(chapters) -> None:
    for title, start_s, end_s in chapters:
        if not 0 <= start_s <= end_s:
            raise ValueError(f"chapter '{title}' has start {start_s} s and end {end_s} s: need 0 <= start <= end")


# --- ID3 (mp3, wav) -------------------------------------------------------------------------------


def id3_frames(info: TagInfo) -> list:
    """Every frame of the tag, text in UTF-16 (the only Unicode encoding ID3v2.3 has)."""
    utf16 = Encoding.UTF16
    info = clean_info(info)
    frames = [TIT2(encoding=utf16, text=info.title)]
    for frame_type, text in ((TPE1, info.artist), (TALB, info.album), (TCON, info.genre)):
        if text:
            frames.append(frame_type(encoding=utf16, text=text))
    if info.comment:
        frames.append(COMM(encoding=utf16, lang="eng", desc="", text=info.comment))
    if info.params:
        frames.append(TXXX(encoding=utf16, desc=PARAMS_KEY, text=params_json(info.params)))
    if info.cover:
        # An empty description, so Latin-1 costs nothing and avoids old readers' UTF-16 APIC bugs.
        frames.append(APIC(encoding=Encoding.LATIN1, mime=info.cover_mime, type=PictureType.COVER_FRONT, desc="", data=info.cover))
    return frames + _chapter_frames(info.chapters)


def _chapter_frames(chapters) -> list:
    if not chapters:
        return []
    ids = [f"chp{n}" for n in range(len(chapters))]
    frames = [
        CHAP(
            element_id=element_id,
            start_time=_ms(start_s),
            end_time=_ms(end_s),
            start_offset=NO_OFFSET,
            end_offset=NO_OFFSET,
            sub_frames=[TIT2(encoding=Encoding.UTF16, text=title)],
        )
        for element_id, (title, start_s, end_s) in zip(ids, chapters)
    ]
    toc = CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids, sub_frames=[])
    return [toc] + frames


FRAME_ORDER = ("TIT2", "TPE1", "TALB", "TCON", "COMM", "TXXX", "CTOC", "CHAP", "APIC")


class _ChapterOrder:
    """Writes frames in FRAME_ORDER with CHAP frames in time order. mutagen sorts frames by their size,
    which scrambles the chapters, and ffmpeg (and players built on it) list CHAPs in file order, not by
    the CTOC. Overrides ID3Tags._write, mutagen's one hook for frame order (mutagen 1.47 and 1.48)."""

    def _write(self, config) -> bytearray:
        def rank(frame) -> tuple:
            known = frame.FrameID in FRAME_ORDER
            return (FRAME_ORDER.index(frame.FrameID) if known else len(FRAME_ORDER) - 1, getattr(frame, "start_time", 0))

        return bytearray().join(save_frame(frame, config=config) for frame in sorted(self.values(), key=rank))


class _Mp3Id3(_ChapterOrder, ID3):
    pass


class _WaveId3(_ChapterOrder, _WaveID3):
    pass


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000.0))


def _save_id3(tags: ID3, path: Path, info: TagInfo) -> None:
    """Save a fresh tag: it replaces an existing ID3v2 tag (MP3: at the start; WAV: the 'id3 ' chunk)
    or is inserted (MP3: at the start of the file; WAV: a new chunk at the end)."""
    for frame in id3_frames(info):
        tags.add(frame)
    tags.update_to_v23()
    tags.save(path, v2_version=ID3_VERSION)


def write_mp3(path: Path, info: TagInfo) -> None:
    _save_id3(_Mp3Id3(), path, info)


def write_wav(path: Path, info: TagInfo) -> None:
    _save_id3(_WaveId3(), path, info)


def read_mp3(path: Path) -> dict:
    return _read_id3(ID3(path))


def read_wav(path: Path) -> dict:
    tags = WAVE(path).tags
    return _read_id3(tags if tags is not None else ID3())


def _read_id3(tags: ID3) -> dict:
    pictures = tags.getall("APIC")
    params = tags.get(f"TXXX:{PARAMS_KEY}")
    return {
        "title": _id3_text(tags, "TIT2"),
        "artist": _id3_text(tags, "TPE1"),
        "album": _id3_text(tags, "TALB"),
        "genre": _id3_text(tags, "TCON"),
        "comment": _id3_text(tags, "COMM::eng"),
        "params": json.loads(params.text[0]) if params else {},
        "chapters": _id3_chapters(tags),
        "has_cover": bool(pictures),
        "cover": pictures[0].data if pictures else b"",
        "cover_mime": pictures[0].mime if pictures else "",
        "id3_version": tags.version,
    }


def _id3_text(tags: ID3, key: str) -> str:
    frame = tags.get(key)
    return str(frame.text[0]) if frame is not None and frame.text else ""


def _id3_chapters(tags: ID3) -> list[tuple[str, float, float]]:
    """Chapters in the top-level CTOC's order, or by start time when there is no CTOC."""
    chaps = {frame.element_id: frame for frame in tags.getall("CHAP")}
    tocs = [toc for toc in tags.getall("CTOC") if toc.flags & CTOCFlags.TOP_LEVEL]
    order = [i for i in tocs[0].child_element_ids if i in chaps] if tocs else sorted(chaps, key=lambda i: chaps[i].start_time)
    return [(_id3_text(chaps[i].sub_frames, "TIT2"), chaps[i].start_time / 1000.0, chaps[i].end_time / 1000.0) for i in order]


# --- Vorbis comments (flac, ogg) ------------------------------------------------------------------


def vorbis_comments(info: TagInfo) -> list[tuple[str, str]]:
    """(key, value) pairs in writing order; empty fields are left out."""
    info = clean_info(info)
    fields = [("TITLE", info.title), ("ARTIST", info.artist), ("ALBUM", info.album), ("GENRE", info.genre), ("COMMENT", info.comment)]
    pairs = [(key, value) for key, value in fields if value]
    if info.params:
        pairs.append((PARAMS_KEY.upper(), params_json(info.params)))
    if len(info.chapters) > MAX_VORBIS_CHAPTERS:
        raise ValueError(f"{len(info.chapters)} chapters: Vorbis chapter comments allow at most {MAX_VORBIS_CHAPTERS}")
    for number, (title, start_s, _end_s) in enumerate(info.chapters, start=1):
        pairs += [(f"CHAPTER{number:03d}", vtt_timestamp(start_s)), (f"CHAPTER{number:03d}NAME", title)]
    return pairs


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _picture(info: TagInfo) -> Picture:
    picture = Picture()
    picture.type = PictureType.COVER_FRONT
    picture.mime = info.cover_mime
    picture.desc = ""
    picture.data = info.cover
    picture.width, picture.height = image_size_px(info.cover)
    picture.depth = 24 if picture.width else 0
    return picture


def _fill_vorbis(audio, info: TagInfo) -> None:
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()  # keeps the vendor string
    for key, value in vorbis_comments(info):
        audio.tags[key] = [value]


def write_flac(path: Path, info: TagInfo) -> None:
    audio = FLAC(path)
    _fill_vorbis(audio, info)
    audio.clear_pictures()
    if info.cover:
        audio.add_picture(_picture(info))
    audio.save()


def write_ogg(path: Path, info: TagInfo, kind=OggVorbis) -> None:
    """OGG Vorbis, or Ogg Opus with kind=OggOpus (same comments; Opus keeps its pre-skip)."""
    audio = kind(path)
    _fill_vorbis(audio, info)
    if info.cover:
        audio.tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(_picture(info).write()).decode("ascii")]
    audio.save(padding=lambda _info: 0)  # ffmpeg warns about padding after the comment packet's framing bit


def _read_vorbis(audio, picture: Picture | None) -> dict:
    tags = audio.tags or {}

    def first(key: str) -> str:
        return tags[key][0] if key in tags else ""

    params = first(PARAMS_KEY.upper())
    return {
        "title": first("TITLE"),
        "artist": first("ARTIST"),
        "album": first("ALBUM"),
        "genre": first("GENRE"),
        "comment": first("COMMENT"),
        "params": json.loads(params) if params else {},
        "chapters": _vorbis_chapters(first, audio.info.length),
        "has_cover": picture is not None,
        "cover": picture.data if picture else b"",
        "cover_mime": picture.mime if picture else "",
    }


def _vorbis_chapters(first, length_s: float) -> list[tuple[str, float, float]]:
    starts = []
    for number in range(1, MAX_VORBIS_CHAPTERS + 1):
        clock = first(f"CHAPTER{number:03d}")
        if not clock:
            break
        starts.append((first(f"CHAPTER{number:03d}NAME"), _seconds(clock)))
    ends = [start_s for _, start_s in starts[1:]] + [round(length_s, 3)]
    return [(title, start_s, end_s) for (title, start_s), end_s in zip(starts, ends)]


def read_flac(path: Path) -> dict:
    audio = FLAC(path)
    return _read_vorbis(audio, audio.pictures[0] if audio.pictures else None)


def write_opus(path: Path, info: TagInfo) -> None:
    write_ogg(path, info, OggOpus)


def read_opus(path: Path) -> dict:
    return read_ogg(path, OggOpus)


def read_ogg(path: Path, kind=OggVorbis) -> dict:
    audio = kind(path)
    encoded = (audio.tags or {}).get("METADATA_BLOCK_PICTURE")
    return _read_vorbis(audio, Picture(base64.b64decode(encoded[0])) if encoded else None)
