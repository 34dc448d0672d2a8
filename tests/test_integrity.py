"""Audio and metadata integrity: no garbage is written with exit 0.

Non-finite samples in a user's audio or in the mix, non-finite numbers in any JSON, beds decoded
only as far as a session needs, damaged covers, control and bidi characters in tags, and a
remembered voice that does not fit (docs/reliability.md, "Audio and metadata integrity")."""

from __future__ import annotations

import ast
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from helpers import prepared, script_text

from sessiongen import pipeline
from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.output import sidecars
from sessiongen.output.cover import PNG_SIGNATURE, _chunk, default_cover, read_cover
from sessiongen.output.encode import Dither16, Mp3Writer, SoundfileWriter
from sessiongen.output.jsontext import json_text
from sessiongen.output.tags import TagInfo, clean_text, params_json, read_tags, write_tags
from sessiongen.settings import Settings
from sessiongen.sound import useraudio
from sessiongen.sound.beds import recorded as filebed
from sessiongen.speech.cache import VOICES_FILE, PhraseCache

ROOT = Path(__file__).resolve().parents[1]
RATE = 44_100
FAKE = ["--engine", "fake"]
BODY = "Settle in and breathe.\n\n[pause 6s]\n\nNotice the ground beneath you.\n"


def _script(tmp_path: Path, body: str = BODY) -> Path:
    path = tmp_path / "s.md"
    path.write_text(script_text(body, duration="30s"), encoding="utf-8")
    return path


def _float_bed(path: Path, seconds: float, bad: dict[float, float], rate_hz: int = 48_000, subtype: str = "FLOAT") -> Path:
    """Noise with the given values at the given times (s)."""
    x = (0.1 * np.random.default_rng(3).standard_normal((int(seconds * rate_hz), 2))).astype(np.float32)
    for at_s, value in bad.items():
        x[int(at_s * rate_hz), 1] = value
    sf.write(str(path), x, rate_hz, subtype=subtype)
    return path


def _one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _left_behind(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# --- 1. non-finite samples: user audio --------------------------------------------------------


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
def test_a_bed_with_a_non_finite_sample_is_one_line_naming_it_and_nothing_is_written(tmp_path, value, subtype):
    bed = _float_bed(tmp_path / "garden rain.wav", 9.0, {5.2: value}, subtype=subtype)
    out = tmp_path / "out.mp3"
    result = CliRunner().invoke(cli, ["render", str(_script(tmp_path)), "-o", str(out), "--ambience", str(bed), *FAKE])
    _one_line_error(result, "garden rain.wav", "0:05", "not a number")
    assert _left_behind(tmp_path, {"garden rain.wav", "s.md"}) == []


def test_non_finite_samples_are_found_wherever_the_session_reads_them(tmp_path):
    """Past the first block, in a mono file, in a file at the mix's own rate (no resampling)."""
    for rate_hz, channels, at_s in ((RATE, 1, 3.7), (22_050, 2, 2.9), (96_000, 6, 4.1)):
        x = np.full((5 * rate_hz, channels), 0.05, dtype=np.float32)
        x[int(at_s * rate_hz), channels - 1] = np.nan
        path = tmp_path / f"bed-{rate_hz}.wav"
        sf.write(str(path), x, rate_hz, subtype="FLOAT")
        with pytest.raises(SessiongenError, match=r"a sample at 0:0[34] is not a number"):
            useraudio.read_audio(path, RATE, 60.0)


def test_huge_finite_samples_that_overflow_when_resampled_are_refused(tmp_path):
    x = np.full((3 * 48_000, 2), 3.0e38, dtype=np.float32)
    x[::2] *= -1
    sf.write(str(tmp_path / "loud.wav"), x, 48_000, subtype="FLOAT")
    with pytest.raises(SessiongenError, match="far beyond full scale"):
        useraudio.read_audio(tmp_path / "loud.wav", RATE, 60.0)


# --- 1. non-finite samples: the mix, at the writer ------------------------------------------------


@pytest.mark.parametrize("opener", ["mp3", "wav16", "wav24", "flac", "ogg", "float"])
def test_every_writer_refuses_a_non_finite_block(tmp_path, opener):
    path = tmp_path / "x.out"
    writer = {
        "mp3": lambda: Mp3Writer(path, RATE, 192),
        "wav16": lambda: SoundfileWriter(path, RATE, "wav", "PCM_16"),
        "wav24": lambda: SoundfileWriter(path, RATE, "wav", "PCM_24"),
        "flac": lambda: SoundfileWriter(path, RATE, "flac", "PCM_16"),
        "ogg": lambda: SoundfileWriter(path, RATE, "ogg", "VORBIS"),
        "float": lambda: SoundfileWriter(path, RATE, "wav", "FLOAT"),
    }[opener]()
    good = np.full((RATE, 2), 0.1, dtype=np.float32)
    bad = good.copy()
    bad[RATE // 2, 0] = np.inf
    writer.write(good)
    with pytest.raises(SessiongenError, match=r"not a number \(NaN or infinity\) at 0:0[12]"):
        writer.write(bad)
    writer.close()


def test_the_dither_refuses_nan_before_it_quantises():
    with pytest.raises(SessiongenError, match="not a number"):
        Dither16(RATE, 2).process(np.array([[0.0, np.nan]] * 10, dtype=np.float32))


@pytest.mark.parametrize("suffix", ["mp3", "wav", "flac"])
def test_a_mix_that_turns_non_finite_aborts_the_write_and_leaves_nothing(tmp_path, monkeypatch, suffix):
    """Whatever the source of the NaN (here a window poisoned after rendering), the file, its
    stems and its temporary files are gone, and the old file is kept."""
    from sessiongen.mix.render import Renderer

    p = prepared(BODY, duration="30s")
    original = Renderer.window

    def poisoned(self, start, frames, layered=True):
        window = original(self, start, frames, layered)
        if start > 0:
            window.ambience[frames // 2] = np.nan
        return window

    monkeypatch.setattr(Renderer, "window", poisoned)
    out = tmp_path / f"session.{suffix}"
    out.write_bytes(b"the old file")
    (tmp_path / "stems").mkdir()
    with pytest.raises(SessiongenError, match="the mix has a sample that is not a number"):
        pipeline.write(p, Settings(engine="fake"), out, stems=tmp_path / "stems")
    assert out.read_bytes() == b"the old file"
    assert _left_behind(tmp_path, {out.name, "stems"}) == [] and list((tmp_path / "stems").iterdir()) == []


# --- 1. JSON: no NaN or infinity, anywhere ------------------------------------------------------


def test_json_text_refuses_non_finite_numbers_and_names_where_they_are():
    with pytest.raises(SessiongenError, match=r"the manifest: loudness\.integrated_lufs is -inf, not a finite number: nothing was written"):
        json_text({"loudness": {"true_peak_dbtp": -1.0, "integrated_lufs": float("-inf")}}, "the manifest")
    with pytest.raises(SessiongenError, match=r"rows\[1\]\.gain is nan"):
        json_text({"rows": [{"gain": 1.0}, {"gain": float("nan")}]}, "x")
    with pytest.raises(SessiongenError, match=r"x: the value is inf"):
        json_text(float("inf"), "x")
    assert json.loads(json_text({"a": [1.5, 2, "NaN"]}, "x")) == {"a": [1.5, 2, "NaN"]}


def test_sidecars_tags_and_reports_refuse_non_finite_numbers_and_write_nothing(tmp_path):
    from sessiongen.batch.reports import write_reports
    from sessiongen.model.outcome import Outcome

    p = prepared(BODY, duration="30s")
    with pytest.raises(SessiongenError, match=r"a JSON sidecar: loudness\.gain_db is nan"):
        sidecars.write(tmp_path / "a.mp3", p.timeline, ("vtt", "srt", "manifest"), {"loudness": {"gain_db": float("nan")}})
    with pytest.raises(SessiongenError, match=r"the render parameters: minutes is inf"):
        params_json({"minutes": float("inf")})
    with pytest.raises(SessiongenError, match=r"the batch report: rows\[0\]\.seconds is nan"):
        write_reports(tmp_path, [Outcome(1, "c1", "safe-place", status="failed", seconds=float("nan"))])
    assert list(tmp_path.iterdir()) == []  # no sidecar, no report, no temporary file


def test_every_json_writer_goes_through_json_text():
    """A source check: json.dumps appears only in jsontext.py and where JSON is hashed or checked,
    never written (cache keys, input hashes, the set of tones, the UTF-8 check before a delivery)."""
    not_written = {
        ("speech/cache.py", "phrase_key"),
        ("output/manifest.py", "values_hash"),
        ("output/manifest.py", "render_params"),
        ("output/manifest.py", "inputs_hash"),
        ("pipeline.py", "_records"),
    }
    found = set()
    for path in sorted((ROOT / "sessiongen").rglob("*.py")):
        name = str(path.relative_to(ROOT / "sessiongen"))
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, (ast.FunctionDef, ast.Module)) or name == "output/jsontext.py":
                continue
            body = (
                function.body
                if isinstance(function, ast.FunctionDef)
                else [n for n in function.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            )
            for node in (n for statement in body for n in ast.walk(statement)):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("dump", "dumps")
                    and getattr(node.func.value, "id", "") == "json"
                ):
                    found.add((name, getattr(function, "name", "<module>")))
    assert found <= not_written, sorted(found - not_written)


# --- 2. beds decoded only as far as needed ---------------------------------------------------------


def _noise_wav(path: Path, seconds: float, rate_hz: int = 48_000, subtype: str = "PCM_16") -> Path:
    with sf.SoundFile(str(path), "w", rate_hz, 2, subtype=subtype) as handle:
        rng = np.random.default_rng(4)
        for _ in range(int(seconds // 10)):
            handle.write((0.1 * rng.standard_normal((10 * rate_hz, 2))).astype(np.float32))
    return path


def test_a_long_bed_is_decoded_only_as_far_as_the_session_needs(tmp_path, monkeypatch):
    bed = _noise_wav(tmp_path / "long.wav", 180.0)
    read: list[int] = []
    original = sf.SoundFile.read

    def counting(self, *args, **kwargs):
        block = original(self, *args, **kwargs)
        read.append(len(block))
        return block

    monkeypatch.setattr(sf.SoundFile, "read", counting)
    session_frames = 20 * RATE
    loop = filebed.file_loop(str(bed), RATE, session_frames)
    decoded_s = sum(read) / 48_000
    assert 20.0 + filebed.SEAM_S <= decoded_s <= 20.0 + filebed.SEAM_S + filebed.MARGIN_S + 0.01
    assert session_frames <= len(loop) <= session_frames + int(filebed.MARGIN_S * RATE) + 2
    window = filebed.file_bed(str(bed), 0, session_frames - RATE, RATE, RATE, session_frames=session_frames)
    assert window.shape == (RATE, 2) and np.isfinite(window).all() and window.flags.writeable


def test_the_loop_on_disk_is_the_loop_the_old_in_memory_code_made(tmp_path):
    """The crossfade at the seam and the RMS of 1, against a direct computation (a 5 s file: the
    seam is 1.25 s, a quarter of it; and a 30 s file: the full 2 s)."""
    for seconds in (5.0, 30.0):
        x = (0.2 * np.random.default_rng(5).standard_normal((int(seconds * RATE), 2))).astype(np.float32)
        path = tmp_path / f"bed{seconds:g}.wav"
        sf.write(str(path), x, RATE, subtype="FLOAT")
        seam = min(int(filebed.SEAM_S * RATE), len(x) // 4)
        expected = x[: len(x) - seam].astype(np.float64)
        theta = (np.arange(seam) + 0.5) / seam * (np.pi / 2)
        expected[:seam] = x[:seam] * np.sin(theta)[:, None] + x[len(x) - seam :] * np.cos(theta)[:, None]
        expected /= np.sqrt(np.mean(np.square(expected)))
        loop = filebed.file_loop(str(path), RATE)
        assert len(loop) == len(expected)
        assert np.allclose(loop.read(0, len(loop)), expected, atol=1e-5)
        assert np.array_equal(loop.read(len(loop) - 10, 20), np.concatenate([loop.read(len(loop) - 10, 10), loop.read(0, 10)]))


def test_other_formats_are_streamed_from_ffmpeg_and_cut_at_the_duration_asked(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "ffmpeg").symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    bed = tmp_path / "bed.m4a"
    subprocess.run(
        [str(folder / "ffmpeg"), "-v", "error", "-f", "lavfi", "-i", "anoisesrc=d=30:c=pink:r=48000", "-ac", "2", "-c:a", "aac", str(bed)],
        check=True,
    )
    audio = useraudio.read_audio(bed, RATE, 4.0)
    assert audio.samples.shape == (4 * RATE, 2) and np.isfinite(audio.samples).all() and np.abs(audio.samples).max() > 0.01
    (tmp_path / "noise.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A garbage " * 20)
    with pytest.raises(SessiongenError, match="noise.m4a: cannot be read as audio"):
        useraudio.read_audio(tmp_path / "noise.m4a", RATE, 4.0)


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec (a large test process
# would hide the child's own peak).
MEASURE = """
import re, sys
from click.testing import CliRunner
from sessiongen.cli import cli
result = CliRunner().invoke(cli, sys.argv[1:])
assert result.exit_code == 0, result.output
print(int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1)) // 1024)
"""


def _peak_rss_mb(tmp_path: Path, *args: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "SESSIONGEN_ENGINES": "fake=fake_engine:FakeEngine"}
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    return int(done.stdout.split()[-1])


def test_a_ten_minute_bed_for_a_short_session_costs_no_more_memory_than_a_short_bed(tmp_path):
    """A child's peak RSS: before, the whole bed was decoded (10 minutes of 48 kHz stereo: 230 MB
    as float32, more while resampled); now only the session's length and the seam."""
    script = _script(tmp_path)
    long_bed, short_bed = _noise_wav(tmp_path / "long.wav", 600.0), _noise_wav(tmp_path / "short.wav", 30.0)
    common = ["render", str(script), "--sidecars", "none", *FAKE, "--ambience"]
    long_mb = _peak_rss_mb(tmp_path, *common, str(long_bed), "-o", str(tmp_path / "a.wav"))
    short_mb = _peak_rss_mb(tmp_path, *common, str(short_bed), "-o", str(tmp_path / "b.wav"))
    assert long_mb <= short_mb + 25, (long_mb, short_mb)


# --- 3. covers decoded and bounded ------------------------------------------------------------


def _png(width_px: int, height_px: int, idat: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width_px, height_px, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _interlaced_png(width_px: int, height_px: int, pixels_bytes: bytes | None = None) -> bytes:
    """An 8-bit RGB Adam7 PNG made by hand (Pillow does not write interlaced PNGs)."""
    from sessiongen.output.cover import ADAM7

    rgb = np.random.default_rng(7).integers(0, 255, (height_px, width_px, 3), dtype=np.uint8)
    rows = b"".join(b"\x00" + row.tobytes() for x0, y0, dx, dy in ADAM7 for row in rgb[y0::dy, x0::dx] if row.size)
    header = struct.pack(">IIBBBBB", width_px, height_px, 8, 2, 0, 0, 1)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(pixels_bytes if pixels_bytes is not None else rows))
        + _chunk(b"IEND", b"")
    )


def _damaged_covers() -> dict[str, bytes]:
    good = default_cover("Cover", 64)
    at = good.index(b"IDAT")
    (length,) = struct.unpack(">I", good[at - 4 : at])
    scrambled = bytes(b ^ 0xA5 for b in good[at + 4 : at + 4 + length])
    flipped = bytearray(good)
    flipped[at + 40] ^= 0xFF  # a byte of the compressed pixels, the chunk's checksum left as it was
    return {
        "garbage-idat.png": _png(64, 64, scrambled),
        "bad-checksum.png": bytes(flipped),
        "too-few-rows.png": _png(64, 64, zlib.compress(b"\x00" + b"\x80" * (64 * 3))),  # a whole stream, one row of 64
        "too-many-rows.png": _png(8, 8, zlib.compress(b"\x00" * (1 + 8 * 3) * 9)),
        "interlaced-short.png": _interlaced_png(13, 11, b"\x00" * 100),
        "huge.png": _png(100_000, 100_000, zlib.compress(b"\x00" * 1000)),
        "wide.png": _png(30_000, 1_000, zlib.compress(b"\x00" * 1000)),
    }


@pytest.mark.parametrize("name", sorted(_damaged_covers()))
def test_a_damaged_or_oversized_cover_is_one_line_and_nothing_is_written(tmp_path, name):
    cover = tmp_path / name
    cover.write_bytes(_damaged_covers()[name])
    with pytest.raises(SessiongenError, match=name):
        read_cover(cover)
    result = CliRunner().invoke(cli, ["render", str(_script(tmp_path)), "-o", str(tmp_path / "out.mp3"), "--cover", str(cover), *FAKE])
    _one_line_error(result, name, "px" if name in ("huge.png", "wide.png") else "damaged")
    assert _left_behind(tmp_path, {name, "s.md"}) == []


def test_whole_covers_of_every_png_kind_and_a_jpeg_are_kept_as_they_are(tmp_path):
    from PIL import Image

    rgb = np.random.default_rng(6).integers(0, 255, (37, 53, 3), dtype=np.uint8)
    covers = {"interlaced.png": _interlaced_png(13, 11), "16-bit.png": None}
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
        buffer = io.BytesIO()
        Image.fromarray(rgb).convert(mode).save(buffer, "PNG")
        covers[f"{mode}.png"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 250).save(buffer, "PNG")
    covers["16-bit.png"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=90)
    covers["photo.jpg"] = buffer.getvalue()
    for name, data in covers.items():
        (tmp_path / name).write_bytes(data)
        assert read_cover(tmp_path / name)[0] == data, name


def test_a_jpeg_without_pixels_or_with_broken_tables_is_refused(tmp_path):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(6).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(buffer, "JPEG", quality=90)
    whole = buffer.getvalue()
    scan, tables = whole.index(b"\xff\xda"), whole.index(b"\xff\xc4")
    start_of_frame = whole.index(b"\xff\xc0")
    damaged = {
        "no-scan.jpg": whole[:scan] + b"\xff\xd9",
        "broken-tables.jpg": whole[: tables + 4] + b"\xff" * 20 + whole[tables + 24 :],
        "huge.jpg": whole[: start_of_frame + 5] + struct.pack(">HH", 60_000, 60_000) + whole[start_of_frame + 9 :],
    }
    for name, data in damaged.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SessiongenError, match=name + (" is 60000 x 60000 px" if name == "huge.jpg" else " is cut short or damaged")):
            read_cover(tmp_path / name)


# --- 4. control and bidi characters out of tags -------------------------------------------------

HOSTILE = "Sam\u202e3pm.exe\u202c \x07bell \x1b[31mred\x1b[0m \u2066iso\u2069 \u200emark\u200f \u061carabic\x7f\x9b"


def test_clean_text_strips_controls_and_bidi_and_keeps_every_script():
    assert clean_text(HOSTILE) == "Sam3pm.exe bell [31mred[0m iso mark arabic"
    assert clean_text("a\tb\nc\r\nd\u2028e") == "a b c  d e"
    kept = "Zoë — 平静 سلام שלום 👩‍👩‍👧 ZWNJ:\u200c"
    assert clean_text(kept) == kept


@pytest.mark.parametrize("fmt", ["mp3", "wav", "flac", "ogg"])
def test_no_tag_value_carries_a_control_or_bidi_character(tmp_path, fmt):
    path = tmp_path / f"t.{fmt}"
    sf.write(str(path), np.zeros((RATE, 2), np.float32), RATE, format=fmt.upper()) if fmt != "mp3" else _silent_mp3(path)
    info = TagInfo(
        title=f"Calm for {HOSTILE}",
        artist=HOSTILE,
        album=HOSTILE,
        comment=HOSTILE,
        params={"voice": HOSTILE, HOSTILE: [HOSTILE]},
        chapters=((HOSTILE, 0.0, 0.5), ("Second", 0.5, 1.0)),
    )
    write_tags(path, fmt, info)
    got = read_tags(path, fmt)
    texts = (
        [got[k] for k in ("title", "artist", "album", "comment")]
        + [t for t, _, _ in got["chapters"]]
        + [json.dumps(got["params"], ensure_ascii=False)]
    )
    for text in texts:
        assert clean_text(text) == text and "\x1b" not in text and "\u202e" not in text, text
    assert got["title"] == "Calm for " + clean_text(HOSTILE)


def _silent_mp3(path: Path) -> None:
    writer = Mp3Writer(path, RATE, 192)
    writer.write(np.zeros((RATE, 2), np.float32))
    writer.close()


def test_tag_names_keeps_the_name_and_drops_the_controls(tmp_path, monkeypatch):
    """Through the delivery, as --tag-names does it: the title tag and the chapter titles."""
    from sessiongen.output.packaging import Packaging

    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "cache"))  # other tests count their phrases

    script = pipeline.load(str(_script(tmp_path, "# Arriving \u202eback\n\nHello there.\n\n[pause 6s]\n\nWelcome back.\n")))
    settings = Settings(engine="fake")
    with pipeline.cache_root(True) as root:
        p = pipeline.prepare(script, {}, settings, root)
    out = tmp_path / "n.mp3"
    pipeline.deliver(p, {"name": HOSTILE}, settings, out, Packaging(tag_names=True, sidecars=()))
    got = read_tags(out, "mp3")
    assert got["title"] == "Test Session for " + clean_text(HOSTILE)
    assert all(clean_text(title) == title for title, _, _ in got["chapters"]) and any("Arriving back" in t for t, _, _ in got["chapters"])


# --- 5. a remembered voice must fit -------------------------------------------------------------


def _poison(root: Path, entry) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / VOICES_FILE).write_text(json.dumps({"fake:1||en": entry}), encoding="utf-8")


@pytest.mark.parametrize(
    "entry",
    [
        "otro/castellano",  # the old format, or a hand edit: not trusted
        {"voice": "otro/castellano", "languages": ["es"]},  # remembered as another language
        {"voice": "otro/castellano", "languages": ["en"]},  # lying about its language: the engine says otherwise
        {"voice": "no/such-voice", "languages": ["en"]},  # not one of the engine's voices
    ],
)
def test_a_remembered_voice_that_does_not_fit_is_ignored_and_resolved_again(tmp_path, monkeypatch, fake_engine, entry):
    root = tmp_path / "cache"
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(root))
    _poison(root, entry)
    out = tmp_path / "v.wav"
    result = CliRunner().invoke(cli, ["render", str(_script(tmp_path)), "-o", str(out), "--json", "--sidecars", "none", *FAKE])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parameters"]["voice"] == "fake/en"
    assert json.loads((root / VOICES_FILE).read_text())["fake:1||en"] == {"voice": "fake/en", "languages": ["en"]}


def test_a_remembered_voice_that_fits_still_spares_the_engine(tmp_path):
    cache = PhraseCache(tmp_path, RATE)
    cache.remember_voice("fake:1", "|en", "fake/en", ("en",))
    assert cache.resolved_voice("fake:1", "|en", "en-gb") == "fake/en"
    assert cache.resolved_voice("fake:1", "|en", "es") is None


def test_lone_surrogates_are_removed_from_tags_like_control_characters(tmp_path):
    """An undecodable byte of an argument (a lone surrogate) reaching a tag through the library."""
    assert clean_text("Dr\udcff Zoë\x07") == "Dr Zoë"
    path = tmp_path / "t.wav"
    sf.write(path, np.zeros((4410, 2), dtype=np.float32), 44100)
    write_tags(path, "wav", TagInfo(title="T", artist="caf\udce9", album="A\udcff"))
    assert read_tags(path, "wav")["artist"] == "caf"
