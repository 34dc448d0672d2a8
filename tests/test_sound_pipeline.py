"""Issue-level sound features through the pipeline: headphone check, mono, stems, levels, beds."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import envelope
from helpers import prepared, script_text

from sessiongen.cli import cli
from sessiongen.mix.render import Renderer
from sessiongen.plan import MONO_CHECK, MONO_NOTICE
from sessiongen.settings import Settings
from sessiongen.sound.audio import gain_to_db
from sessiongen.sound.beds import recorded as filebed

RATE = 44_100
FAKE = ["--engine", "fake"]


def rms_db(x):
    return gain_to_db(float(np.sqrt(np.mean(np.square(x)))) + 1e-12)


def test_headphone_check_sounds_and_speaks_left_then_right_in_one_ear_each():
    settings = Settings(engine="fake", ambience="none")
    p = prepared("[headphone-check]\n", settings, duration="10s")
    event = next(e for e in p.timeline.events if e.kind == "headphone-check")
    w = Renderer(p.timeline, p.clips, settings).window(0, p.timeline.frames)
    mix = w.mix()[event.start : event.end]
    (left_word_at, left_word, _), (right_word_at, right_word, _) = event.cues
    assert (left_word, right_word) == ("Left.", "Right.")
    left_part, right_part = mix[: right_word_at - int(1.5 * RATE)], mix[right_word_at - int(0.6 * RATE) :]
    assert rms_db(left_part[:, 0]) > -40 and np.abs(left_part[:, 1]).max() < 1e-6
    assert rms_db(right_part[:, 1]) > -40 and np.abs(right_part[:, 0]).max() < 1e-6
    word_frames = p.clips["Left."].frames
    voice_left = w.voice[event.start + left_word_at : event.start + left_word_at + word_frames]
    assert np.abs(voice_left[:, 0]).max() > 0 and np.abs(voice_left[:, 1]).max() == 0


def test_mono_speaker_version_centres_tones_says_so_and_checks_no_ears(tmp_path):
    text = script_text("Hello.\n[headphone-check]\n[bls 6s]\nBye.\n", duration="30s")
    script = tmp_path / "s.md"
    script.write_text(text, encoding="utf-8")
    out = tmp_path / "mono.wav"
    runner = CliRunner()
    plan = json.loads(runner.invoke(cli, ["plan", str(script), "--json", "--mono", *FAKE]).stdout)
    said = [e["text"] for e in plan["events"] if e["kind"] == "speech"]
    assert MONO_CHECK in said and MONO_NOTICE in said
    assert said.index(MONO_NOTICE) < [e["kind"] for e in plan["events"] if e["kind"] != "ambience"].index("bls")
    result = runner.invoke(cli, ["render", str(script), "-o", str(out), "--mono", *FAKE])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "speaker version" in result.output
    info = sf.info(str(out))
    assert info.channels == 1
    assert len(sf.read(str(out))[0]) / RATE == pytest.approx(plan["duration_s"], abs=1e-3)


def test_stems_are_the_layers_as_they_enter_the_mix_sample_aligned(tmp_path):
    text = script_text("Hello there.\n[bls 4s]\n[bell]\nBye now.\n", duration="30s")
    script = tmp_path / "s.md"
    script.write_text(text, encoding="utf-8")
    out, stems = tmp_path / "mix.wav", tmp_path / "stems"
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--stems", str(stems), *FAKE])
    assert result.exit_code == 0, result.output
    layers = {name: sf.read(str(stems / f"{name}.wav"), dtype="float32")[0] for name in ("voice", "bilateral", "cues", "ambience")}
    mix = sf.read(str(out), dtype="float32")[0]
    assert all(layer.shape == mix.shape for layer in layers.values())
    summed = sum(layers.values())
    gain = np.sum(mix * summed) / np.sum(summed * summed)  # the mastering gain
    residual = mix - gain * summed
    body = slice(RATE, len(mix) - 3 * RATE)  # away from the fades
    assert rms_db(residual[body]) < rms_db(mix[body]) - 40  # the stems add up to the mix, sample for sample
    assert np.abs(layers["voice"][:, 0] - layers["voice"][:, 1]).max() == 0.0


@pytest.mark.parametrize("level_db", [-20.0, -3.0])
def test_set_level_is_relative_to_the_voice(level_db):
    settings = Settings(engine="fake", ambience="none")
    p = prepared(f"Some words spoken here for a while.\n[bls 4s level={level_db}]\n", settings, duration="10s")
    w = Renderer(p.timeline, p.clips, settings).window(0, p.timeline.frames)
    speech = next(e for e in p.timeline.events if e.kind == "speech")
    bls = next(e for e in p.timeline.events if e.kind == "bls")
    voice_db = rms_db(w.voice[speech.start : speech.end, 0])
    slot = int(0.5 * RATE)
    tone_db = rms_db(w.bilateral[bls.start : bls.start + int(0.35 * slot), 0][int(0.05 * RATE) :])
    assert tone_db - voice_db == pytest.approx(level_db, abs=2.0)


def test_duck_option_sets_the_depth(tmp_path):
    text = script_text("Words spoken for a good while here, many words in a row to duck under.\n[pause 20s]\n", duration="30s")
    script = tmp_path / "s.md"
    script.write_text(text, encoding="utf-8")
    stems = tmp_path / "stems"
    CliRunner().invoke(
        cli, ["render", str(script), "-o", str(tmp_path / "x.wav"), "--stems", str(stems), "--duck", "12", "--ambience", "white", *FAKE]
    )
    bed = sf.read(str(stems / "ambience.wav"), dtype="float32")[0][:, 0]
    plan = json.loads(CliRunner().invoke(cli, ["plan", str(script), "--json", *FAKE]).stdout)
    speech = next(e for e in plan["events"] if e["kind"] == "speech")
    s0, s1 = int(speech["start_s"] * RATE) + RATE // 2, int((speech["start_s"] + speech["duration_s"]) * RATE) - RATE // 2
    free = bed[s1 + 3 * RATE : s1 + 12 * RATE]
    assert rms_db(free) - rms_db(bed[s0:s1]) == pytest.approx(12.0, abs=1.0)


def _file(tmp_path, seconds=20.0):
    """A noise-like recording, as ambience is (a pure tone would interfere with itself at joins)."""
    t = np.arange(int(seconds * 22_050)) / 22_050
    x = 0.1 * np.random.default_rng(0).standard_normal(len(t)) * (1 + 0.2 * np.sin(2 * np.pi * 0.3 * t))
    path = tmp_path / "garden.wav"
    sf.write(str(path), np.stack([x, 0.8 * x], axis=1), 22_050)
    return str(path)


def test_varied_file_bed_is_seeded_and_window_independent(tmp_path):
    path = _file(tmp_path)
    whole = filebed.file_bed(path, 5, 0, 40 * RATE, RATE, vary=True)
    pieces = np.concatenate([filebed.file_bed(path, 5, s, 77_777, RATE, vary=True) for s in range(0, 40 * RATE, 77_777)])[: 40 * RATE]
    assert np.allclose(whole, pieces, atol=1e-6)
    assert not np.allclose(whole, filebed.file_bed(path, 6, 0, 40 * RATE, RATE, vary=True))
    assert not np.allclose(whole, filebed.file_bed(path, 5, 0, 40 * RATE, RATE, vary=False))
    env = envelope(whole[:, 0], RATE, 0.25)
    assert env.min() > 0.6 * np.median(env)  # no gaps or dips at the segment joins
    loop = filebed.file_loop(path, RATE)
    source_steepest = np.abs(np.diff(loop.read(0, len(loop))[:, 0])).max()
    assert np.abs(np.diff(whole[:, 0])).max() <= 1.2 * source_steepest  # joins add no jumps


def test_sounds_lists_timbres_styles_and_beds():
    info = json.loads(CliRunner().invoke(cli, ["sounds", "--json"]).stdout)
    assert len(info["timbres"]) >= 6 and {"alternate", "sweep"} == {s["name"] for s in info["styles"]}
    assert {"white", "pink", "brown", "rain", "ocean", "stream", "wind", "drone"} <= {b["name"] for b in info["beds"]}


@pytest.mark.parametrize("voice_rms_db", [-20.0, -26.0])
def test_every_stored_clip_is_speech_at_the_voice_level_with_its_peaks_limited(tmp_path, voice_rms_db):
    """Clips are levelled at the engine's rate and resampled after: the stored clip is at the mix
    rate, its speech at the voice level, its peaks (here 4 times the voice's, every half second)
    brought down to the voice ceiling (within 1 dB: resampling after the limiter can overshoot
    a little, 0.3 dB on espeak-ng speech and 0.6 dB on these square bursts)."""
    from fake_engine import FakeEngine

    from sessiongen.sound.audio import Audio
    from sessiongen.speech.cache import PhraseCache
    from sessiongen.speech.clips import BLOCK_S, VOICE_CREST_DB, Speaker

    class Spiky(FakeEngine):
        def synthesize(self, text, voice, rate_wpm, volume, options=None):
            audio = super().synthesize(text, voice, rate_wpm, volume)
            samples = audio.samples.copy()
            for at in range(int(0.2 * audio.rate_hz), len(samples) - 100, audio.rate_hz // 2):
                samples[at : at + 40] *= 4.0
            return Audio(samples, audio.rate_hz)

    settings = Settings(engine="fake", voice_rms_db=voice_rms_db)
    speaker = Speaker(Spiky(), PhraseCache(tmp_path, RATE), settings)
    texts = ["Hello.", "Let your shoulders soften, and notice the floor under your feet.", "Welcome back."]
    for text, clip in speaker.clips({text: (text, None) for text in texts}).items():
        samples, rate = sf.read(clip.path, dtype="float32")
        assert rate == RATE and len(samples) == clip.frames
        block = int(BLOCK_S * RATE)
        power = np.square(samples[: len(samples) // block * block].reshape(-1, block)).mean(axis=1)
        assert 10 * np.log10(power[power >= power.max() * 1e-3].mean()) == pytest.approx(voice_rms_db, abs=0.5), text
        peak_db = gain_to_db(float(np.abs(samples).max()))
        assert voice_rms_db + VOICE_CREST_DB - 1.0 <= peak_db <= voice_rms_db + VOICE_CREST_DB + 1.0, text
        assert abs(samples[0]) < 1e-3 and abs(samples[-1]) < 1e-3  # trimmed with fades: no click at either end


@pytest.mark.parametrize(
    "body, minimum_s",
    [
        ("# Tones for a live session\n[bls 30s rate=1.0]\n[pause 5s]\n[bls 30s rate=0.8 tone=chime]\n", 60.0),
        ("# Sleep\n[pause 2m]\n", 120.0),  # a bed alone (the default bed)
    ],
)
def test_a_script_without_narration_checks_and_renders(body, minimum_s, tmp_path):
    """Tones to play during a live session, or a bed for sleep: no voice, mastered on the programme."""
    import json

    import soundfile as sf
    from click.testing import CliRunner

    from sessiongen.cli import cli

    script = tmp_path / "quiet.md"
    script.write_text(script_text(body, duration="3m"), encoding="utf-8")
    assert CliRunner().invoke(cli, ["check", str(script)]).exit_code == 0
    out = tmp_path / "quiet.wav"
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--engine", "fake", "--json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["speech"] == {"phrases_synthesised": 0, "phrases_cached": 0}
    assert manifest["loudness"]["integrated_lufs"] == pytest.approx(-16.0, abs=0.5)
    assert manifest["loudness"]["mode"] == "programme" and manifest["loudness"]["voice_lufs"] is None  # no voice to anchor on
    audio, rate = sf.read(str(out))
    assert len(audio) / rate >= minimum_s
