"""End to end with the real voices (the default neural voice, and pyttsx3's espeak-ng): render an
MP3, decode it back and measure it."""

from __future__ import annotations

import json
import subprocess
import sys

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import envelope
from helpers import script_text

from sessiongen.cli import cli

pytestmark = pytest.mark.e2e
RATE = 44_100
MP3_SLACK_S = 0.08  # encoder delay and padding of an MP3 without a gapless header


def ffmpeg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", *args], capture_output=True, text=True, timeout=300)


def integrated_lufs(path) -> float:
    out = ffmpeg("-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-").stderr
    summary = out[out.rindex("Summary:") :]
    return float(summary.split("I:")[1].split("LUFS")[0])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    script = folder / "short.md"
    script.write_text(
        script_text(
            "# Arriving\nWelcome{% if name %}, {{ name }}{% endif %}. Let yourself settle, in your own time.\n"
            "[pause 3s]\n[bls 8s rate=1.0]\n# Noticing\nYou might notice your feet on the floor.\n[pause 2s]\nThank you for taking this time.\n",
            duration="40s",
            extra='variables:\n  name: ""\n',
        ),
        encoding="utf-8",
    )
    out = folder / "short.mp3"
    runner = CliRunner()
    estimated = runner.invoke(cli, ["plan", str(script), "--json", "--var", "name=Alex", "--no-cache"])
    assert estimated.exit_code == 0, estimated.output
    result = runner.invoke(cli, ["render", str(script), "-o", str(out), "--var", "name=Alex"])
    assert result.exit_code == 0, result.output
    plan = runner.invoke(cli, ["plan", str(script), "--json", "--var", "name=Alex"])  # every phrase now in the cache: exact
    audio, rate = sf.read(str(out), dtype="float32")
    return {
        "path": out,
        "script": script,
        "plan": json.loads(plan.stdout),
        "estimated": json.loads(estimated.stdout),
        "audio": audio,
        "rate": rate,
    }


def test_mp3_decodes_without_errors(rendered):
    result = ffmpeg("-v", "error", "-i", str(rendered["path"]), "-f", "null", "-")
    assert result.returncode == 0 and result.stderr.strip() == ""
    info = sf.info(str(rendered["path"]))
    assert info.samplerate == RATE and info.channels == 2


def test_length_equals_the_plan(rendered):
    assert rendered["plan"]["estimated_phrases"] == 0
    assert len(rendered["audio"]) / RATE == pytest.approx(rendered["plan"]["duration_s"], abs=MP3_SLACK_S)


def test_a_plan_before_the_render_estimates_its_length_within_3_percent(rendered):
    """Kokoro (the default) does not speak for a plan: the phrases' lengths are estimated (4 here)."""
    assert rendered["estimated"]["estimated_phrases"] == 4
    assert rendered["estimated"]["duration_s"] == pytest.approx(len(rendered["audio"]) / RATE, rel=0.03)


def test_speech_is_audible_in_both_channels(rendered):
    audio = rendered["audio"]
    for event in (e for e in rendered["plan"]["events"] if e["kind"] == "speech"):
        start, stop = int(event["start_s"] * RATE) + 2000, int((event["start_s"] + event["duration_s"]) * RATE)
        left, right = (20 * np.log10(np.sqrt(np.mean(audio[start:stop, c] ** 2))) for c in (0, 1))
        assert left > -35 and right > -35, event["text"]
        assert abs(left - right) < 1.0


def test_tones_alternate_between_the_ears_at_the_rate(rendered):
    audio = rendered["audio"]
    bls = next(e for e in rendered["plan"]["events"] if e["kind"] == "bls")
    start = int(bls["start_s"] * RATE)
    segment = audio[start : start + int(bls["duration_s"] * RATE)]
    block_s = 0.01
    diff = envelope(segment[:, 0], RATE, block_s) - envelope(segment[:, 1], RATE, block_s)
    spectrum = np.abs(np.fft.rfft(diff - diff.mean(), n=len(diff) * 8))
    freqs = np.fft.rfftfreq(len(diff) * 8, block_s)
    assert freqs[np.argmax(spectrum)] == pytest.approx(1.0, rel=0.05)


def test_loudness_and_peak_are_delivery_ready(rendered, tmp_path):
    """The real voice lands on -16 LUFS: rendered alone (no tones, no bed: the gain follows the
    voice only) the file's integrated loudness is the voice's speech-gated loudness."""
    assert 20 * np.log10(np.abs(rendered["audio"]).max()) <= -1.0
    alone = tmp_path / "alone.mp3"
    result = CliRunner().invoke(
        cli, ["render", str(rendered["script"]), "-o", str(alone), "--var", "name=Alex", "--no-bls", "--ambience", "none", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert integrated_lufs(alone) == pytest.approx(-16.0, abs=0.5)
    assert json.loads(result.stdout)["loudness"]["limiter_on_speech_db"]["mean"] >= -0.2
    assert integrated_lufs(rendered["path"]) < -16.0  # the tones' set and the pauses bring the programme under the voice


def test_plan_and_render_of_a_library_technique_agree(tmp_path):
    out = tmp_path / "box.mp3"
    runner = CliRunner()
    planned = json.loads(runner.invoke(cli, ["plan", "box-breathing", "--json", "--minutes", "10", "--voice", "joe"]).stdout)
    result = runner.invoke(cli, ["render", "box-breathing", "-o", str(out), "--minutes", "10", "--voice", "joe"])
    assert result.exit_code == 0, result.output
    assert planned["duration_s"] == pytest.approx(600.0, abs=0.01)
    decoded_frames = len(sf.read(str(out), dtype="int16")[0])
    assert decoded_frames / RATE == pytest.approx(600.0, abs=MP3_SLACK_S)


def test_unknown_voice_lists_close_matches():
    result = CliRunner().invoke(cli, ["plan", "box-breathing", "--voice", "en-uss", "--engine", "pyttsx3"])
    assert result.exit_code == 1
    assert "unknown voice 'en-uss' (did you mean" in result.output


def test_voices_lists_the_engine_voices():
    result = CliRunner().invoke(cli, ["voices", "--json"])
    ids = {v["id"] for v in json.loads(result.stdout)}
    assert len(ids) > 10 and any("en" in i for i in ids)


# -- the engine itself: each phrase with its own words, rate, voice and volume -------------------

LONG = "Notice the weight of your body, supported by whatever is underneath you."
SHORT = "Breathe in."


@pytest.fixture(scope="module")
def engine():
    from sessiongen.speech import get_engine

    return get_engine("pyttsx3")


def speech_span_s(audio) -> float:
    """From the first to the last sample within 40 dB of the peak."""
    x = np.abs(audio.samples[:, 0])
    loud = np.flatnonzero(x > x.max() * 0.01)
    return (loud[-1] - loud[0]) / audio.rate_hz


def median_pitch_hz(audio) -> float:
    """Median autocorrelation pitch over the voiced 93 ms frames."""
    x, rate = audio.samples[:, 0].astype(np.float64), audio.rate_hz
    lo, hi = rate // 400, rate // 70
    found = []
    for at in range(0, len(x) - 2048, 1024):
        frame = x[at : at + 2048]
        if np.sqrt(np.mean(frame**2)) > 0.05:
            corr = np.correlate(frame, frame, "full")[2047:]
            found.append(rate / (lo + np.argmax(corr[lo:hi])))
    return float(np.median(found))


def rms_db(audio) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(audio.samples, dtype=np.float64)))))


def test_a_batch_gives_each_phrase_its_own_audio_and_settings(engine):
    """Against each phrase spoken on its own: no phrase gets another's audio, no setting lands a
    phrase late. (espeak-ng carries a little state from one utterance to the next: the same call
    varies by up to 0.7 % in length (measured over 200 mixed calls), so this compares lengths
    within 2 % and levels, where a rate or volume landing on the wrong phrase changes them by
    20 % or more and by 6 dB.)"""
    if sys.platform.startswith("linux"):
        assert engine.identity().endswith(":in-memory")
    calls = [(LONG, "gmw/en", 105, 1.0), (SHORT, "gmw/en", 160, 1.0), (LONG, "gmw/en", 160, 0.5), (SHORT, "gmw/en-us", 80, 1.0)]
    batch = list(engine.synthesize_many(calls))
    for call, audio in zip(calls, batch):
        alone = engine.synthesize(*call)
        assert audio.rate_hz == alone.rate_hz == 22_050 and audio.samples.shape[1] == 1
        assert len(audio.samples) == pytest.approx(len(alone.samples), rel=0.02), call
        assert rms_db(audio) == pytest.approx(rms_db(alone), abs=0.3), call


def test_speech_lasts_longer_for_more_words_and_a_slower_rate(engine):
    long_80, long_160, short_80 = (engine.synthesize(text, "gmw/en", rate, 1.0) for text, rate in ((LONG, 80), (LONG, 160), (SHORT, 80)))
    assert speech_span_s(long_80) / speech_span_s(long_160) == pytest.approx(2.0, rel=0.15)
    assert speech_span_s(long_80) > 4 * speech_span_s(short_80)


def test_a_voice_variant_changes_the_voice(engine):
    plain, variant = (engine.synthesize(LONG, voice, 105, 1.0) for voice in ("gmw/en", engine.resolve_voice("gmw/en+f3")))
    assert median_pitch_hz(variant) > 1.5 * median_pitch_hz(plain)  # f3 is a female voice: about an octave up


def test_the_volume_setting_sets_the_level(engine):
    full, half = (engine.synthesize(LONG, "gmw/en", 105, volume) for volume in (1.0, 0.5))
    assert rms_db(half) - rms_db(full) == pytest.approx(-6.0, abs=1.0)
