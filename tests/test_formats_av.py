"""M4B/M4A and Opus (issue 29, items 3-5): written through PyAV, read back by two readers that
share no code with the writer's tagging: mutagen, and ffmpeg's demuxers and decoders (PyAV's;
ffprobe too when one is on the PATH). Gapless against the WAV render of the same session."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess

import av
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from helpers import script_text
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from sessiongen.cli import cli
from sessiongen.output import formats, tags

RATE = 44100
ONE_MS = RATE // 1000
BODY = (
    "# Arriving\nWelcome. Let yourself settle, in your own time.\n[pause 3s]\n[bell]\n"
    "# Noticing\nYou might notice your feet on the floor.\n[bls 4s rate=1.0]\nRest here.\n[pause 2s]\nThank you.\n"
)
FFPROBE = shutil.which("ffprobe")


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    script = folder / "formats.md"
    script.write_text(script_text(BODY, id="formats", duration="30s"), encoding="utf-8")
    done = {}

    def run(name: str, *extra: str):
        if name not in done:
            out = folder / name
            args = [
                "render",
                str(script),
                "-o",
                str(out),
                "--engine",
                "fake",
                "--sidecars",
                "none",
                "--ambience",
                "none",
                "--artist",
                "Dr Rowan Ash",
                "--album",
                "Evening practices",
                *extra,
            ]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
            done[name] = out
        return done[name]

    return run


def wav_of(render, mono: bool = False):
    path = render("mono.wav" if mono else "stereo.wav", *(["--mono"] if mono else []))
    return sf.read(str(path), dtype="float32", always_2d=True)[0], tags.read_tags(path, "wav")


def decode(path, rate_hz: int | None = None) -> np.ndarray:
    """Every sample ffmpeg's decoder gives (PyAV), as (frames, channels) float32, resampled if asked."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=rate_hz or stream.rate)
        blocks = [r.to_ndarray() for f in container.decode(stream) for r in resampler.resample(f)]
        blocks += [r.to_ndarray() for r in resampler.resample(None)]
    return np.concatenate(blocks, axis=1).T


def onset(samples: np.ndarray, threshold: float = 0.02) -> int:
    """The first frame where the session is louder than `threshold` (the lead-in is silent)."""
    return int(np.flatnonzero(np.abs(samples).max(axis=1) > threshold)[0])


def atoms(data: bytes, start: int = 0, end: int | None = None, path: str = ""):
    """(path, offset, size) of every MP4 box in the containers we look into."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        name = f"{path}/{kind.decode('latin-1')}"
        yield name, start, size
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"tref", b"edts", b"udta"):
            yield from atoms(data, start + 8, start + size, name)
        start += max(size, 8)


@pytest.mark.parametrize("fmt", ["m4b", "m4a"])
def test_mp4_tags_and_chapters_read_by_mutagen(render, fmt):
    path = render(f"session.{fmt}")
    _, wav_tags = wav_of(render)
    got = tags.read_tags(path, fmt)
    assert (got["title"], got["artist"], got["album"]) == (wav_tags["title"], "Dr Rowan Ash", "Evening practices")
    assert got["has_cover"] and got["cover"] == wav_tags["cover"] and got["cover_mime"] == "image/png"
    assert got["params"] == wav_tags["params"] and got["params"]["script"]
    assert [c[0] for c in got["chapters"]] == ["Arriving", "Noticing"]
    for (_title, start_s, end_s), (_, wav_start_s, wav_end_s) in zip(got["chapters"], wav_tags["chapters"]):
        assert abs(start_s - wav_start_s) <= 0.001 and abs(end_s - wav_end_s) <= 0.001
    assert got["stik"] == (2 if fmt == "m4b" else None)
    audio = MP4(path)
    assert audio.info.codec == "mp4a.40.2" and audio.info.channels == 2 and audio.info.sample_rate == RATE  # AAC-LC


def test_m4b_has_the_chapter_track_apple_reads(render):
    """A text track that the audio track names in a 'chap' reference (QuickTime chapters)."""
    data = render("session.m4b").read_bytes()
    boxes = list(atoms(data))
    assert sum(name == "/moov/trak" for name, _, _ in boxes) == 2
    tref = next(offset for name, offset, _ in boxes if name == "/moov/trak/tref/chap")
    chapter_track_id = struct.unpack(">I", data[tref + 8 : tref + 12])[0]
    handlers = [data[offset + 16 : offset + 20] for name, offset, _ in boxes if name == "/moov/trak/mdia/hdlr"]
    assert handlers == [b"soun", b"text"] and chapter_track_id == 2
    assert any(name == "/moov/udta/chpl" for name, _, _ in boxes)  # and Nero chapters for ffmpeg-based players


def test_m4b_read_by_ffmpegs_demuxer(render):
    path = render("session.m4b")
    samples, wav_tags = wav_of(render)
    with av.open(str(path)) as container:
        chapters = container.chapters()
        meta = container.metadata
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac" and stream.codec_context.profile == "LC"
        assert stream.duration * stream.time_base == pytest.approx(len(samples) / RATE, abs=1e-9)  # the edit list, to the sample
    assert [c["metadata"]["title"] for c in chapters] == ["Arriving", "Noticing"]
    for chapter, (_, start_s, _) in zip(chapters, wav_tags["chapters"]):
        assert abs(float(chapter["start"] * chapter["time_base"]) - start_s) <= 0.001
    assert (meta["title"], meta["artist"], meta["album"]) == (wav_tags["title"], "Dr Rowan Ash", "Evening practices")
    assert json.loads(meta["sessiongen"]) == wav_tags["params"]


@pytest.mark.parametrize("mono", [False, True])
def test_m4a_is_gapless(render, mono):
    """iTunSMPB and the edit list state the priming (the encoder's 1024 samples and a lead of
    silence that fills the last AAC frame) and the exact length, with no padding: ffmpeg's decoder
    skips the priming the edit list states but would keep a last frame's padding, so there is
    none, and what it decodes is the WAV's samples, no more, aligned to within 1 ms."""
    path = render(f"{'mono' if mono else 'stereo'}.m4a", *(["--mono"] if mono else []))
    samples, _ = wav_of(render, mono)
    delay, padding, length = tags.read_tags(path, "m4a")["gapless"]
    assert length == len(samples) and padding == 0 and 1024 <= delay < 2048 and (delay + length) % 1024 == 0
    decoded = decode(path)
    assert decoded.shape[1] == (1 if mono else 2)
    assert len(decoded) == len(samples)  # ffmpeg's decoder: exactly the session, nothing after it
    assert abs(onset(decoded) - onset(samples)) <= ONE_MS
    error = decoded - samples
    assert 10 * np.log10(np.mean(samples**2) / np.mean(error**2)) > 15  # the same audio, sample-aligned (AAC at 64 kbps a channel)


@pytest.mark.parametrize("frames", [1024, 1025, 2047, 2048, 2049, 3000, 44_100 * 2 + 777])
def test_any_length_of_m4a_decodes_to_itself(tmp_path, frames):
    """The lead fills the last frame for every length from one AAC frame on, whole frames among them."""
    from sessiongen.output import formats

    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(frames) / RATE)).astype(np.float32)[:, None].repeat(2, 1)
    path = tmp_path / "t.m4a"
    writer = formats.open_writer(path, "m4a", RATE, length_frames=frames)
    writer.write(tone)
    writer.close()
    decoded = decode(path)
    assert len(decoded) == frames
    if frames > 4096:
        assert 10 * np.log10(np.mean(tone**2) / np.mean((decoded - tone) ** 2)) > 15


def test_opus_is_gapless_and_tagged(render):
    path = render("session.opus")
    samples, wav_tags = wav_of(render)
    data = path.read_bytes()
    head = data.index(b"OpusHead")
    pre_skip = struct.unpack("<H", data[head + 10 : head + 12])[0]
    assert pre_skip > 0  # libopus's delay, recorded
    audio = OggOpus(path)
    assert abs(audio.info.length - len(samples) / RATE) <= 0.001  # mutagen: last granule less the pre-skip
    decoded = decode(path)  # ffmpeg: the pre-skip dropped, the end trimmed by the last granule
    assert abs(len(decoded) / 48000 - len(samples) / RATE) <= 0.001
    at_44k = decode(path, RATE)
    assert abs(onset(at_44k) - onset(samples)) <= ONE_MS
    got = tags.read_tags(path, "opus")
    assert (got["title"], got["artist"], got["album"]) == (wav_tags["title"], "Dr Rowan Ash", "Evening practices")
    assert got["has_cover"] and got["params"] == wav_tags["params"]
    assert audio.tags["CHAPTER001NAME"] == ["Arriving"] and audio.tags["CHAPTER002NAME"] == ["Noticing"]
    with av.open(str(path)) as container:  # ffmpeg reads the CHAPTERxxx comments as chapters
        assert [c["metadata"]["title"] for c in container.chapters()] == ["Arriving", "Noticing"]
        assert container.streams.audio[0].codec_context.name in ("opus", "libopus")


@pytest.mark.skipif(FFPROBE is None, reason="no ffprobe on the PATH (apt-get install ffmpeg)")
@pytest.mark.parametrize("fmt", ["m4b", "opus"])
def test_ffprobe_reads_chapters_duration_and_tags(render, fmt):
    path = render(f"session.{fmt}")
    samples, wav_tags = wav_of(render)
    shown = json.loads(
        subprocess.run(
            [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "-show_chapters", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert [c["tags"]["title"] for c in shown["chapters"]] == ["Arriving", "Noticing"]
    # ffprobe's Ogg duration is the last granule position, the pre-skip not taken off (Debian's 5.1)
    data = path.read_bytes()
    pre_skip_s = struct.unpack("<H", data[data.index(b"OpusHead") + 10 :][:2])[0] / 48000 if fmt == "opus" else 0.0
    assert abs(float(shown["format"]["duration"]) - pre_skip_s - len(samples) / RATE) <= 0.001
    found = {**shown["streams"][0].get("tags", {}), **shown["format"].get("tags", {})}  # Ogg's comments are the stream's
    assert {k.lower(): v for k, v in found.items()}["title"] == wav_tags["title"]
    # and Debian's ffmpeg decodes it to the WAV's length: Opus's pre-skip dropped and its end trimmed
    # by the granule; M4B's priming dropped by the edit list, and no padding after the last sample
    out_rate = 48000 if fmt == "opus" else RATE
    pcm = subprocess.run(
        [shutil.which("ffmpeg"), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-"], capture_output=True, check=True
    ).stdout
    assert abs(len(pcm) / 2 / out_rate - len(samples) / RATE) <= 0.001
    if fmt == "m4b":
        assert len(pcm) // 2 == len(samples)  # to the sample


@pytest.mark.parametrize("fmt", ["m4b", "opus"])
def test_tagging_again_replaces_the_tag_and_keeps_the_audio(render, tmp_path, fmt):
    path = tmp_path / f"again.{fmt}"
    path.write_bytes(render(f"session.{fmt}").read_bytes())
    before = decode(path)
    tags.write_tags(path, fmt, tags.TagInfo(title="Second", chapters=(("Only", 0.0, 1.0),)))
    got = tags.read_tags(path, fmt)
    assert (got["title"], got["artist"], got["has_cover"], got["params"], [c[0] for c in got["chapters"]]) == (
        "Second",
        "",
        False,
        {},
        ["Only"],
    )
    assert np.array_equal(decode(path), before)


def test_the_registry_has_one_entry_per_format_and_a_purpose_each():
    assert {"mp3", "m4b", "m4a", "opus", "wav", "flac", "ogg"} == set(formats.FORMATS)
    assert all(f.purpose and f.mime.startswith("audio/") for f in formats.FORMATS.values())


def test_the_review_page_tells_the_browser_the_type(render):
    path = render("review.m4b", "--report")
    page = path.with_suffix(".html").read_text(encoding="utf-8")
    assert 'src="review.m4b"' in page and 'data-type="audio/mp4"' in page and 'id="cannot-play" hidden' in page


def test_batch_takes_format(tmp_path):
    (tmp_path / "short.md").write_text(
        script_text("# One\nHello there. [pause 2s]\nGoodbye for now.\n", id="short", duration="20s"), encoding="utf-8"
    )
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\nc1,short.md\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(roster),
            "-o",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--engine",
            "fake",
            "--format",
            "opus",
            "--no-report",
            "--date",
            "2026-01-02",
        ],
    )
    assert result.exit_code == 0, result.output
    made = sorted(p.suffix for p in (tmp_path / "out").rglob("*") if p.suffix in (".opus", ".mp3"))
    assert made == [".opus"]


@pytest.mark.parametrize("fmt", ["m4b", "opus"])
def test_the_review_page_plays_it_in_chromium(browser, render, fmt):
    """Where the browser can play the format, the page's player loads it at its full length;
    where it cannot, the page says so and links the file (Debian's Chromium plays both)."""
    path = render(f"browser.{fmt}", "--report")
    samples, _ = wav_of(render)
    page = browser.new_page()
    page.goto(path.with_suffix(".html").as_uri())
    playable = page.evaluate("(t) => document.getElementById('player').canPlayType(t)", formats.FORMATS[fmt].mime)
    if playable:
        page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=15_000)
        assert page.evaluate("document.getElementById('player').duration") == pytest.approx(len(samples) / RATE, abs=0.05)
        assert page.is_hidden("#cannot-play")
    else:
        assert page.is_visible("#cannot-play")
    print(f"chromium canPlayType({formats.FORMATS[fmt].mime!r}) = {playable!r}")
    page.close()


def test_the_studio_offers_and_serves_the_new_formats(tmp_path):
    import mimetypes

    import sessiongen.studio.routes_renders  # noqa: F401 - registers the audio types it serves
    from sessiongen.studio import forms

    assert forms.compose_form({"technique_1": "box-breathing", "format": "m4b"}, tmp_path, "fake").fmt == "m4b"
    assert mimetypes.guess_type("x.m4b")[0] == "audio/mp4" and mimetypes.guess_type("x.opus")[0] == "audio/ogg"


@pytest.mark.e2e
def test_polly_ssml_spoken_by_piper_into_an_m4b(tmp_path):
    """End to end with the real neural voice: the Polly-style SSML, as it is, to an audiobook whose
    chapters, pauses and length are the plan's."""
    from pathlib import Path

    source = Path(__file__).parent / "data" / "imports" / "polly-settling.ssml"
    out = tmp_path / "settling.m4b"
    plan = CliRunner().invoke(cli, ["plan", str(source), "--json", "--engine", "piper", "--ambience", "none"])
    assert plan.exit_code == 0, plan.output
    timeline = json.loads(plan.stdout)
    result = CliRunner().invoke(
        cli, ["render", str(source), "-o", str(out), "--engine", "piper", "--ambience", "none", "--sidecars", "none"]
    )
    assert result.exit_code == 0, result.output
    assert "read as ssml" in result.stderr
    assert [e["duration_s"] for e in timeline["events"] if e["kind"] == "pause" and "text" not in e] == [3.0, 30.0, 60.0, 1.5, 1.5]
    got = tags.read_tags(out, "m4b")
    assert [c[0] for c in got["chapters"]] == ["Arriving", "Resting"]
    assert abs(got["gapless"][2] / RATE - timeline["duration_s"]) <= 0.001
    decoded = decode(out)[: got["gapless"][2]]
    speech = [e for e in timeline["events"] if e["kind"] == "speech"]
    assert abs(onset(decoded) / RATE - speech[0]["start_s"]) < 0.25  # the voice starts where the plan says
    long_pause = next(e for e in timeline["events"] if e["kind"] == "pause" and e["duration_s"] == 60.0)
    quiet = decoded[int((long_pause["start_s"] + 1) * RATE) : int((long_pause["start_s"] + 59) * RATE)]
    assert np.abs(quiet).max() < 0.01  # the chained breaks are a minute of silence
