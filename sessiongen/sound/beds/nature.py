"""How the synthesised beds move: each bed's gains per layer at control steps k, as smooth
functions of absolute time (the beds themselves are declared in beds/__init__.py)."""

from __future__ import annotations

import numpy as np

from sessiongen.sound.beds.loops import seeded
from sessiongen.sound.beds.modulation import drift, seconds, wobble


def rain_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    """Hiss and body, each drifting slowly."""
    t_s = seconds(k, rate_hz)
    hiss = 1.0 + 0.25 * drift(seed, "rain", t_s, 3, 20.0, 240.0)
    body = 0.45 * (1.0 + 0.2 * drift(seed, "rain body", t_s, 3, 40.0, 300.0))
    return [hiss, body]


def ocean_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    """Low, mid and high bands following the swell, the higher ones more steeply."""
    swell = _swell(seed, seconds(k, rate_hz))
    return [swell**0.7, 0.7 * swell**2, 0.3 * swell**3.5]


def _swell(seed: int, t_s: np.ndarray) -> np.ndarray:
    """(n, 2) swell envelope: waves every ~6-14 s, each its own length and strength, the right
    channel a little behind the left; rises steeper than it falls."""
    rng = seeded(seed, "swell")
    mean_period_s = rng.uniform(8.5, 10.0)
    wander_s = rng.uniform(30.0, 90.0, 2)
    phase = rng.uniform(0.0, 2 * np.pi, 2)
    # the integral of a frequency (1 + 0.45 * mean(sin)) / mean_period_s
    wander = np.mean(wander_s / (2 * np.pi) * np.cos(2 * np.pi * t_s[:, None] / wander_s + phase), axis=1)
    theta = 2 * np.pi / mean_period_s * (t_s - 0.45 * wander)
    theta = theta[:, None] - np.array([0.0, 0.35])
    shape = ((1.0 - np.cos(theta + 0.5 * np.sin(theta))) / 2) ** 1.5
    strength = 0.7 + 0.3 * drift(seed, "swell strength", t_s, 3, 14.0, 70.0)
    return 0.15 + strength[:, None] * shape


def stream_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    """Babble and rush bubbling quickly, over a steady low flow."""
    flow = (1.0 + 0.15 * drift(seed, "flow", seconds(k, rate_hz), 3, 15.0, 120.0))[:, None]
    babble = flow * np.exp(0.8 * np.tanh(0.6 * wobble(seed, "babble", k, 3.0, 10.0, rate_hz)))
    rush = 0.7 * flow * np.exp(0.5 * np.tanh(0.6 * wobble(seed, "rush", k, 4.0, 14.0, rate_hz)))
    return [babble, rush, 0.3 * flow]


def wind_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    """Low, mid and high bands rising with each gust, the higher ones more steeply."""
    gust = _gust(seed, seconds(k, rate_hz))
    return [0.4 + 0.4 * gust, 0.15 + 0.9 * gust**1.5, 0.03 + 0.45 * gust**2.5]


def _gust(seed: int, t_s: np.ndarray) -> np.ndarray:
    """(n, 2) gust strength in (0, 1): gusts of ~6-40 s reaching the right ear 0.8 s later, in
    weather that itself drifts over minutes."""
    weather = 0.8 * drift(seed, "weather", t_s, 2, 120.0, 400.0)
    gusts = 3.0 * drift(seed, "gusts", t_s[:, None] - np.array([0.0, 0.8]), 4, 6.0, 40.0)
    return 1.0 / (1.0 + np.exp(-(gusts + weather[:, None])))


def drone_gains(seed: int, k: np.ndarray, rate_hz: int) -> list:
    """The root chord and the upper chord breathing slowly, each at its own pace."""
    t_s = seconds(k, rate_hz)
    root = 0.85 + 0.15 * drift(seed, "root breath", t_s, 3, 9.0, 30.0)
    upper = 0.6 + 0.3 * drift(seed, "upper breath", t_s, 3, 12.0, 45.0)
    return [root, upper]
