"""What scripts may ask for and `sessiongen sounds` lists: the limits of a bilateral set, its
styles, and name -> description views of the registries (timbres in tones.TIMBRES, beds in
beds.BEDS), so adding a timbre or a bed is an edit there only."""

from sessiongen.sound.beds import BEDS as _BEDS
from sessiongen.sound.tones import TIMBRES as _TIMBRES

TIMBRES = {name: timbre.description for name, timbre in _TIMBRES.items()}
TONAL_TIMBRES = tuple(name for name, timbre in _TIMBRES.items() if timbre.tonal)
BEDS = {name: bed.description for name, bed in _BEDS.items()}

STYLES = {
    "alternate": "discrete tones, one ear at a time",
    "sweep": "one continuous soft tone gliding from ear to ear",
}
BLS_RATE_MAX_HZ = 2.0
BLS_RATE_MIN_HZ = 0.3
PITCH_RANGE_HZ = (200.0, 600.0)
JITTER_MAX_PCT = 25.0
LEVEL_RANGE_DB = (-40.0, 0.0)
