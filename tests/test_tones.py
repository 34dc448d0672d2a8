"""Bilateral tones over a grid of timbres, rates and depths, measured on the audio."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import envelope

from sessiongen.model.script import Tone
from sessiongen.sound import tones
from sessiongen.sound.audio import gain_to_db

RATE = 44_100
TIMBRES = sorted(tones.TIMBRES)


def onsets_s(signal: np.ndarray, block_s: float = 0.005) -> np.ndarray:
    """Start times of tones: the envelope rising through 20 % of its peak, re-armed only after it
    has fallen below 2 % (hysteresis, so a decaying tail never counts as a new tone)."""
    env = envelope(signal, RATE, block_s) / envelope(signal, RATE, block_s).max()
    onsets, armed = [], True
    for index, level in enumerate(env):
        if armed and level > 0.2:
            onsets.append(index * block_s)
            armed = False
        elif level < 0.02:
            armed = True
    return np.array(onsets)


@pytest.mark.parametrize("timbre", TIMBRES)
@pytest.mark.parametrize("rate_hz", [0.3, 1.0, 2.0])
def test_alternation_rate_within_one_percent_for_every_timbre(timbre, rate_hz):
    audio = tones.bls(Tone(rate_hz=rate_hz, timbre=timbre), 0, int(12 / rate_hz * RATE), RATE)
    left, right = onsets_s(audio[:, 0]), onsets_s(audio[:, 1])
    assert 1.0 / np.mean(np.diff(left)) == pytest.approx(rate_hz, rel=0.01)
    assert 1.0 / np.mean(np.diff(right)) == pytest.approx(rate_hz, rel=0.01)
    assert right[0] - left[0] == pytest.approx(0.5 / rate_hz, abs=0.011)  # left first, then right (two 5 ms blocks)


@pytest.mark.parametrize("timbre", TIMBRES)
def test_full_depth_leaves_the_other_ear_at_least_40_db_down(timbre):
    audio = tones.bls(Tone(rate_hz=1.0, timbre=timbre, depth_pct=100), 0, 2 * RATE, RATE)
    left_slot, right_slot = audio[: RATE // 2], audio[RATE // 2 : RATE]
    assert gain_to_db(np.abs(left_slot[:, 1]).max() + 1e-12) <= gain_to_db(np.abs(left_slot[:, 0]).max()) - 40
    assert gain_to_db(np.abs(right_slot[:, 0]).max() + 1e-12) <= gain_to_db(np.abs(right_slot[:, 1]).max()) - 40


@pytest.mark.parametrize("timbre", TIMBRES)
@pytest.mark.parametrize("depth_pct", [0, 50, 100])
def test_depth_follows_the_equal_power_law(timbre, depth_pct):
    audio = tones.bls(Tone(rate_hz=1.0, timbre=timbre, depth_pct=depth_pct), 0, RATE // 2, RATE)
    left, right = (np.sqrt(np.sum(audio[:, c] ** 2)) for c in (0, 1))
    theta = (1 - depth_pct / 100) * np.pi / 4
    assert right / left == pytest.approx(np.tan(theta), abs=1e-3)
    full = tones.bls(Tone(rate_hz=1.0, timbre=timbre, depth_pct=100), 0, RATE // 2, RATE)
    assert np.sum(audio**2) == pytest.approx(np.sum(full**2), rel=1e-3)  # total power unchanged


@pytest.mark.parametrize("timbre", TIMBRES)
@pytest.mark.parametrize("pitch_hz", [200.0, 600.0])
def test_no_step_at_envelope_edges_larger_than_the_tone_itself(timbre, pitch_hz):
    audio = tones.bls(Tone(rate_hz=1.0, timbre=timbre, pitch_hz=pitch_hz), 0, 2 * RATE, RATE)[:, 0]
    steps = np.abs(np.diff(audio))
    sounding = np.flatnonzero(np.abs(audio) > 0)
    first, last = sounding[0], sounding[np.searchsorted(sounding, RATE // 2) - 1]
    edges = np.concatenate([steps[max(0, first - 3) : first + 3], steps[last - 3 : last + 3]])
    assert audio[first - 1 if first else 0] == 0.0
    assert edges.max() <= steps.max() * 0.5 + 1e-6  # the edges are gentler than the tone's own steepest step


@pytest.mark.parametrize("timbre", TIMBRES)
def test_timbres_are_loudness_matched(timbre):
    reference = tones.bls(Tone(timbre="sine"), 0, 4 * RATE, RATE)
    audio = tones.bls(Tone(timbre=timbre), 0, 4 * RATE, RATE)
    ratio_db = gain_to_db(np.sqrt(np.mean(audio**2)) / np.sqrt(np.mean(reference**2)))
    assert ratio_db <= 0.5  # no timbre carries more energy than the sine
    peak_ratio = np.abs(audio).max() / np.abs(reference).max()
    assert 0.7 <= peak_ratio <= 1.5  # short percussive ones are as strong at their peak, no stronger


@pytest.mark.parametrize("tonal", [n for n, t in tones.TIMBRES.items() if t.tonal])
def test_tonal_timbres_sound_at_their_pitch(tonal):
    audio = tones.bls(Tone(timbre=tonal, pitch_hz=330.0), 0, RATE // 2, RATE)[:, 0]
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.fft.rfftfreq(len(audio), 1 / RATE)[np.argmax(spectrum)] == pytest.approx(330.0, abs=3.0)


@pytest.mark.parametrize("depth_pct", [50, 100])
def test_sweep_keeps_the_summed_power_constant(depth_pct):
    tone = Tone(rate_hz=0.5, style="sweep", depth_pct=depth_pct, pitch_hz=250)
    audio = tones.bls(tone, 2 * RATE, 4 * RATE, RATE, event_frames=10 * RATE)  # a whole cycle in, away from the edges
    power = envelope(audio[:, 0], RATE, 0.1) ** 2 + envelope(audio[:, 1], RATE, 0.1) ** 2
    assert gain_to_db(np.sqrt(power.max() / power.min())) < 0.5
    balance = envelope(audio[:, 1], RATE, 0.1) - envelope(audio[:, 0], RATE, 0.1)
    assert balance[0] < 0 and balance[len(balance) // 4 + 1] > 0  # left, then right
    crossings = np.flatnonzero(np.diff(np.sign(balance)) != 0)
    assert len(crossings) == 4  # two glides each way in two cycles


def test_sweep_fades_at_the_edges_of_its_set():
    tone = Tone(style="sweep")
    audio = tones.bls(tone, 0, 3 * RATE, RATE, event_frames=3 * RATE)
    assert np.abs(audio[0]).max() < 1e-3 and np.abs(audio[-1]).max() < 1e-3
    assert np.max(np.abs(np.diff(audio, axis=0))) < 2 * np.pi * 250 / RATE


def test_jitter_is_seeded_bounded_and_window_independent():
    tone = Tone(rate_hz=1.0, jitter_pct=20)
    a = tones.bls(tone, 0, 10 * RATE, RATE, seed=3)
    assert np.array_equal(a, tones.bls(tone, 0, 10 * RATE, RATE, seed=3))
    assert not np.array_equal(a, tones.bls(tone, 0, 10 * RATE, RATE, seed=4))
    pieces = np.concatenate([tones.bls(tone, o, 33_333, RATE, seed=3) for o in range(0, 10 * RATE, 33_333)])[: 10 * RATE]
    assert np.array_equal(pieces, a)
    starts = onsets_s(a[:, 0])
    steady = onsets_s(tones.bls(Tone(rate_hz=1.0), 0, 10 * RATE, RATE)[:, 0])
    delays = starts - steady
    assert delays.min() >= -0.006 and delays.max() <= 0.2 * 0.5 + 0.006 and delays.std() > 0.01


# -- a set ends on a whole burst ------------------------------------------------------------------


@pytest.mark.parametrize("timbre", ["sine", "chime", "drum"])
@pytest.mark.parametrize("seconds", [3.0, 4.27, 5.555, 7.9])
def test_a_set_ending_at_any_time_ends_on_a_whole_burst(timbre, seconds):
    rate = 44_100
    frames = int(seconds * rate)
    tone = Tone(rate_hz=1.3, timbre=timbre, jitter_pct=10)
    whole = tones.bls(tone, 0, frames, rate, frames, seed=2)
    tail = np.abs(whole[-int(0.002 * rate) :]).max()
    assert tail < 1e-4 * np.abs(whole).max(), "the set ends inside a burst"
    in_windows = np.concatenate([tones.bls(tone, lo, min(4410, frames - lo), rate, frames, seed=2) for lo in range(0, frames, 4410)])
    assert np.array_equal(whole, in_windows)  # the same whichever windows render it


def test_every_library_set_ends_on_a_whole_burst():
    from sessiongen import pipeline
    from sessiongen.mix.render import Renderer
    from sessiongen.model.timeline import EventKind
    from sessiongen.script.library import technique_paths
    from sessiongen.settings import Settings

    settings = Settings(engine="fake")
    for technique_id in technique_paths():
        with pipeline.cache_root(True) as root:
            p = pipeline.prepare(pipeline.load(technique_id), {}, settings, root)
        renderer = Renderer(p.timeline, p.clips, settings)
        for event in (e for e in p.timeline.events if e.kind == EventKind.BLS and e.frames):
            layer = renderer.event_window(event, event.end - 441, 441).layer("bilateral")
            assert np.abs(layer[-88:]).max() < 1e-4, f"{technique_id}: a set at {event.start / 44_100:.1f} s ends inside a burst"
