"""Tags and covers: real little audio files tagged, read back with mutagen and checked with ffmpeg."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib

import imageio_ffmpeg
import lameenc
import numpy as np
import pytest
import soundfile as sf
from mutagen.id3 import ID3, CTOCFlags, Encoding
from mutagen.wave import WAVE

from sessiongen.errors import SessiongenError
from sessiongen.output.cover import MAX_COVER_BYTES, PNG_SIGNATURE, default_cover, image_size_px, read_cover
from sessiongen.output.tags import TagInfo, read_tags, write_tags

RATE_HZ = 44100
LENGTH_S = 3.0
TITLE = "Zoë's Calm Place — 平静"
CHAPTERS = (("Settling in — ça va", 0.0, 1.0), ("Safe place 安全", 1.0, 2.25), ("Returning", 2.25, 3.0))
PARAMS = {"technique": "safe-place", "voice": "Zoë", "bls_hz": 1.0, "loudness_lufs": -16}
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def tag_info(cover: bytes) -> TagInfo:
    return TagInfo(
        title=TITLE,
        artist="Dr Ana Müller — Praxis Ruhe",
        album="Calm Skills 平静",
        comment="General wellness audio, not a medical treatment. Stop if you feel worse. 🙂",
        cover=cover,
        params=PARAMS,
        chapters=CHAPTERS,
    )


@pytest.fixture(scope="module")
def cover() -> bytes:
    return default_cover(TITLE, size_px=120)


@pytest.fixture(scope="module")
def tone() -> np.ndarray:
    t = np.arange(int(LENGTH_S * RATE_HZ)) / RATE_HZ
    return 0.3 * np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)], axis=1)


def make_audio(path, fmt: str, tone: np.ndarray) -> None:
    if fmt == "mp3":
        enc = lameenc.Encoder()
        enc.set_bit_rate(192)
        enc.set_in_sample_rate(RATE_HZ)
        enc.set_channels(2)
        enc.set_quality(5)
        pcm = np.round(tone * 32767).astype(np.int16).tobytes()
        path.write_bytes(enc.encode(pcm) + enc.flush())
    else:
        subtype = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS"}[fmt]
        sf.write(str(path), tone, RATE_HZ, format=fmt.upper(), subtype=subtype)


def decode(path, fmt: str) -> np.ndarray:
    """Samples as ffmpeg (MP3) or libsndfile (the rest) decode them."""
    if fmt == "mp3":
        raw = subprocess.run(
            [FFMPEG, "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "2", "-"], capture_output=True, check=True
        ).stdout
        return np.frombuffer(raw, np.int16).reshape(-1, 2)
    return sf.read(str(path), dtype="int16")[0]


def ffmpeg_probe(path) -> str:
    return subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True, encoding="utf-8").stderr


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, checking each CRC."""
    assert data.startswith(PNG_SIGNATURE)
    at, chunks = len(PNG_SIGNATURE), []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def assert_valid_png(data: bytes, size_px: int) -> None:
    chunks = png_chunks(data)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width_px, height_px, depth, colour_type = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (width_px, height_px, depth, colour_type) == (size_px, size_px, 8, 2)
    assert len(zlib.decompress(chunks[1][1])) == size_px * (1 + 3 * size_px)


# --- cover ----------------------------------------------------------------------------------------


def test_default_cover_is_a_valid_png_that_ffmpeg_decodes_to_calm_colours(tmp_path):
    data = default_cover("Box Breathing")
    assert_valid_png(data, 600)
    (tmp_path / "c.png").write_bytes(data)
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(tmp_path / "c.png"), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True
    ).stdout
    pixels = np.frombuffer(raw, np.uint8).reshape(600, 600, 3).astype(float)
    red, green, blue = pixels.reshape(-1, 3).mean(axis=0)
    assert blue > red and 60 < pixels.mean() < 220  # cool, neither black nor blown out
    assert pixels[:60].mean() > pixels[-60:].mean()  # lighter sky above, deeper ground below


def test_default_cover_is_deterministic_and_differs_by_title():
    assert default_cover("Body Scan", 64) == default_cover("Body Scan", 64)
    assert default_cover("Body Scan", 64) != default_cover("Safe Place", 64)
    assert image_size_px(default_cover("x", 48)) == (48, 48)


def test_read_cover_accepts_png_and_jpeg(tmp_path, cover):
    png = tmp_path / "cover.png"
    png.write_bytes(cover)
    assert read_cover(png) == (cover, "image/png")
    jpg = tmp_path / "cover.jpg"
    subprocess.run([FFMPEG, "-v", "error", "-i", str(png), str(jpg)], check=True)
    data, mime = read_cover(jpg)
    assert mime == "image/jpeg" and image_size_px(data) == (120, 120)


@pytest.mark.parametrize("case", ["text", "missing", "too_big", "folder"])
def test_bad_cover_is_a_one_line_sessiongen_error(tmp_path, case):
    path = tmp_path / "my cover.png"
    if case == "text":
        path.write_text("not an image")
    elif case == "too_big":
        with open(path, "wb") as f:
            f.write(PNG_SIGNATURE)
            f.truncate(MAX_COVER_BYTES + 1)
    elif case == "folder":
        path.mkdir()
    with pytest.raises(SessiongenError) as caught:
        read_cover(path)
    message = str(caught.value)
    assert "my cover.png" in message and "\n" not in message
    assert (".jpg or .png file" in message) if case in ("text", "too_big") else ("check the path" in message)


# --- tags -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mp3", "wav", "flac", "ogg"])
def test_every_field_round_trips_and_audio_is_unchanged(tmp_path, fmt, tone, cover):
    path = tmp_path / f"session.{fmt}"
    make_audio(path, fmt, tone)
    before = decode(path, fmt)
    write_tags(path, fmt, tag_info(cover))
    assert np.array_equal(decode(path, fmt), before)

    got = read_tags(path, fmt)
    info = tag_info(cover)
    for key in ("title", "artist", "album", "genre", "comment", "params"):
        assert got[key] == getattr(info, key), key
    assert [title for title, _, _ in got["chapters"]] == [title for title, _, _ in CHAPTERS]
    assert [start for _, start, _ in got["chapters"]] == pytest.approx([start for _, start, _ in CHAPTERS], abs=1e-3)
    assert [end for _, _, end in got["chapters"]] == pytest.approx([end for _, _, end in CHAPTERS], abs=0.05)  # vorbis: file length
    assert got["has_cover"] and got["cover"] == cover and got["cover_mime"] == "image/png"
    assert_valid_png(got["cover"], 120)
    if fmt in ("mp3", "wav"):
        assert got["id3_version"] == (2, 3, 0)


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_id3_is_v23_utf16_with_chapters_and_an_ordered_top_level_toc(tmp_path, fmt, tone, cover):
    path = tmp_path / f"session.{fmt}"
    make_audio(path, fmt, tone)
    write_tags(path, fmt, tag_info(cover))
    if fmt == "mp3":
        assert path.read_bytes()[:4] == b"ID3\x03"  # v2.3 tag at the very start
    tags = ID3(path) if fmt == "mp3" else WAVE(path).tags
    assert tags.version == (2, 3, 0)
    for key in ("TIT2", "TPE1", "TALB", "TCON", "COMM::eng", "TXXX:sessiongen"):
        assert tags[key].encoding == Encoding.UTF16, key
    assert tags["APIC:"].type == 3 and tags["APIC:"].data == cover

    chaps = {chap.element_id: chap for chap in tags.getall("CHAP")}
    assert sorted(chaps) == ["chp0", "chp1", "chp2"]
    for n, (title, start_s, end_s) in enumerate(CHAPTERS):
        chap = chaps[f"chp{n}"]
        assert (chap.start_time, chap.end_time) == (round(start_s * 1000), round(end_s * 1000))
        assert chap.sub_frames["TIT2"].text == [title] and chap.sub_frames["TIT2"].encoding == Encoding.UTF16
    (toc,) = tags.getall("CTOC")
    assert toc.element_id == "toc"
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1", "chp2"]


@pytest.mark.parametrize("fmt", ["mp3", "wav", "flac", "ogg"])
def test_ffmpeg_sees_the_title_chapters_and_cover(tmp_path, fmt, tone, cover):
    path = tmp_path / f"session.{fmt}"
    make_audio(path, fmt, tone)
    write_tags(path, fmt, tag_info(cover))
    report = ffmpeg_probe(path)
    assert re.search(rf"^\s*title\s*: {re.escape(TITLE)}$", report, re.M | re.I)
    found = re.findall(r"Chapter #0:(\d+): start (\d+\.\d+), end (\d+\.\d+)", report)
    assert [(int(n), float(s), float(e)) for n, s, e in found] == [(n, s, e) for n, (_, s, e) in enumerate(CHAPTERS)]
    titles = re.findall(r"Chapter #0:\d+: .*\n\s*Metadata:\n\s*title\s*: (.*)", report)
    assert titles == [title for title, _, _ in CHAPTERS]
    assert "Video: png" in report and "(attached pic)" in report
    assert "remain" not in report  # no leftover bytes in the Vorbis comment header


def test_mp3_chapters_stay_in_time_order_for_ffmpeg(tmp_path, tone):
    """mutagen sorts frames by size; ffmpeg lists CHAPs in file order and ignores the CTOC."""
    chapters = tuple(("x" * (30 - n) + f" {n}", n * 0.25, (n + 1) * 0.25) for n in range(12))
    path = tmp_path / "many.mp3"
    make_audio(path, "mp3", tone)
    write_tags(path, "mp3", TagInfo(title="Many", chapters=chapters))
    found = re.findall(r"Chapter #0:\d+: start (\d+\.\d+), end", ffmpeg_probe(path))
    assert [float(s) for s in found] == [start for _, start, _ in chapters]
    assert read_tags(path, "mp3")["chapters"] == [(t, s, e) for t, s, e in chapters]


@pytest.mark.parametrize("fmt", ["mp3", "flac"])
def test_tagging_again_replaces_the_tag(tmp_path, fmt, tone, cover):
    path = tmp_path / f"session.{fmt}"
    make_audio(path, fmt, tone)
    before = decode(path, fmt)
    write_tags(path, fmt, tag_info(cover))
    write_tags(path, fmt, TagInfo(title="Second", chapters=CHAPTERS[:1]))
    got = read_tags(path, fmt)
    assert (got["title"], got["artist"], got["has_cover"], got["params"], len(got["chapters"])) == ("Second", "", False, {}, 1)
    assert np.array_equal(decode(path, fmt), before)


def test_every_output_format_can_be_tagged():
    from sessiongen.output.formats import FORMATS

    assert set(FORMATS) == {"mp3", "m4b", "m4a", "opus", "wav", "flac", "ogg"}  # the new three: tests/test_formats_av.py
    assert all(callable(f.write_tags) and callable(f.read_tags) for f in FORMATS.values())


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="format 'aac'"):
        write_tags(tmp_path / "x.aac", "aac", TagInfo(title="x"))
    with pytest.raises(ValueError, match="start"):
        write_tags(tmp_path / "x.mp3", "mp3", TagInfo(title="x", chapters=(("a", 2.0, 1.0),)))
