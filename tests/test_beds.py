"""Every ambience bed measured as audio: windows, seeds, level over hours, clicks, and character."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sessiongen.sound import catalog
from sessiongen.sound.beds import BEDS, coloured, events, layers, loops
from sessiongen.sound.beds.procedural import noise
from sessiongen.sound.beds.synth import Synth

RATE = 44_100
NAMES = sorted(BEDS)
SYNTHS = {name: bed.source for name, bed in BEDS.items() if isinstance(bed.source, Synth)}
SEED = 7


def render(name: str, start_s: float, duration_s: float, seed: int = SEED) -> np.ndarray:
    return noise(name, seed, int(start_s * RATE), int(duration_s * RATE), RATE)


def block_levels_db(x: np.ndarray, block_s: float) -> np.ndarray:
    """Level of each block (of each channel, for stereo x)."""
    block = int(block_s * RATE)
    n = len(x) // block * block
    return 10 * np.log10(np.mean(np.square(x[:n].reshape(-1, block, *x.shape[1:])), axis=1))


def band(x: np.ndarray, low_hz: float, high_hz: float) -> np.ndarray:
    freqs_hz = np.fft.rfftfreq(len(x), 1 / RATE)
    return np.fft.irfft(np.fft.rfft(x) * ((freqs_hz > low_hz) & (freqs_hz < high_hz)), len(x))


def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.fft.rfftfreq(len(x), 1 / RATE), np.abs(np.fft.rfft(x)) ** 2


def share_above(x: np.ndarray, cutoff_hz: float) -> float:
    freqs_hz, power = spectrum(x)
    return power[freqs_hz > cutoff_hz].sum() / power.sum()


def dominant_period_s(levels: np.ndarray, block_s: float) -> float:
    power = np.abs(np.fft.rfft(levels - levels.mean())) ** 2
    freqs_hz = np.fft.rfftfreq(len(levels), block_s)
    return 1 / freqs_hz[1:][np.argmax(power[1:])]


# --- the contract every bed keeps ----------------------------------------------------------------


@pytest.fixture(scope="module", params=NAMES)
def name(request) -> str:
    """Module-scoped, so pytest runs each bed's tests together while its loops are cached."""
    return request.param


def test_the_registry_names_the_synthesised_beds_and_the_catalog_shows_it():
    assert {"white", "pink", "brown", "rain", "ocean", "stream", "wind", "drone"} <= set(BEDS)
    assert {name: bed.description for name, bed in BEDS.items()} == catalog.BEDS
    assert all(isinstance(bed.source, (coloured.Noise, Synth)) for bed in BEDS.values())


def test_audio_assets_readme_lists_every_bed():
    readme = (Path(__file__).parents[1] / "audio_assets" / "README.md").read_text(encoding="utf-8")
    for name, bed in BEDS.items():
        assert f"- `{name}`: {bed.description}\n" in readme, name


@pytest.mark.parametrize("start", [layers.BAND_FRAMES[0] - RATE + 37, int(3.9 * 3600 * RATE) + 11])
def test_windows_of_any_size_equal_one_call(name, start):
    """Across loop ends, event blocks and control steps, early in a session and late."""
    frames = 2 * RATE
    whole = noise(name, SEED, start, frames, RATE)
    for sizes in ([1, 7, 255, 257, 4410], [loops.CHUNK - 1, loops.CHUNK + 1], [RATE // 3 + 5]):
        parts, at, i = [], 0, 0
        while at < frames:
            n = min(sizes[i % len(sizes)], frames - at)
            parts.append(noise(name, SEED, start + at, n, RATE))
            at, i = at + n, i + 1
        np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-5, rtol=0)


def test_same_seed_same_audio_other_seed_other_audio(name):
    a = render(name, 100, 2)
    assert a.shape == (2 * RATE, 2) and a.dtype == np.float32
    assert np.array_equal(a, render(name, 100, 2))
    b = render(name, 100, 2, seed=SEED + 1)
    assert np.sqrt(np.mean(np.square(a - b))) > 0.5  # about sqrt(2) for unrelated audio


def test_level_is_steady_over_hours(name):
    """RMS about 1 in each channel, and no bed dies out or blows up over a long session."""
    for minute in (0, 30, 120):
        two_minutes = render(name, 60 * minute, 120)
        assert np.all(np.isfinite(two_minutes))
        levels_db = block_levels_db(two_minutes, 60.0)  # (minute, channel)
        assert np.all(np.abs(levels_db) <= 20 * np.log10(2)), (minute, levels_db)  # RMS 0.5..2
        assert np.all(np.abs(levels_db[1] - levels_db[0]) < 6.0)


def test_no_clicks_and_channels_differ(name):
    """No step from one sample to the next stands out from the steps around it (a click would),
    over loop ends and event blocks; the two ears hear related but different sound."""
    x = render(name, 0, 20)
    steps = np.diff(x, axis=0)
    block = RATE // 10
    blocks = steps[: len(steps) // block * block].reshape(-1, block, 2)
    local = np.max(np.abs(blocks), axis=1) / np.sqrt(np.mean(blocks**2, axis=1))
    assert local.max() < 8.0
    assert np.max(np.abs(steps)) < 3.0 * np.percentile(np.abs(steps), 99.9)
    assert not np.allclose(x[:, 0], x[:, 1], atol=1e-3)
    assert np.corrcoef(x[:, 0], x[:, 1])[0, 1] < 0.9


@pytest.mark.parametrize("chirps", [s.events for s in SYNTHS.values() if s.events], ids=lambda e: e.key)
def test_droplets_and_bubbles_start_and_end_in_silence(chirps):
    bank, _ = events.templates(chirps, RATE)
    assert np.all(np.abs(bank[:, 0]) < 1e-3) and np.all(np.abs(bank[:, -1]) < 1e-3)
    attack = bank[:, : int(chirps.attack_s * RATE) // 2]
    assert np.max(np.abs(attack)) < 0.6  # they swell in over the attack, no snap


@pytest.mark.parametrize("name", sorted(SYNTHS), indirect=True)
def test_synthesised_loops_are_seamless(name):
    for source in SYNTHS[name].layers:
        for index in (0, 1):  # which loop of a band; which channel of a chord
            if isinstance(source, layers.Band):
                loop, period = layers._band_loop(source, SEED, index, RATE), layers.BAND_FRAMES[index]
            else:
                loop, period = layers._chord_loop(source, SEED, index, RATE), layers.BAND_FRAMES[source.which]
            assert len(loop) == period + loops.CHUNK and np.array_equal(loop[period:], loop[: loops.CHUNK])
            typical = np.percentile(np.abs(np.diff(loop[:period])), 99.9)
            assert abs(loop[0] - loop[period - 1]) <= typical


def test_pre_generated_material_stays_within_budget(name):
    render(name, 0, 1)
    assert sum(loops.nbytes(v) for v in loops.store.values()) <= loops.CACHE_BYTES <= 60_000_000


# --- character -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rain"], indirect=True)
def test_rain_is_brighter_than_pink(name):
    pink_share = np.log(RATE / 2 / 2000) / np.log(RATE / 2 / coloured.HIGHPASS_HZ)  # above 2 kHz, ~0.35
    assert share_above(render("pink", 10, 4)[:, 0], 2000) == pytest.approx(pink_share, abs=0.03)
    assert share_above(render(name, 10, 4)[:, 0], 2000) > pink_share + 0.1


@pytest.mark.parametrize("name", ["rain"], indirect=True)
def test_rain_has_droplets(name):
    """Droplets make the rain's 2-6 kHz band flicker from one 10 ms to the next more than hiss."""

    def flicker(x):
        return np.std(np.diff(block_levels_db(band(x, 2000, 6000), 0.01)))

    assert flicker(render(name, 10, 8)[:, 0]) > 1.3 * flicker(render("white", 10, 8)[:, 0])


@pytest.mark.parametrize("name", ["ocean"], indirect=True)
def test_ocean_swells_every_few_seconds_and_brightens_at_their_peaks(name):
    x = render(name, 60, 90)[:, 0]
    levels = block_levels_db(x, 1.0)
    assert 5.0 <= dominant_period_s(levels, 1.0) <= 15.0
    assert np.percentile(levels, 90) - np.percentile(levels, 10) > 6.0  # swells, not a steady hiss
    brightness = block_levels_db(band(x, 500, RATE), 0.5) - block_levels_db(x, 0.5)
    assert np.corrcoef(block_levels_db(x, 0.5), brightness)[0, 1] > 0.5
    assert share_above(x, 2000) < 0.1  # dark


@pytest.mark.parametrize("name", ["stream"], indirect=True)
def test_stream_bubbles_quickly_in_the_mid_and_high_band(name):
    x = render(name, 10, 20)[:, 0]
    freqs_hz, power = spectrum(x)
    assert power[(freqs_hz > 300) & (freqs_hz < 6000)].sum() > 0.8 * power.sum()
    levels = 10 ** (block_levels_db(x, 0.01) / 20)
    modulation = np.abs(np.fft.rfft(levels - levels.mean())) ** 2
    rates_hz = np.fft.rfftfreq(len(levels), 0.01)
    assert modulation[(rates_hz > 2) & (rates_hz < 15)].sum() > 0.5 * modulation[1:].sum()
    assert np.percentile(levels, 99) < 4 * np.median(levels)  # gentle: no splashes


@pytest.mark.parametrize("name", ["wind"], indirect=True)
def test_wind_drifts_slowly_in_level_and_brightness(name):
    x = render(name, 30, 120)[:, 0]
    levels = block_levels_db(x, 0.5)
    assert np.median(np.abs(np.diff(levels))) < 1.0  # from one half second to the next: slow
    assert np.percentile(levels, 95) - np.percentile(levels, 5) > 3.0  # but it does gust
    brightness = block_levels_db(band(x, 400, RATE), 0.5) - levels
    assert np.corrcoef(levels, brightness)[0, 1] > 0.5  # gusts are brighter


@pytest.mark.parametrize("name", ["drone"], indirect=True)
def test_drone_is_low_warm_and_breathes(name):
    x = render(name, 20, 60)
    freqs_hz, power = spectrum(x[:, 0])
    assert freqs_hz[np.argmax(power)] < 300
    assert power[freqs_hz > 1000].sum() < 0.01 * power.sum()  # no harsh highs
    levels = block_levels_db(x[:, 0], 0.5)
    assert 1.0 < np.percentile(levels, 95) - np.percentile(levels, 5) < 12.0
    assert np.median(np.abs(np.diff(levels))) < 1.0
