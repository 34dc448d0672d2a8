"""Ambience beds: the registry of named beds (BEDS), and a user's recording as the bed (recorded.py).

Adding a bed is one entry in BEDS: a description (what `sessiongen sounds` lists) and its source,
coloured noise (coloured.Noise) or a synthesis (synth.Synth: layers from layers.py, gains over time
from nature.py, optional events from events.py). procedural.py renders any of them by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessiongen.sound.beds import nature
from sessiongen.sound.beds.coloured import Noise
from sessiongen.sound.beds.events import Events
from sessiongen.sound.beds.layers import Band, Chord
from sessiongen.sound.beds.synth import Synth


@dataclass(frozen=True)
class Bed:
    description: str  # "name of the sound: what it sounds like"; the part before ':' names it in sidecars
    source: Noise | Synth  # has render(name, seed, start, frames, rate_hz) and k_power(name, seed, t, rate_hz, mono)


BEDS = {
    "white": Bed("white noise: even hiss", Noise(slope=0.0, lowpass_hz=12000.0)),
    "pink": Bed("pink noise: softer, like distant rain", Noise(slope=0.5)),
    "brown": Bed("brown noise: a deep, soft rumble", Noise(slope=1.0)),
    "rain": Bed(
        "steady rain: a bright hiss with many tiny, soft droplets",
        Synth(
            (Band(300.0, 9000.0, slope=0.2), Band(80.0, 900.0, slope=0.5)),
            nature.rain_gains,
            Events(
                key="drops",
                per_s=90.0,
                low_hz=1800.0,
                high_hz=5500.0,
                glide=1.15,
                decay_s=(0.004, 0.0015),
                attack_s=0.0005,
                length_s=0.02,
                quietest_db=-24.0,
                density=("rain", 3, 20.0, 240.0, 0.6),
            ),
            event_share=0.1,
        ),
    ),
    "ocean": Bed(
        "ocean waves: a dark wash in slow swells, brighter as each wave peaks",
        Synth((Band(30.0, 500.0, slope=1.0), Band(200.0, 2500.0, slope=0.5), Band(1200.0, 7000.0, slope=0.3)), nature.ocean_gains),
    ),
    "stream": Bed(
        "a stream: gently bubbling water over a soft rush",
        Synth(
            (Band(350.0, 1600.0, slope=0.3, order=3), Band(1200.0, 5000.0, slope=0.3), Band(100.0, 600.0, slope=0.5)),
            nature.stream_gains,
            Events(
                key="bubbles",
                per_s=20.0,
                low_hz=300.0,
                high_hz=1200.0,
                glide=1.5,
                decay_s=(0.025, 0.008),
                attack_s=0.003,
                length_s=0.08,
                quietest_db=-15.0,
                density=("bursts", 3, 2.0, 15.0, 0.7),
            ),
            event_share=0.1,
        ),
    ),
    "wind": Bed(
        "wind: soft noise rising and brightening in slow gusts",
        Synth((Band(35.0, 450.0, slope=1.0), Band(250.0, 1300.0, slope=0.5), Band(900.0, 4500.0, slope=0.5)), nature.wind_gains),
    ),
    "drone": Bed(
        "a warm, low drone: a 110 Hz tone with its fifth and octave, slowly breathing",
        Synth(
            (
                Chord(110.0, ((0.5, 0.35), (1.0, 1.0), (2.0, 0.45), (3.0, 0.15), (4.0, 0.07)), which=0),
                Chord(110.0, ((1.5, 0.7), (2.0, 0.5), (3.0, 0.2), (4.5, 0.06)), which=1),
            ),
            nature.drone_gains,
        ),
    ),
}
