"""Mastering and delivery, measured independently: ffmpeg's ebur128 for loudness and true peak,
mutagen for tags and chapters, and the transcripts parsed back against the timeline."""

from __future__ import annotations

import json
import re
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from helpers import script_text
from mutagen.id3 import ID3

from sessiongen.cli import cli
from sessiongen.output.manifest import DISCLAIMER

FAKE = ["--engine", "fake"]
BODY = (
    "# Arriving\nWelcome{% if name %}, {{ name }}{% endif %}. Let yourself settle, in your own time.\n[pause 6s]\n"
    "[bls 8s rate=1.0]\n# Middle\nYou might notice your feet on the floor. [pause 3s]\n[bell]\n"
    "[breathe in=4 out=6 rounds=3]\n[ambience rain]\nRest here, with the rain.\n[pause 10s..30s]\n"
    "# Returning\nWhen you are ready, open your eyes. Thank you.\n"
)


def ebur128(path, extra=()):
    """ffmpeg's own measurement: integrated loudness, true peak, and every momentary value."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    momentary = [float(m) for m in re.findall(r" M:\s*(-?[\d.]+)", result.stderr[: result.stderr.rindex("Summary:")])]
    return {
        "I": float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1)),
        "TP": float(re.search(r"Peak:\s*(-?[\d.]+) dBFS", summary).group(1)),
        "M": momentary,
    }


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("delivery") / "calm-test.md"
    path.write_text(script_text(BODY, id="calm-test", duration="90s", extra='variables:\n  name: ""\n'), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """The script without its bell and breathing (their sounds are not the voice)."""
    path = tmp_path_factory.mktemp("delivery") / "spoken.md"
    body = BODY.replace("[bell]\n", "").replace("[breathe in=4 out=6 rounds=3]\n", "")
    path.write_text(script_text(body, id="spoken", duration="80s", extra='variables:\n  name: ""\n'), encoding="utf-8")
    return path


def render(script, out, *extra):
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--json", *FAKE, *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "name, extra, target",
    [
        ("a.mp3", ["--bitrate", "128"], -16.0),
        ("b.mp3", [], -16.0),
        ("c.mp3", ["--bitrate", "256"], -16.0),
        ("d.wav", [], -16.0),
        ("e.wav", ["--bit-depth", "24"], -16.0),
        ("f.flac", [], -16.0),
        ("g.ogg", [], -16.0),
        ("h.mp3", ["--mono"], -19.0),
        ("i.mp3", ["--loudness", "-18"], -18.0),
    ],
)
def test_the_voice_lands_on_the_target_measured_by_ffmpeg(script, spoken, tmp_path, name, extra, target):
    """The voice is the anchor. A script that only speaks, rendered without bed and tones, holds
    the voice alone: its integrated loudness is the voice's speech-gated loudness. With or without
    its bed the gain is the same, since the gain follows the voice only."""
    render(spoken, tmp_path / f"voice-{name}", *extra, "--ambience", "none", "--no-bls")
    assert ebur128(tmp_path / f"voice-{name}")["I"] == pytest.approx(target, abs=0.5)
    with_bed, without = (
        render(spoken, tmp_path / f"{bed}-{name}", *extra, "--ambience", bed, "--sidecars", "none") for bed in ("rain", "none")
    )
    assert with_bed["loudness"]["gain_db"] == pytest.approx(without["loudness"]["gain_db"], abs=0.01)
    manifest = render(script, tmp_path / name, *extra)
    assert manifest["loudness"]["voice_lufs"] == pytest.approx(target, abs=0.01)
    measured = ebur128(tmp_path / name)
    assert measured["TP"] <= -1.0
    assert manifest["loudness"]["integrated_lufs"] == pytest.approx(measured["I"], abs=0.3)
    # startle safety: no 400 ms moment more than 6 LU above the voice
    assert max(measured["M"]) <= target + 6.0


@pytest.mark.parametrize("name, extra, target", [("p.mp3", [], -16.0), ("q.wav", ["--mono"], -19.0)])
def test_programme_mode_lands_the_whole_mix_on_the_target(script, tmp_path, name, extra, target):
    manifest = render(script, tmp_path / name, "--loudness-mode", "programme", *extra)
    measured = ebur128(tmp_path / name)
    assert manifest["loudness"]["mode"] == "programme"
    assert measured["I"] == pytest.approx(target, abs=0.5) and measured["TP"] <= -1.0
    assert manifest["loudness"]["integrated_lufs"] == pytest.approx(measured["I"], abs=0.3)


def test_formats_and_bit_depths_are_what_was_asked(script, tmp_path):
    render(script, tmp_path / "x.wav", "--bit-depth", "24")
    assert sf.info(str(tmp_path / "x.wav")).subtype == "PCM_24"
    render(script, tmp_path / "x.flac")
    assert sf.info(str(tmp_path / "x.flac")).format == "FLAC"
    render(script, tmp_path / "x.audio", "--format", "ogg")
    assert sf.info(str(tmp_path / "x.audio")).format == "OGG"
    for kbps in (128, 256):
        render(script, tmp_path / f"k{kbps}.mp3", "--bitrate", str(kbps))
        data = (tmp_path / f"k{kbps}.mp3").read_bytes()
        tag_size = 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(data[6:10]))  # ID3 sizes are syncsafe
        assert data[tag_size] == 0xFF and data[tag_size + 1] & 0xE0 == 0xE0  # an MPEG frame follows the tag
        assert data[tag_size + 2] >> 4 == {128: 9, 256: 13}[kbps]  # MPEG-1 layer III bitrate index (9: 128, 13: 256 kbps)


def test_mp3_tags_chapters_and_parameters(script, tmp_path):
    out = tmp_path / "tagged.mp3"
    manifest = render(script, out, "--var", "name=Robin", "--artist", "Calm Practice", "--album", "Evening")
    tags = ID3(out)
    assert tags.version == (2, 3, 0)
    assert tags["TIT2"].text == ["Test Session"] and tags["TIT2"].encoding == 1  # UTF-16
    assert tags["TPE1"].text == ["Calm Practice"] and tags["TALB"].text == ["Evening"]
    assert DISCLAIMER in tags.getall("COMM")[0].text[0]
    assert tags.getall("APIC")[0].data.startswith(b"\x89PNG")
    params = json.loads(tags.getall("TXXX")[0].text[0])
    assert params["script"] == "calm-test" and params["variables"] == ["name"]
    assert "Robin" not in json.dumps(params) and "Robin" not in str(tags)  # names stay out without --tag-names
    toc = tags.getall("CTOC")[0]
    chapters = [tags[f"CHAP:{element}"] for element in toc.child_element_ids]
    assert [c.sub_frames["TIT2"].text[0] for c in chapters] == ["Arriving", "Middle", "Returning"]
    planned = [round(c["start_s"] * 1000) for c in manifest["chapters"]]
    assert [c.start_time for c in chapters] == planned
    assert chapters[-1].end_time == pytest.approx(manifest["output"]["duration_s"] * 1000, abs=1)


def test_tag_names_puts_the_name_in_the_title(script, tmp_path):
    out = tmp_path / "named.mp3"
    render(script, out, "--var", "name=Robin", "--tag-names")
    assert ID3(out)["TIT2"].text == ["Test Session for Robin"]


def test_transcript_cues_follow_the_timeline(script, tmp_path):
    out = tmp_path / "t.mp3"
    render(script, out, "--sidecars", "all")
    plan = json.loads(CliRunner().invoke(cli, ["plan", str(script), "--json", *FAKE]).stdout)
    vtt = (tmp_path / "t.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    stamp = r"(\d\d):(\d\d):(\d\d)\.(\d{3})"
    cues = []
    for match in re.finditer(stamp + " --> " + stamp + r"\n(.+?)(?:\n\n|\Z)", vtt, re.S):
        g = [int(x) for x in match.groups()[:8]]
        cues.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000, match.group(9).strip()))
    starts = [c[0] for c in cues]
    assert starts == sorted(starts)
    spoken = {c[2].replace("\n", " "): (c[0], c[1]) for c in cues}
    for event in (e for e in plan["events"] if e["kind"] == "speech"):
        assert spoken[event["text"]][0] == pytest.approx(event["start_s"], abs=0.001)
    text = " ".join(c[2] for c in cues)
    for description in ("[bilateral tones, 8 seconds]", "[bell]", "[paced breathing", "[ambience: steady rain]", "[silence, 6 seconds]"):
        assert description in text
    assert all(len(line) <= 70 for c in cues for line in c[2].split("\n"))
    for suffix in (".srt", ".lrc", ".chapters.json", ".manifest.json"):
        assert (tmp_path / f"t{suffix}").is_file()
    chapters = json.loads((tmp_path / "t.chapters.json").read_text())
    assert [c["title"] for c in chapters["chapters"]] == ["Arriving", "Middle", "Returning"]


def test_manifest_records_inputs_and_changes_with_them(script, tmp_path):
    first = render(script, tmp_path / "m1.mp3", "--var", "name=Robin")
    again = render(script, tmp_path / "m2.mp3", "--var", "name=Robin")
    other = render(script, tmp_path / "m3.mp3", "--var", "name=Sam")
    seeded = render(script, tmp_path / "m4.mp3", "--var", "name=Robin", "--seed", "9")
    assert first["inputs"]["sha256"] == again["inputs"]["sha256"]
    assert len({first["inputs"]["sha256"], other["inputs"]["sha256"], seeded["inputs"]["sha256"]}) == 3
    on_disk = json.loads((tmp_path / "m1.manifest.json").read_text())
    assert on_disk["inputs"] == first["inputs"] and on_disk["parameters"]["seed"] == 0
    assert "Robin" not in json.dumps(on_disk)


def test_same_inputs_give_identical_audio(script, tmp_path):
    render(script, tmp_path / "d1.wav")
    render(script, tmp_path / "d2.wav")
    assert np.array_equal(sf.read(str(tmp_path / "d1.wav"))[0], sf.read(str(tmp_path / "d2.wav"))[0])


def test_beds_fade_in_over_at_least_two_seconds(script, tmp_path):
    render(script, tmp_path / "f.wav", "--stems", str(tmp_path / "stems"))
    bed = sf.read(str(tmp_path / "stems" / "ambience.wav"), dtype="float32")[0][:, 0]
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    quarter_s = 44_100 // 4
    first = [rms(bed[i * quarter_s : (i + 1) * quarter_s]) for i in range(8)]
    assert first[0] < 0.3 * first[7] and first[3] < first[7]  # still rising after a second


def test_bad_cover_is_a_clear_error_and_leaves_nothing(script, tmp_path):
    bad = tmp_path / "cover.gif"
    bad.write_bytes(b"GIF89a....")
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(tmp_path / "c.mp3"), "--cover", str(bad), *FAKE])
    assert result.exit_code == 1 and "not a JPEG or PNG" in result.output
    assert not any(tmp_path.glob("c.*"))


def test_the_manifest_lists_tone_sets_as_objects(tmp_path):
    script = tmp_path / "s.md"
    script.write_text(
        script_text("Hello.\n[bls 4s rate=1.2 tone=chime depth=80]\n[bls on rate=0.8]\nStay.\n[bls off]\n", duration="20s"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(tmp_path / "s.wav"), "--engine", "fake", "--json"])
    assert result.exit_code == 0, result.output
    tones = json.loads(result.stdout)["parameters"]["tones"]
    assert {
        "rate_hz": 1.2,
        "timbre": "chime",
        "depth_pct": 80.0,
        "pitch_hz": 250.0,
        "style": "alternate",
        "jitter_pct": 0.0,
        "level_db": None,
    } in tones
    assert sorted(t["rate_hz"] for t in tones) == [0.8, 1.2]


# --- dither (issue 15, item 6) ---------------------------------------------------------------------

LSB = 1 / 32768
QUIET_BODY = "# One\nWelcome. Let yourself settle.\n[pause 6s]\n# Two\nYou might notice your feet on the floor.\n[pause 3s]\nThank you.\n"


def quiet_runs(samples: np.ndarray, level: int, min_frames: int) -> np.ndarray:
    """A mask of the interior stretches (not the first or last second) where every sample is within
    +-level, in runs of at least min_frames, less 50 ms at either end (where a phrase dies away)."""
    quiet = np.all(np.abs(samples.astype(np.int64)) <= level, axis=1)
    quiet[:44_100] = quiet[-44_100:] = False
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    mask = np.zeros_like(quiet)
    for start, end in zip(edges[::2], edges[1::2]):
        if end - start >= min_frames:
            mask[start + 2205 : end - 2205] = True
    return mask


def test_tpdf_dither_level_edges_and_linearity():
    from sessiongen.output.encode import DITHER_EDGE_S, Dither16

    rate = 44_100
    dither = Dither16(rate, 2)
    silence = np.zeros((3 * rate, 2), np.float32)
    out = np.concatenate([dither.process(silence[: rate // 3]), dither.process(silence[rate // 3 :]), dither.finish()])
    assert out.dtype == np.int16 and len(out) == len(silence)
    middle = out[rate // 2 : -rate // 2].astype(float)
    assert set(np.unique(middle)) == {-1.0, 0.0, 1.0}
    # TPDF of +-1 LSB has an RMS of 1/sqrt(6) LSB; with the rounding it adds, 1/2 LSB: -96.3 dBFS
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5, rel=0.03)
    assert abs(middle.mean()) < 0.01 and np.mean(middle != 0) == pytest.approx(0.25, abs=0.01)
    edge = int(DITHER_EDGE_S * rate) // 2  # below half an LSB of dither: digital silence
    assert not out[:edge].any() and not out[-edge:].any()
    # dither makes the quantiser linear: a steady 0.3 LSB survives on average instead of rounding to 0
    steady = Dither16(rate, 1).process(np.full((rate, 1), 0.3 * LSB, np.float32))
    assert steady[rate // 10 :].mean() == pytest.approx(0.3, abs=0.02)


def test_the_mp3_encoder_gets_dithered_samples_and_float_paths_none(tmp_path):
    from sessiongen.output.encode import Mp3Writer, SoundfileWriter

    writer = Mp3Writer(tmp_path / "x.mp3", 44_100, 192, 2)
    prepared = writer.prepare(np.zeros((44_100, 2), np.float32))
    writer.close()
    assert prepared.dtype == np.int16 and np.mean(prepared[4410:] != 0) == pytest.approx(0.25, abs=0.02)
    for subtype in ("PCM_24", "FLOAT"):
        stem = SoundfileWriter(tmp_path / f"{subtype}.wav", 44_100, "wav", subtype)
        block = np.zeros((1000, 2), np.float32)
        assert stem.prepare(block) is block
        stem.close()


@pytest.fixture(scope="module")
def quiet_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("dither") / "quiet.md"
    path.write_text(script_text(QUIET_BODY, id="quiet", duration="30s"), encoding="utf-8")
    return path


def test_16_bit_output_is_dithered_in_silence_and_24_bit_is_not(quiet_script, tmp_path):
    """No bed and no tones: the pauses are digital silence in the mix. At 16 bits (WAV and FLAC) they
    carry the dither, 0.5 LSB RMS; at 24 bits they stay exactly zero. Every file starts and ends on
    an exact zero, in digital silence."""
    quiet = ["--ambience", "none", "--no-bls"]
    for name, extra in (("q16.wav", []), ("q16.flac", []), ("q24.wav", ["--bit-depth", "24"])):
        render(quiet_script, tmp_path / name, *quiet, *extra)
    pcm16 = {name: sf.read(str(tmp_path / name), dtype="int16", always_2d=True)[0] for name in ("q16.wav", "q16.flac")}
    pcm24 = sf.read(str(tmp_path / "q24.wav"), dtype="int32", always_2d=True)[0] >> 8
    pauses = quiet_runs(pcm16["q16.wav"], 1, 44_100)
    assert pauses.sum() > 5 * 44_100  # the two pauses, at least
    for name, pcm in pcm16.items():
        noise = pcm[pauses].astype(float)
        assert np.sqrt(np.mean(noise**2)) == pytest.approx(0.5, rel=0.05), name  # -96.3 dBFS
        assert np.array_equal(pcm[[0, -1]], np.zeros((2, pcm.shape[1]))), name
        assert not pcm[:200].any() and not pcm[-200:].any(), name
    assert not pcm24[pauses].any()  # undithered: the silence is exact
    assert not pcm24[[0, -1]].any()


def test_a_16_bit_render_is_reproducible_byte_for_byte(quiet_script, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        render(quiet_script, tmp_path / folder / "same.wav")
        render(quiet_script, tmp_path / folder / "same.mp3")
    assert (tmp_path / "a" / "same.wav").read_bytes() == (tmp_path / "b" / "same.wav").read_bytes()
    assert (tmp_path / "a" / "same.mp3").read_bytes() == (tmp_path / "b" / "same.mp3").read_bytes()
