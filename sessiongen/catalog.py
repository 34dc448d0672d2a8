"""Names and descriptions of the sounds: what scripts may ask for and `sessiongen sounds` lists.

The synthesis lives in tones.py and beds.py; a test checks both cover exactly these names.
"""

TIMBRES = {
    "sine": "a pure, soft sine tone",
}

BEDS = {
    "white": "white noise: even hiss",
    "pink": "pink noise: softer, like distant rain",
    "brown": "brown noise: a deep, soft rumble",
}

BLS_RATE_MAX_HZ = 2.0
BLS_RATE_MIN_HZ = 0.3
PITCH_RANGE_HZ = (200.0, 600.0)
