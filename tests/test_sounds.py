"""Sounds measured as audio: alternation rate, pan depth, clicks, beds and their seeds; and the
listing of them, which comes from the registries."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import envelope

from sessiongen.cli import cli
from sessiongen.model.script import Breathe, Tone
from sessiongen.sound import catalog, tones
from sessiongen.sound.audio import gain_to_db
from sessiongen.sound.beds import BEDS, coloured
from sessiongen.sound.beds import procedural as beds

RATE = 44_100


def onsets_s(env: np.ndarray, block_s: float, threshold: float) -> np.ndarray:
    above = env > threshold
    return np.flatnonzero(above[1:] & ~above[:-1]) * block_s


@pytest.mark.parametrize("rate_hz", [0.3, 0.5, 1.0, 1.3, 2.0])
def test_alternation_frequency_equals_the_rate(rate_hz):
    set_s = max(20.0, 12 / rate_hz)
    audio = tones.bls(Tone(rate_hz=rate_hz), 0, int(set_s * RATE), RATE)
    block_s = 0.002
    left, right = envelope(audio[:, 0], RATE, block_s), envelope(audio[:, 1], RATE, block_s)
    left_on, right_on = onsets_s(left, block_s, 0.1), onsets_s(right, block_s, 0.1)
    measured_hz = 1.0 / np.mean(np.diff(left_on))
    assert measured_hz == pytest.approx(rate_hz, rel=0.01)
    # right follows left by half a cycle
    assert np.mean(right_on[: len(left_on)] - left_on[: len(right_on)]) == pytest.approx(0.5 / rate_hz, rel=0.02)


@pytest.mark.parametrize("pitch_hz", [200.0, 250.0, 600.0])
@pytest.mark.parametrize("rate_hz", [0.5, 1.0, 2.0])
def test_at_full_depth_the_other_ear_is_silent(rate_hz, pitch_hz):
    audio = tones.bls(Tone(rate_hz=rate_hz, pitch_hz=pitch_hz), 0, int(4 / rate_hz * RATE), RATE)
    half = int(0.5 / rate_hz * RATE)
    first_left = audio[:half]
    assert gain_to_db(np.max(np.abs(first_left[:, 1])) + 1e-12) < gain_to_db(np.max(np.abs(first_left[:, 0]))) - 40


@pytest.mark.parametrize("depth_pct", [0, 25, 50, 75, 100])
def test_pan_depth_keeps_power_constant(depth_pct):
    audio = tones.bls(Tone(depth_pct=depth_pct), 0, 2 * RATE, RATE)
    half = RATE // 2
    power_left_burst = np.sum(audio[:half] ** 2)
    power_right_burst = np.sum(audio[half:RATE] ** 2)
    reference = np.sum(tones.bls(Tone(depth_pct=100), 0, RATE // 2, RATE) ** 2)
    assert gain_to_db(power_left_burst / reference) / 2 == pytest.approx(0.0, abs=0.05)
    assert power_left_burst == pytest.approx(power_right_burst, rel=1e-3)


@pytest.mark.parametrize("rate_hz", [0.3, 1.0, 2.0])
def test_tones_have_no_clicks(rate_hz):
    tone = Tone(rate_hz=rate_hz, pitch_hz=250)
    audio = tones.bls(tone, 0, int(6 / rate_hz * RATE), RATE)
    jumps = np.max(np.abs(np.diff(audio, axis=0)))
    own_slope = 2 * np.pi * tone.pitch_hz / RATE  # the steepest step of the full-scale sine itself
    assert jumps <= own_slope * 1.01
    assert np.all(np.abs(audio[0]) < 1e-3)  # starts from silence


def test_a_window_of_tones_equals_the_same_frames_of_the_whole():
    tone = Tone(rate_hz=1.3)
    whole = tones.bls(tone, 0, 5 * RATE, RATE)
    part = tones.bls(tone, 123_457, 54_321, RATE)
    assert np.array_equal(part, whole[123_457 : 123_457 + 54_321])


def test_bell_starts_softly_and_decays():
    bell = tones.bell(RATE)
    assert abs(bell[0]) < 1e-3
    assert np.max(np.abs(np.diff(bell))) < 0.2
    assert envelope(bell[-RATE // 2 :], RATE).max() < 0.1 * envelope(bell[: RATE // 2], RATE).max()


def test_breath_tone_rises_then_falls():
    b = Breathe(in_s=4, hold_s=0, out_s=4, rounds=1)
    audio = tones.breath_tone(b, 0, 8 * RATE, RATE)
    env = envelope(audio, RATE, 0.5)
    assert env[1] < 0.5 * env[6]  # swells during the in-breath (0-4 s)
    assert env[9] > 2 * env[14]  # and fades during the out-breath (4-8 s)
    assert np.max(np.abs(np.diff(audio))) < 0.05


def test_sounds_lists_exactly_the_registries():
    """`sessiongen sounds --json` shows every timbre and bed of the registries, in their order,
    with their descriptions: adding one to its registry is enough to list it."""
    result = CliRunner().invoke(cli, ["sounds", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["timbres"] == [{"name": n, "description": t.description, "tonal": t.tonal} for n, t in tones.TIMBRES.items()]
    assert listed["beds"] == [{"name": n, "description": b.description} for n, b in BEDS.items()]
    assert [s["name"] for s in listed["styles"]] == list(catalog.STYLES)


def test_beds_cover_the_registry():
    for name in BEDS:
        audio = beds.noise(name, 0, 0, RATE, RATE)
        assert audio.shape == (RATE, 2) and np.all(np.isfinite(audio))


@pytest.mark.parametrize("name", sorted(BEDS))
def test_same_seed_same_bed_different_seed_different_bed(name):
    a = beds.noise(name, 7, 1000, RATE, RATE)
    assert np.array_equal(a, beds.noise(name, 7, 1000, RATE, RATE))
    assert not np.allclose(a, beds.noise(name, 8, 1000, RATE, RATE))


def test_pink_and_brown_are_darker_than_white():
    def high_share(name):
        x = beds.noise(name, 1, 0, 4 * RATE, RATE)[:, 0]
        spectrum = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(len(x), 1 / RATE)
        return spectrum[freqs > 2000].sum() / spectrum.sum()

    assert high_share("brown") < high_share("pink") < high_share("white")


def test_bed_loops_have_no_seam():
    loop = coloured._loop(BEDS["brown"].source, "brown", 0, 0, 0, RATE)
    seam_step = abs(float(loop[0] - loop[-1]))
    typical = float(np.percentile(np.abs(np.diff(loop)), 99.9))
    assert seam_step <= typical
    wrapped = beds.noise("brown", 0, len(loop) - 100, 200, RATE)
    assert np.max(np.abs(np.diff(wrapped, axis=0))) <= 2 * typical


def test_channels_are_decorrelated():
    x = beds.noise("pink", 0, 0, 2 * RATE, RATE)
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 0.1
