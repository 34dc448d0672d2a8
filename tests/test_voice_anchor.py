"""Mastering anchored on the voice, measured on the files: the voice lands on the target at any
length, the bed and the tones keep their level against it, the limiter leaves speech alone."""

from __future__ import annotations

import numpy as np
import pyebur128
import pytest
import soundfile as sf
from helpers import prepared

from sessiongen import pipeline
from sessiongen.master.levels import against_voice
from sessiongen.master.loudness import MOMENTARY_HOP_S, LoudnessMeter
from sessiongen.master.onspeech import LimitingOnSpeech
from sessiongen.mix.render import Renderer
from sessiongen.mix.spans import VoiceSpans
from sessiongen.mix.voice import speech_spans, voice_lufs
from sessiongen.settings import Settings

# Long elastic pauses (the length grows in bed-only stretches, as in a long session), a set of
# tones on its own, tones under the voice, breathing with spoken cues, a bell.
BODY = (
    "[ambience rain]\n[headphone-check]\n# Arriving\nWelcome. Let yourself settle, in your own time. You can stop whenever you like.\n"
    "[pause 5s..10m]\n[bls 20s rate=1.0]\n# Resting\n[bls on rate=1.0]\nNotice the sound of the rain, near and far.\n"
    "Let it be there, without needing anything from you.\n[bls off]\n[pause 5s..10m]\n[breathe in=4 out=6 rounds=3]\n"
    "[pause 5s..10m]\n[bell]\n# Returning\nWhen you are ready, let your eyes open. Thank you.\n"
)


def _momentary(audio: np.ndarray, rate_hz: int) -> tuple[np.ndarray, float]:
    """Momentary loudness (400 ms) every 100 ms of a decoded file, and its true peak in dBTP, with
    libebur128 directly (one pass; our own true-peak meter on the whole array took 40 s at 30 min)."""
    mode = pyebur128.MeasurementMode.MODE_M | pyebur128.MeasurementMode.MODE_TRUE_PEAK
    state = pyebur128.R128State(audio.shape[1], rate_hz, mode)
    hop = int(MOMENTARY_HOP_S * rate_hz)
    values = []
    for at in range(0, len(audio) - hop + 1, hop):
        state.add_frames(np.ascontiguousarray(audio[at : at + hop]).reshape(-1), hop)
        values.append(pyebur128.get_loudness_momentary(state))
    peak = max(pyebur128.get_true_peak(state, c) for c in range(audio.shape[1]))
    return np.array(values), 20 * np.log10(peak)


def _render(tmp_path, minutes: float, **overrides):
    settings = Settings(engine="fake", minutes=minutes, **overrides)
    p = prepared(BODY, settings, duration="3m")
    out = tmp_path / f"s-{minutes:g}-{overrides.get('mono', False)}.wav"
    rendered = pipeline.write(p, settings, out)
    audio, rate_hz = sf.read(out, dtype="float32", always_2d=True)
    return rendered, audio, rate_hz, VoiceSpans.of(p.timeline, p.clips, settings).ducked


@pytest.mark.parametrize("mono, lengths_min", [(False, (3, 10, 30)), (True, (3, 10, 20))])
def test_the_voice_and_everything_against_it_hold_at_any_length(tmp_path, mono, lengths_min):
    target = -19.0 if mono else -16.0
    figures = {}
    for minutes in lengths_min:
        rendered, audio, rate_hz, ducked = _render(tmp_path, minutes, mono=mono)
        assert rendered.loudness_mode == "voice" and rendered.voice_lufs == pytest.approx(target, abs=0.01)
        mean_db, worst_db = rendered.limiter_on_speech_db
        assert mean_db >= -0.2 and worst_db >= -1.0
        # measured again on the decoded file: the manifest's figures are the file's
        momentary, true_peak_db = _momentary(audio, rate_hz)
        f = against_voice(rendered.timeline, momentary, rendered.voice_lufs, ducked)
        assert f == pytest.approx(rendered.against_voice_lu, abs=0.05)
        figures[minutes] = f
        assert f["speech"] == pytest.approx(0.0, abs=0.5)  # the voice, with what sounds under it
        assert f["loudest"] <= 6.0 and true_peak_db <= -1.0
    for minutes in lengths_min:
        for key in ("bed_only", "sets"):
            assert figures[minutes][key] == pytest.approx(figures[10][key], abs=1.0), (minutes, key, figures)
        assert figures[minutes]["bed_only"] < -10.0  # the bed stays well under the voice


def test_programme_mode_keeps_the_mix_on_the_target(tmp_path):
    rendered, audio, rate_hz, _ = _render(tmp_path, 3, loudness_mode="programme")
    assert rendered.loudness_mode == "programme"
    meter = LoudnessMeter(rate_hz, 2)
    meter.add(audio)
    assert meter.result().integrated_lufs == pytest.approx(-16.0, abs=0.2)
    assert rendered.voice_lufs > -16.0  # a long session of pauses: the voice sits above the programme


@pytest.mark.parametrize("mono", [False, True])
def test_the_voice_is_measured_exactly_as_it_is_placed(mono):
    """Only the stretches around speech are metered; the result is that of the whole voice layer."""
    settings = Settings(engine="fake", mono=mono)
    p = prepared(BODY, settings, duration="4m")
    renderer = Renderer(p.timeline, p.clips, settings)
    meter = LoudnessMeter(p.timeline.rate_hz, settings.channels)
    for window in renderer.windows(layered=True):
        meter.add(window.voice.mean(axis=1, keepdims=True) if mono else window.voice)
    assert voice_lufs(renderer) == pytest.approx(meter.result().integrated_lufs, abs=0.005)


def test_a_session_without_narration_is_mastered_on_the_programme(tmp_path):
    settings = Settings(engine="fake")
    p = prepared("[ambience rain]\n[bls 30s rate=1.0]\n[pause 20s]\n", settings, duration="1m")
    rendered = pipeline.write(p, settings, tmp_path / "n.wav")
    assert rendered.loudness_mode == "programme" and rendered.voice_lufs == float("-inf")
    assert rendered.delivered.integrated_lufs == pytest.approx(-16.0, abs=0.2)


def test_limiting_on_speech_is_measured_where_the_voice_speaks():
    stats = LimitingOnSpeech([(100, 200), (300, 400)])
    stats.add(0, 150, np.full(150, 0.5, dtype=np.float32))  # frames 100-149 of speech at -6 dB
    stats.add(150, 200, None)  # 50 + 50 frames of speech untouched
    stats.add(350, 100, np.full(100, 10 ** (-1 / 20), dtype=np.float32))  # 50 frames at -1 dB
    assert stats.worst_db == pytest.approx(-6.02, abs=0.01)
    assert stats.mean_db == pytest.approx((50 * -6.0206 + 50 * -1.0) / 200, abs=0.01)


def test_a_loud_bed_that_makes_the_limiter_work_on_speech_is_reported(tmp_path):
    settings = Settings(engine="fake", bed_level_db=0.0, duck_db=0.0, loudness_lufs=-10.0)  # the loudest the options allow
    p = prepared(BODY, settings, duration="2m")
    rendered = pipeline.write(p, settings, tmp_path / "loud.wav")
    mean_db, worst_db = rendered.limiter_on_speech_db
    assert worst_db < mean_db < -0.5  # the bed drives the limiter while the voice speaks
    assert speech_spans(Renderer(p.timeline, p.clips, settings))  # the spans it was measured over


def test_a_session_shorter_than_the_ducks_reach_has_its_levels(tmp_path):
    """Found by tests/fuzz: a one-word script (a session of a second or two) made the mask of the
    voice's neighbourhood longer than the session (np.convolve mode="same"), an internal error."""
    p = prepared("breathe.\n", Settings(engine="fake"))
    out = pipeline.write(p, Settings(engine="fake"), tmp_path / "one.wav")
    assert out.against_voice_lu["speech"] is not None
    for blocks in (1, 3, 10, 66):
        values = np.full(blocks, -20.0)
        levels = against_voice(p.timeline, values, -20.0, VoiceSpans.of(p.timeline, p.clips, Settings()).ducked)
        assert set(levels) == {"speech", "bed_only", "sets", "loudest"}
