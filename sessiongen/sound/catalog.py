"""Names and descriptions of the sounds: what scripts may ask for and `sessiongen sounds` lists.

The synthesis lives in tones.py and beds.py; a test checks both cover exactly these names.
"""

TIMBRES = {
    "sine": "a pure, soft sine tone (tonal)",
    "chime": "a soft chime: a few bright partials that fade (tonal)",
    "click": "a short, soft click",
    "woodblock": "a gentle knock, like a small woodblock (pitched from the tone's pitch)",
    "drum": "a soft, low drum (pitched from the tone's pitch)",
    "tick": "a light, high tick",
}
TONAL_TIMBRES = ("sine", "chime")
STYLES = {
    "alternate": "discrete tones, one ear at a time",
    "sweep": "one continuous soft tone gliding from ear to ear",
}
JITTER_MAX_PCT = 25.0
LEVEL_RANGE_DB = (-40.0, 0.0)

BEDS = {
    "white": "white noise: even hiss",
    "pink": "pink noise: softer, like distant rain",
    "brown": "brown noise: a deep, soft rumble",
    "rain": "steady rain: a bright hiss with many tiny, soft droplets",
    "ocean": "ocean waves: a dark wash in slow swells, brighter as each wave peaks",
    "stream": "a stream: gently bubbling water over a soft rush",
    "wind": "wind: soft noise rising and brightening in slow gusts",
    "drone": "a warm, low drone: a 110 Hz tone with its fifth and octave, slowly breathing",
}

BLS_RATE_MAX_HZ = 2.0
BLS_RATE_MIN_HZ = 0.3
PITCH_RANGE_HZ = (200.0, 600.0)
