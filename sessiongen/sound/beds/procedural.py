"""Ambience beds from seamless loops: no filter state, so any window renders on its own.

Coloured noise (white, pink, brown): each channel sums two loops of different lengths made by
shaping a random spectrum; a loop made that way is periodic by construction (no seam), and the
pair repeats only after many hours.

Synthesised beds (rain, ocean, stream, wind, drone) mix a few such loops, band-limited, whose gains
move with smooth functions of absolute time: sums of sinusoids with seeded, incommensurate periods
(slow drifts, swells, gusts) or seamless loops of control-rate noise (fast bubbling). Droplets and
bubbles are events drawn per second of absolute time from an RNG seeded by (seed, second), so a
window finds every event that overlaps it. All pre-generated material shares one memory budget.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Callable

import numpy as np

from sessiongen.sound.kweight import k_gain, k_gain_of_loop

from sessiongen.sound.catalog import BEDS

# ~23.8 s and ~31.0 s at 44.1 kHz: coprime, so the pair repeats only after about a year, and
# both are products of small primes, so their FFTs are fast.
LOOP_FRAMES = (2**20, 3**7 * 5**4)
HIGHPASS_HZ = 25.0

# Synthesised beds: shorter coprime loops (~11.9 s and ~14.5 s), the right channel reading them
# from other offsets, so the right channel never equals the left at any lag within a session.
BAND_FRAMES = (2**19, 3**6 * 5**3 * 7)
RIGHT_OFFSETS = (BAND_FRAMES[0] // 2, BAND_FRAMES[1] // 3)
HOP = 256  # frames per control step (~5.8 ms): gains are computed per step, interpolated between
CTRL_FRAMES = (2**14, 3**4 * 5**3 * 7)  # control-rate noise loops: ~95 s and ~412 s at 44.1 kHz
CACHE_BYTES = 60_000_000  # all pre-generated bed material together, least recently used dropped
CHUNK = 16384  # frames mixed per pass (a multiple of HOP), so that a pass's arrays stay in cache
EVENT_BLOCK_S = 1  # events are drawn per whole second of absolute time

_store: OrderedDict = OrderedDict()


def _cached(make: Callable) -> Callable:
    """Like lru_cache, but all beds' arrays share one budget of CACHE_BYTES."""

    @wraps(make)
    def get(*args):
        key = (make.__name__, *args)
        if key in _store:
            _store.move_to_end(key)
            return _store[key]
        value = _store[key] = make(*args)
        while len(_store) > 1 and sum(_nbytes(v) for v in _store.values()) > CACHE_BYTES:
            _store.popitem(last=False)
        return value

    return get


def _nbytes(value) -> int:
    return sum(map(_nbytes, value)) if isinstance(value, tuple) else value.nbytes


def _rng(seed: int, *key) -> np.random.Generator:
    """A generator for (seed, key): strings and reprs hashed stably (not with hash())."""
    words = [k if isinstance(k, int) else zlib.crc32(repr(k).encode()) for k in key]
    return np.random.default_rng([seed, *words])


def _shape(name: str, freqs_hz: np.ndarray) -> np.ndarray:
    f = np.maximum(freqs_hz, 1.0)
    highpass = 1.0 / np.sqrt(1.0 + (HIGHPASS_HZ / f) ** 4)
    slope = {"white": 0.0, "pink": 0.5, "brown": 1.0}[name]
    lowpass = 1.0 / np.sqrt(1.0 + (f / 12000.0) ** 4) if name == "white" else 1.0
    return highpass * lowpass / f**slope


def _with_tail(loop: np.ndarray) -> np.ndarray:
    """The loop followed by its first CHUNK frames, so that a chunk read from it never wraps."""
    return np.concatenate([loop, loop[:CHUNK]])


def _seamless(shape: np.ndarray, frames: int, rng: np.random.Generator) -> np.ndarray:
    """A unit-RMS loop of frames whose spectrum magnitude follows `shape` (its rfft bins):
    periodic by construction, so no seam."""
    n = len(shape)
    spectrum = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * shape
    spectrum[0] = 0.0
    loop = np.fft.irfft(spectrum, n=frames)
    return (loop / np.sqrt(np.mean(loop**2))).astype(np.float32)


@_cached
def _loop(name: str, seed: int, channel: int, which: int, rate_hz: int) -> np.ndarray:
    frames = LOOP_FRAMES[which]
    rng = np.random.default_rng([seed, channel, which, sum(map(ord, name))])
    freqs_hz = np.fft.rfftfreq(frames, 1.0 / rate_hz)
    spectrum = (rng.standard_normal(len(freqs_hz)) + 1j * rng.standard_normal(len(freqs_hz))) * _shape(name, freqs_hz)
    spectrum[0] = 0.0
    loop = np.fft.irfft(spectrum, n=frames)
    return (loop / np.sqrt(np.mean(loop**2))).astype(np.float32)


def _coloured(name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    out = np.empty((frames, 2), dtype=np.float32)
    for channel in range(2):
        loops = [_loop(name, seed, channel, which, rate_hz) for which in (0, 1)]
        for lo, hi in _runs(start, frames, [len(loop) for loop in loops]):
            a, b = ((start + lo) % len(loop) for loop in loops)
            np.add(loops[0][a : a + hi - lo], loops[1][b : b + hi - lo], out=out[lo:hi, channel])
    out *= np.float32(np.sqrt(0.5))
    return out


def _runs(start: int, frames: int, periods: list[int]):
    """(lo, hi) stretches of [0, frames) in which no loop of these periods wraps around."""
    cuts = {0, frames}
    for period in periods:
        cuts.update(range(-(start % period) % period or period, frames, period))
    edges = sorted(c for c in cuts if 0 <= c <= frames)
    return zip(edges[:-1], edges[1:])


# --- sources: seamless loops of band-limited noise or of a detuned chord -------------------------


@dataclass(frozen=True)
class Band:
    """Noise between low_hz and high_hz (Butterworth-like edges of `order`), tilted by f**-slope."""

    low_hz: float
    high_hz: float
    slope: float = 0.0
    order: int = 2

    scale = np.sqrt(0.5)  # of the sum of the two loops

    def render(self, seed: int, start: int, out: np.ndarray, rate_hz: int) -> None:
        """Into out (2, n <= CHUNK): both loops summed, the right channel reading them elsewhere."""
        n = out.shape[1]
        a, b = (_band_loop(self, seed, which, rate_hz) for which in (0, 1))
        for channel in (0, 1):
            pa = (start + channel * RIGHT_OFFSETS[0]) % BAND_FRAMES[0]
            pb = (start + channel * RIGHT_OFFSETS[1]) % BAND_FRAMES[1]
            np.add(a[pa : pa + n], b[pb : pb + n], out=out[channel])


@_cached
def _band_loop(band: Band, seed: int, which: int, rate_hz: int) -> np.ndarray:
    frames = BAND_FRAMES[which]
    f = np.maximum(np.fft.rfftfreq(frames, 1.0 / rate_hz), 1.0)
    edges = np.sqrt(1.0 + (band.low_hz / f) ** (2 * band.order)) * np.sqrt(1.0 + (f / band.high_hz) ** (2 * band.order))
    return _with_tail(_seamless(f**-band.slope / edges, frames, _rng(seed, "band", band, which)))


@dataclass(frozen=True)
class Chord:
    """Partials (ratio to root_hz, amplitude), each with a quieter copy a few bins sharp that beats
    slowly against it; each channel gets its own phases and beat rates, so the chord sounds wide."""

    root_hz: float
    partials: tuple[tuple[float, float], ...]
    which: int  # which of BAND_FRAMES is the loop length (and so the bin spacing)
    beat_amp: float = 0.35

    scale = 1.0

    def render(self, seed: int, start: int, out: np.ndarray, rate_hz: int) -> None:
        """Into out (2, n <= CHUNK)."""
        pos = start % BAND_FRAMES[self.which]
        for channel in (0, 1):
            out[channel] = _chord_loop(self, seed, channel, rate_hz)[pos : pos + out.shape[1]]


@_cached
def _chord_loop(chord: Chord, seed: int, channel: int, rate_hz: int) -> np.ndarray:
    frames = BAND_FRAMES[chord.which]
    bin_hz = rate_hz / frames
    rng = _rng(seed, "chord", chord, channel)
    spectrum = np.zeros(frames // 2 + 1, dtype=complex)
    for ratio, amp in chord.partials:
        k = int(round(chord.root_hz * ratio / bin_hz))
        beat_bins = int(rng.integers(1, 4))  # beats every ~4-12 s at 44.1 kHz
        spectrum[k] += amp * np.exp(2j * np.pi * rng.random())
        spectrum[k + beat_bins] += amp * chord.beat_amp * np.exp(2j * np.pi * rng.random())
    loop = np.fft.irfft(spectrum, n=frames)
    return _with_tail((loop / np.sqrt(np.mean(loop**2))).astype(np.float32))


# --- modulations: smooth functions of absolute time ----------------------------------------------


def _drift(seed: int, key: str, t_s: np.ndarray, count: int, shortest_s: float, longest_s: float) -> np.ndarray:
    """A smooth wander in [-1, 1] that never repeats: the mean of `count` sinusoids with seeded
    periods (log-uniform between shortest_s and longest_s, so incommensurate) and phases."""
    rng = _rng(seed, "drift", key)
    period_s = np.exp(rng.uniform(np.log(shortest_s), np.log(longest_s), count))
    phase = rng.uniform(0.0, 2 * np.pi, count)
    return np.mean(np.sin(2 * np.pi * np.asarray(t_s)[..., None] / period_s + phase), axis=-1)


@_cached
def _ctrl_loop(seed: int, key: str, which: int, low_hz: float, high_hz: float, rate_hz: int) -> np.ndarray:
    f = np.fft.rfftfreq(CTRL_FRAMES[which], HOP / rate_hz)
    shape = ((f >= low_hz) & (f <= high_hz)).astype(float)
    return _seamless(shape, CTRL_FRAMES[which], _rng(seed, "wobble", key, which))


def _wobble(seed: int, key: str, k: np.ndarray, low_hz: float, high_hz: float, rate_hz: int) -> np.ndarray:
    """(n, 2) unit-RMS noise band-limited to low_hz..high_hz at control steps k, each channel its
    own: two coprime control-rate loops, so it never repeats within a session."""
    loops = [_ctrl_loop(seed, key, which, low_hz, high_hz, rate_hz) for which in (0, 1)]
    out = np.empty((len(k), 2), dtype=np.float64)
    for channel in (0, 1):
        a, b = (loop[(k + channel * len(loop) // (2 + which)) % len(loop)] for which, loop in enumerate(loops))
        out[:, channel] = a + b
    return out * np.sqrt(0.5)


RAMP = np.arange(HOP, dtype=np.float32) / np.float32(HOP)


def _rows(gain, steps: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A gain given as (steps,), (steps, 1) or (steps, 2) as float32 rows (1 or 2, steps), scaled,
    and its differences from step to step."""
    rows = (np.reshape(gain, (steps, -1)).T * scale).astype(np.float32)
    return rows, np.diff(rows, axis=1)


def _ramp(gain: tuple[np.ndarray, np.ndarray], first: int, stop: int, out: np.ndarray) -> np.ndarray:
    """Into out: the gain from control step first to stop, linearly interpolated, (rows, frames)."""
    rows, diffs = gain
    ramp = out[: len(rows), : (stop - first) * HOP]
    np.multiply(diffs[:, first:stop, None], RAMP, out=ramp.reshape(len(rows), -1, HOP))
    ramp.reshape(len(rows), -1, HOP)[...] += rows[:, first:stop, None]
    return ramp


# --- events: droplets and bubbles -----------------------------------------------------------------


@dataclass(frozen=True)
class Events:
    """Short soft chirps (raised-cosine attack, exponential decay), drawn per second."""

    key: str
    per_s: float  # mean events per second
    low_hz: float
    high_hz: float
    glide: float  # pitch ratio from start to end of a chirp (>1 rises; not 1)
    decay_s: tuple[float, float]  # for the lowest and the highest pitch
    attack_s: float
    length_s: float
    quietest_db: float  # amplitudes log-uniform between this and 0 dB
    density: tuple  # (drift key, count, shortest_s, longest_s, depth): how the rate wanders


TEMPLATES = 32


@_cached
def _templates(ev: Events, rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """(TEMPLATES, length) chirps of unit peak from low to high pitch, and each one's energy."""
    t_s = np.arange(int(ev.length_s * rate_hz)) / rate_hz
    u = np.linspace(0.0, 1.0, TEMPLATES)[:, None]
    f0_hz = ev.low_hz * (ev.high_hz / ev.low_hz) ** u
    decay_s = ev.decay_s[0] * (ev.decay_s[1] / ev.decay_s[0]) ** u
    phase = 2 * np.pi * f0_hz * ev.length_s * (ev.glide ** (t_s / ev.length_s) - 1) / np.log(ev.glide)
    attack = 0.5 - 0.5 * np.cos(np.pi * np.clip(t_s / ev.attack_s, 0, 1))
    tail = 0.5 + 0.5 * np.cos(np.pi * np.clip((t_s / ev.length_s - 0.7) / 0.3, 0, 1))
    bank = np.sin(phase) * attack * tail * np.exp(-np.maximum(t_s - ev.attack_s, 0) / decay_s)
    bank /= np.max(np.abs(bank), axis=1, keepdims=True)
    return bank.astype(np.float32), np.sum(bank**2, axis=1)


def _event_list(ev: Events, seed: int, first: int, stop: int, rate_hz: int):
    """Onset frames, template indices, amplitudes and pan angles of events in blocks first..stop-1."""
    key, count, shortest_s, longest_s, depth = ev.density
    blocks = np.arange(first, stop)
    density = 1.0 + depth * _drift(seed, key, (blocks + 0.5) * EVENT_BLOCK_S, count, shortest_s, longest_s)
    block_frames = EVENT_BLOCK_S * rate_hz
    parts = []
    for block, d in zip(blocks.tolist(), density):
        rng = _rng(seed, ev.key, block)
        n = rng.poisson(ev.per_s * EVENT_BLOCK_S * d)
        onset = block * block_frames + rng.integers(0, block_frames, n)
        which = rng.integers(0, TEMPLATES, n)
        amp = 10 ** (rng.uniform(ev.quietest_db, 0, n) / 20)
        parts.append((onset, which, amp, rng.uniform(0.15, 0.85, n) * np.pi / 2))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    return [np.concatenate(p) for p in zip(*parts)]


def _events(ev: Events, seed: int, start: int, frames: int, scale: float, rate_hz: int) -> np.ndarray:
    """(2, frames) of the events sounding in the window, each panned at constant power."""
    bank, _ = _templates(ev, rate_hz)
    length = bank.shape[1]
    out = np.zeros((2, frames), dtype=np.float32)
    block_frames = EVENT_BLOCK_S * rate_hz
    first, stop = max(0, (start - length) // block_frames), (start + frames - 1) // block_frames + 1
    onset, which, amp, pan = _event_list(ev, seed, first, stop, rate_hz)
    keep = (onset + length > start) & (onset < start + frames)
    gains = (scale * amp[:, None] * np.stack([np.cos(pan), np.sin(pan)], axis=1))[keep, :, None].astype(np.float32)
    for at, w, gain in zip((onset[keep] - start).tolist(), which[keep].tolist(), gains):
        if 0 <= at <= frames - length:
            out[:, at : at + length] += bank[w] * gain
        else:  # cut by the window's edge
            lo, hi = max(at, 0), min(at + length, frames)
            out[:, lo:hi] += bank[w, lo - at : hi - at] * gain
    return out


@lru_cache(maxsize=64)
def _event_power(ev: Events, seed: int, rate_hz: int) -> float:
    """Mean power per channel of the events, from their first ten minutes."""
    _, energy = _templates(ev, rate_hz)
    blocks = 600 // EVENT_BLOCK_S
    _, which, amp, _ = _event_list(ev, seed, 0, blocks, rate_hz)
    return float(np.sum(amp**2 * energy[which] * 0.5) / (blocks * EVENT_BLOCK_S * rate_hz))


# --- the synthesised beds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Synth:
    sources: tuple  # Band or Chord layers
    gains: Callable  # (seed, control steps k, rate_hz) -> a gain per source, (n,) or (n, 2)
    events: Events | None = None
    event_share: float = 0.0  # of the bed's power


def _seconds(k: np.ndarray, rate_hz: int) -> np.ndarray:
    return k * (HOP / rate_hz)


def _rain_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    t_s = _seconds(k, rate_hz)
    hiss = 1.0 + 0.25 * _drift(seed, "rain", t_s, 3, 20.0, 240.0)
    body = 0.45 * (1.0 + 0.2 * _drift(seed, "rain body", t_s, 3, 40.0, 300.0))
    return [hiss, body]


def _swell(seed: int, t_s: np.ndarray) -> np.ndarray:
    """(n, 2) swell envelope: waves every ~6-14 s, each its own length and strength, the right
    channel a little behind the left; rises steeper than it falls."""
    rng = _rng(seed, "swell")
    mean_period_s = rng.uniform(8.5, 10.0)
    wander_s = rng.uniform(30.0, 90.0, 2)
    phase = rng.uniform(0.0, 2 * np.pi, 2)
    # the integral of a frequency (1 + 0.45 * mean(sin)) / mean_period_s
    wander = np.mean(wander_s / (2 * np.pi) * np.cos(2 * np.pi * t_s[:, None] / wander_s + phase), axis=1)
    theta = 2 * np.pi / mean_period_s * (t_s - 0.45 * wander)
    theta = theta[:, None] - np.array([0.0, 0.35])
    shape = ((1.0 - np.cos(theta + 0.5 * np.sin(theta))) / 2) ** 1.5
    strength = 0.7 + 0.3 * _drift(seed, "swell strength", t_s, 3, 14.0, 70.0)
    return 0.15 + strength[:, None] * shape


def _ocean_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    swell = _swell(seed, _seconds(k, rate_hz))
    return [swell**0.7, 0.7 * swell**2, 0.3 * swell**3.5]


def _stream_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    flow = (1.0 + 0.15 * _drift(seed, "flow", _seconds(k, rate_hz), 3, 15.0, 120.0))[:, None]
    babble = flow * np.exp(0.8 * np.tanh(0.6 * _wobble(seed, "babble", k, 3.0, 10.0, rate_hz)))
    rush = 0.7 * flow * np.exp(0.5 * np.tanh(0.6 * _wobble(seed, "rush", k, 4.0, 14.0, rate_hz)))
    return [babble, rush, 0.3 * flow]


def _gust(seed: int, t_s: np.ndarray) -> np.ndarray:
    """(n, 2) gust strength in (0, 1): gusts of ~6-40 s reaching the right ear 0.8 s later, in
    weather that itself drifts over minutes."""
    weather = 0.8 * _drift(seed, "weather", t_s, 2, 120.0, 400.0)
    gusts = 3.0 * _drift(seed, "gusts", t_s[:, None] - np.array([0.0, 0.8]), 4, 6.0, 40.0)
    return 1.0 / (1.0 + np.exp(-(gusts + weather[:, None])))


def _wind_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    gust = _gust(seed, _seconds(k, rate_hz))
    return [0.4 + 0.4 * gust, 0.15 + 0.9 * gust**1.5, 0.03 + 0.45 * gust**2.5]


def _drone_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    t_s = _seconds(k, rate_hz)
    root = 0.85 + 0.15 * _drift(seed, "root breath", t_s, 3, 9.0, 30.0)
    upper = 0.6 + 0.3 * _drift(seed, "upper breath", t_s, 3, 12.0, 45.0)
    return [root, upper]


SYNTHS = {
    "rain": Synth(
        (Band(300.0, 9000.0, slope=0.2), Band(80.0, 900.0, slope=0.5)),
        _rain_gains,
        Events("drops", 90.0, 1800.0, 5500.0, 1.15, (0.004, 0.0015), 0.0005, 0.02, -24.0, ("rain", 3, 20.0, 240.0, 0.6)),
        event_share=0.1,
    ),
    "ocean": Synth((Band(30.0, 500.0, slope=1.0), Band(200.0, 2500.0, slope=0.5), Band(1200.0, 7000.0, slope=0.3)), _ocean_gains),
    "stream": Synth(
        (Band(350.0, 1600.0, slope=0.3, order=3), Band(1200.0, 5000.0, slope=0.3), Band(100.0, 600.0, slope=0.5)),
        _stream_gains,
        Events("bubbles", 20.0, 300.0, 1200.0, 1.5, (0.025, 0.008), 0.003, 0.08, -15.0, ("bursts", 3, 2.0, 15.0, 0.7)),
        event_share=0.1,
    ),
    "wind": Synth((Band(35.0, 450.0, slope=1.0), Band(250.0, 1300.0, slope=0.5), Band(900.0, 4500.0, slope=0.5)), _wind_gains),
    "drone": Synth(
        (
            Chord(110.0, ((0.5, 0.35), (1.0, 1.0), (2.0, 0.45), (3.0, 0.15), (4.0, 0.07)), which=0),
            Chord(110.0, ((1.5, 0.7), (2.0, 0.5), (3.0, 0.2), (4.5, 0.06)), which=1),
        ),
        _drone_gains,
    ),
}

NORM_STEP_S = 0.25
NORM_SPAN_S = 4 * 3600


@lru_cache(maxsize=64)
def _scales(name: str, seed: int, rate_hz: int) -> tuple[float, float]:
    """Scales of the layers and of the events that make the bed's mean power 1 over 4 hours."""
    synth = SYNTHS[name]
    k = np.arange(0, int(NORM_SPAN_S * rate_hz / HOP), int(NORM_STEP_S * rate_hz / HOP))
    power = sum(np.mean(np.square(g)) for g in synth.gains(seed, k, rate_hz))
    share = synth.event_share
    events = np.sqrt(share / _event_power(synth.events, seed, rate_hz)) if synth.events else 0.0
    return float(np.sqrt((1.0 - share) / power)), float(events)


def _synth(name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    synth = SYNTHS[name]
    k0 = start // HOP
    k = np.arange(k0, (start + frames - 1) // HOP + 2)
    layer_scale, event_scale = _scales(name, seed, rate_hz)
    gains = [_rows(g, len(k), layer_scale * s.scale) for s, g in zip(synth.sources, synth.gains(seed, k, rate_hz))]
    if synth.events:
        out = _events(synth.events, seed, start, frames, event_scale, rate_hz)
    else:
        out = np.zeros((2, frames), dtype=np.float32)
    layer, ramp = np.empty((2, CHUNK), dtype=np.float32), np.empty((2, CHUNK + HOP), dtype=np.float32)
    for lo in range(0, frames, CHUNK):
        n, at = min(CHUNK, frames - lo), start + lo
        first, stop = at // HOP - k0, (at + n - 1) // HOP + 1 - k0
        for source, gain in zip(synth.sources, gains):
            source.render(seed, at, layer[:, :n], rate_hz)
            layer[:, :n] *= _ramp(gain, first, stop, ramp)[:, at % HOP : at % HOP + n]
            out[:, lo : lo + n] += layer[:, :n]
    return _interleave(out)


def _interleave(channels: np.ndarray) -> np.ndarray:
    """(n, 2) float32 from (2, n): written as complex64 pairs, which numpy does faster than .T."""
    pairs = np.empty(channels.shape[1], dtype=np.complex64)
    pairs.real, pairs.imag = channels
    return pairs.view(np.float32).reshape(-1, 2)


def noise(name: str, seed: int, start: int, frames: int, rate_hz: int) -> np.ndarray:
    """(frames, 2) of bed `name` from absolute frame `start`, RMS about 1 in each channel."""
    if name in SYNTHS:
        return _synth(name, seed, start, frames, rate_hz)
    return _coloured(name, seed, start, frames, rate_hz)


def is_named(bed: str) -> bool:
    """A bed from the catalogue, as opposed to a user's audio file (see filebed.py)."""
    return bed in BEDS


# --- power, for predicting loudness (predict.py) without rendering ---------------------------------

EVENTS_MONO = 0.905  # a panned event's power in the mono fold, over its power per channel (pans 0.15..0.85)


def k_power(name: str, seed: int, t: np.ndarray, rate_hz: int, mono: bool = False) -> np.ndarray:
    """K-weighted mean power of bed `name` around frame positions t: summed over the channels, or
    of the mono fold. From each source's K-gain and its gain at those times; the channels of every
    source are uncorrelated, so the fold has a quarter of their summed power."""
    fold = 0.25 if mono else 1.0
    if name not in SYNTHS:
        return np.full(len(t), 2.0 * fold * _coloured_k_gain(name, seed, rate_hz))
    synth = SYNTHS[name]
    k = (np.asarray(t) // HOP).astype(np.int64)
    layer_scale, event_scale = _scales(name, seed, rate_hz)
    power = np.zeros(len(t))
    for source, gain in zip(synth.sources, synth.gains(seed, k, rate_hz)):
        per_channel = np.broadcast_to(np.reshape(np.square(gain), (len(k), -1)), (len(k), 2))
        loudness = _source_power(source, seed, rate_hz) * (layer_scale * source.scale) ** 2
        power += fold * loudness * per_channel.sum(axis=1)
    if synth.events:
        per_channel = event_scale**2 * _event_power(synth.events, seed, rate_hz) * _events_k_gain(synth.events, rate_hz)
        power += per_channel * (EVENTS_MONO if mono else 2.0)
    return power


@lru_cache(maxsize=32)
def _coloured_k_gain(name: str, seed: int, rate_hz: int) -> float:
    return k_gain_of_loop(_loop(name, seed, 0, 0, rate_hz), rate_hz)


@lru_cache(maxsize=64)
def _source_power(source, seed: int, rate_hz: int) -> float:
    """K-weighted power per channel of a source before its scale: Band sums two unit loops."""
    if isinstance(source, Band):
        loop = _band_loop(source, seed, 0, rate_hz)[:-CHUNK]
        return 2.0 * k_gain_of_loop(loop, rate_hz)
    return k_gain_of_loop(_chord_loop(source, seed, 0, rate_hz)[:-CHUNK], rate_hz)


@lru_cache(maxsize=16)
def _events_k_gain(ev: Events, rate_hz: int) -> float:
    bank, energy = _templates(ev, rate_hz)
    return float(np.average([k_gain(b, rate_hz) for b in bank], weights=energy))
