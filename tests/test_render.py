"""The windowed renderer and the mastering stages, measured on audio."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import envelope
from helpers import prepared

from sessiongen.master.fades import Fades
from sessiongen.master.loudness import LoudnessMeter
from sessiongen.mix.render import Renderer
from sessiongen.settings import Settings
from sessiongen.sound.audio import db_to_gain, gain_to_db
from sessiongen.sound.limiter import Limiter, running_min

RATE = 44_100
BODY = (
    "# One\nHello there, welcome. [pause 3s]\n[bls 6s rate=1.0]\n[bls on]\nWords with tones beneath them.\n[bls off]\n[bell]\n"
    "[breathe in=2 out=3 rounds=2]\n[ambience pink]\nThe end.\n"
)


def whole(renderer, frames=None):
    return renderer.window(0, frames or renderer.tl.frames)


@pytest.mark.parametrize("window_frames", [RATE // 3, RATE * 2 + 17, RATE * 7])
def test_windows_concatenate_to_the_whole(window_frames):
    p = prepared(BODY, duration="40s")
    renderer = Renderer(p.timeline, p.clips, Settings(engine="fake"))
    pieces = np.concatenate([w.mix() for w in renderer.windows(window_frames)])
    reference = whole(renderer).mix()
    assert pieces.shape == (p.timeline.frames, 2)
    assert np.allclose(pieces, reference, atol=1e-6)


def test_layers_sum_to_the_mix_and_sit_where_planned():
    p = prepared(BODY, duration="40s")
    w = whole(Renderer(p.timeline, p.clips, Settings(engine="fake")))
    assert np.allclose(w.voice + w.bilateral + w.cues + w.ambience, w.mix())
    bls_set = next(e for e in p.timeline.events if e.kind == "bls" and not e.under)
    inside = w.bilateral[bls_set.start : bls_set.end]
    assert np.abs(w.voice[bls_set.start : bls_set.end]).max() == 0.0  # the voice is silent during a set
    assert gain_to_db(np.abs(inside).max()) > -40
    first = next(e for e in p.timeline.events if e.kind == "speech")
    assert np.abs(w.voice[: first.start]).max() == 0.0
    assert np.abs(w.voice[first.start : first.end]).max() > 0.05


def test_speech_is_centred_and_tones_alternate_under_it():
    p = prepared(BODY, duration="40s")
    w = whole(Renderer(p.timeline, p.clips, Settings(engine="fake")))
    assert np.array_equal(w.voice[:, 0], w.voice[:, 1])
    under = next(e for e in p.timeline.events if e.under)
    half = RATE // 2
    segment = w.bilateral[under.start : under.start + half]
    assert np.abs(segment[:, 0]).max() > 0 and np.abs(segment[:, 1]).max() == 0


def test_tones_under_narration_sit_below_the_voice():
    p = prepared(BODY, duration="40s")
    w = whole(Renderer(p.timeline, p.clips, Settings(engine="fake")))
    under = next(e for e in p.timeline.events if e.under)
    voice_db = gain_to_db(np.sqrt(np.mean(w.voice[under.start : under.end] ** 2)))
    tone_db = gain_to_db(np.sqrt(np.mean(w.bilateral[under.start : under.end] ** 2)))
    assert tone_db < voice_db - 6


def test_the_bed_ducks_under_speech_by_the_configured_depth():
    settings = Settings(engine="fake", duck_db=8.0, ambience="white")
    p = prepared("Words spoken for a good while here, many words in a row to duck under.\n[pause 20s]\n", settings, duration="30s")
    w = whole(Renderer(p.timeline, p.clips, settings))
    speech = next(e for e in p.timeline.events if e.kind == "speech")
    quiet = next(e for e in p.timeline.events if e.kind == "pause" and e.frames >= 20 * RATE)
    margin = 2 * RATE
    ducked = np.sqrt(np.mean(w.ambience[speech.start + RATE // 2 : speech.end - RATE // 2] ** 2))
    free = np.sqrt(np.mean(w.ambience[quiet.start + margin : quiet.end - margin] ** 2))
    assert gain_to_db(free / ducked) == pytest.approx(8.0, abs=1.0)


@pytest.mark.parametrize("hold_s", [2.5, 0.5])
def test_the_bed_stays_down_through_short_gaps_and_comes_back_in_long_pauses(hold_s):
    settings = Settings(engine="fake", duck_db=8.0, ambience="white", duck_hold_s=hold_s)
    p = prepared(
        "Words spoken for a good while here, many words in a row.\nAnd a second sentence after a short rest.\n"
        "[pause 12s]\nThen more words, spoken after the long pause.\n",
        settings,
        duration="40s",
    )
    w = whole(Renderer(p.timeline, p.clips, settings))
    first, second, third = (e for e in p.timeline.events if e.kind == "speech")
    level = lambda lo, hi: gain_to_db(np.sqrt(np.mean(w.ambience[lo:hi] ** 2)))  # noqa: E731
    under = level(first.start + RATE // 2, first.end - RATE // 2)
    gap = level(first.end, second.start)  # the 1.2 s rest between two sentences
    pause = level(second.end + 4 * RATE, third.start - 3 * RATE)  # mid-way through the long pause
    assert pause - under == pytest.approx(8.0, abs=1.0)  # back up in a pause longer than the hold
    if hold_s > 1.2:
        assert abs(gap - under) < 0.5  # held down: no swell between sentences
    else:
        assert gap - under > 2.0  # a hold shorter than the rest lets the bed rise


def test_the_bed_fades_in_and_out():
    settings = Settings(engine="fake", bed_fade_s=3.0, ambience="white")  # white: steady block levels
    p = prepared("Hello.\n[pause 20s]\n", settings, duration="30s")
    w = whole(Renderer(p.timeline, p.clips, settings))
    env = envelope(w.ambience[:, 0], RATE, 0.25)
    steady = np.median(env[40:80])  # mid-pause, far from speech and from both ends
    last_100ms = np.sqrt(np.mean(w.ambience[-RATE // 10 :, 0] ** 2))
    assert env[0] < 0.15 * steady and last_100ms < 0.1 * steady
    assert np.all(np.diff(env[:6]) > 0)  # rising through the fade-in (before ducking for speech at 1.7 s)


def test_a_user_file_bed_loops_without_a_seam(tmp_path):
    import soundfile as sf

    t = np.arange(int(3.3 * 22_050)) / 22_050
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
    path = tmp_path / "bed.wav"
    sf.write(path, tone, 22_050)
    from sessiongen.sound.beds import recorded as filebed

    loop = filebed.file_loop(str(path), RATE)
    across = filebed.file_bed(str(path), 0, len(loop) - 500, 1000, RATE)
    typical = np.percentile(np.abs(np.diff(loop.read(0, len(loop)), axis=0)), 99.9)
    assert np.max(np.abs(np.diff(across, axis=0))) <= 1.5 * typical


def test_running_min_matches_the_direct_definition():
    rng = np.random.default_rng(0)
    x = rng.random(1000).astype(np.float32)
    for width in (1, 2, 7, 64):
        direct = np.array([x[i : i + width].min() for i in range(len(x) - width + 1)])
        assert np.array_equal(running_min(x, width), direct)


def test_limiter_keeps_length_alignment_and_ceiling():
    rng = np.random.default_rng(1)
    x = (0.1 * rng.standard_normal((RATE * 3, 2))).astype(np.float32)
    x[RATE : RATE + 50] *= 15.0  # a burst far over the ceiling
    limiter = Limiter(RATE, -1.0)
    blocks = [limiter.process(x[i : i + 10_000]) for i in range(0, len(x), 10_000)]
    y = np.concatenate(blocks + [limiter.flush()])
    assert y.shape == x.shape
    assert np.max(np.abs(y)) <= db_to_gain(-1.0) + 1e-6
    quiet = slice(RATE // 2, RATE // 2 + 1000)
    ratio = y[quiet] / np.where(np.abs(x[quiet]) > 1e-6, x[quiet], 1)
    assert np.allclose(ratio[np.abs(x[quiet]) > 1e-6], ratio.flat[0], atol=1e-3)  # aligned, untouched far from the burst


def test_limiter_is_transparent_below_the_ceiling():
    x = (0.5 * np.sin(np.linspace(0, 800, RATE))[:, None] * np.ones((1, 2))).astype(np.float32)
    limiter = Limiter(RATE, -1.0)
    y = np.concatenate([limiter.process(x[:1000]), limiter.process(x[1000:]), limiter.flush()])
    assert np.allclose(y, x, atol=1e-6)


def test_loudness_meter_reads_a_reference_tone():
    t = np.arange(10 * RATE) / RATE
    tone = (db_to_gain(-20) * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    meter = LoudnessMeter(RATE)
    for i in range(0, len(t), RATE):
        meter.add(np.stack([tone[i : i + RATE]] * 2, axis=1))
    # a 1 kHz sine at -20 dBFS peak in both channels reads about -20 LUFS (BS.1770: -3.01 + 3.01)
    assert meter.result().integrated_lufs == pytest.approx(-20.0, abs=0.2)


def test_fades_reach_silence_at_both_ends():
    fades = Fades(RATE * 4, RATE, 0.05, 2.0)
    ones = np.ones((RATE * 4, 2), dtype=np.float32)
    y = np.concatenate([fades.apply(ones[i : i + 5000], i) for i in range(0, len(ones), 5000)])
    assert y[0, 0] < 0.01 and y[-1, 0] < 0.01 and y[RATE, 0] == 1.0


def test_true_peak_limiting_catches_peaks_between_samples():
    """A sine near fs/4 with samples at +-0.707 of its true amplitude: sample peaks look safe,
    the true peak is 3 dB higher. The limiter must hold the true peak, as measured at 8x."""
    import soxr

    t = np.arange(RATE) / RATE
    x = (1.2 * np.sin(2 * np.pi * (RATE / 4) * t + np.pi / 4))[:, None] * np.ones((1, 2))
    x *= np.clip(t / 0.05, 0, 1)[:, None]  # fade in: the signal starts from silence
    x = x.astype(np.float32)
    assert np.abs(x).max() < db_to_gain(-1.0) * 1.0  # every sample already under -1 dBFS
    limiter = Limiter(RATE, -1.0)
    y = np.concatenate([limiter.process(x[i : i + 7000]) for i in range(0, len(x), 7000)] + [limiter.flush()])
    upsampled = soxr.resample(y[:, 0].astype(np.float64), RATE, RATE * 8)
    assert gain_to_db(np.abs(upsampled[RATE:-RATE]).max()) <= -1.0 + 0.3
    sample_only = Limiter(RATE, -1.0, true_peak=False)
    z = np.concatenate([sample_only.process(x), sample_only.flush()])
    assert gain_to_db(np.abs(soxr.resample(z[:, 0].astype(np.float64), RATE, RATE * 8)[RATE:-RATE]).max()) > 0.5


def test_prefetched_windows_keep_their_order_and_stop_with_the_caller():
    import threading

    from sessiongen.mix.render import prefetched

    assert list(prefetched(iter(range(50)))) == list(range(50))
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    windows = prefetched(endless(), depth=2)
    assert [next(windows) for _ in range(3)] == [0, 1, 2]
    windows.close()  # the caller stops early (an error, Ctrl-C): the thread ends, nothing hangs
    assert not any(t.name == "sessiongen-render" for t in threading.enumerate())
    assert len(produced) <= 3 + 2 + 1  # it ran at most `depth` (and the one in hand) ahead


def test_an_error_while_rendering_ahead_reaches_the_caller():
    from sessiongen.mix.render import prefetched

    def failing():
        yield 1
        raise ValueError("a window could not be rendered")

    windows = prefetched(failing())
    assert next(windows) == 1
    with pytest.raises(ValueError, match="could not be rendered"):
        next(windows)
