"""How long a script can be, estimated from its text alone (`check`, which speaks nothing).

Each phrase is counted at the nominal rate (its words at the rate in words per minute) and the
real planner lays the script out; the voices speak a little faster than that within a phrase, so
the estimate is widened by a margin and `check` warns only when a script's own `duration` is
clearly out of reach. `plan` and `render` measure the real voice and say so exactly.
"""

from __future__ import annotations

from pathlib import Path

from sessiongen.plan import plan, texts_to_speak
from sessiongen.script import parser
from sessiongen.script.pacing import pace
from sessiongen.script.personalise import personalise
from sessiongen.settings import Settings
from sessiongen.timefmt import compact_duration

SHORTEST_MARGIN = 0.8  # the voices can be ~10% quicker than the nominal rate
LONGEST_MARGIN = 1.05


def estimated_range_s(path: Path, settings: Settings | None = None) -> tuple[float, float]:
    """The shortest and longest the script can be, from its text, at the default voice and rate."""
    settings = settings or Settings()
    script = pace(personalise(parser.parse_file(path), {}), settings)
    rate = settings.sample_rate_hz
    clip_frames = {key: round(len(text.split()) * 60.0 / wpm * rate) for key, (text, wpm) in texts_to_speak(script, settings).items()}
    lo, hi = plan(script, clip_frames, settings).range_frames
    return lo / rate, hi / rate


def duration_note(path: Path) -> str | None:
    """One line when a script's own `duration` is clearly out of the reach of its text."""
    if path.parent.name == "fragments":
        return None
    script = parser.parse_file(path)
    wanted_s = script.meta.duration_s
    if not wanted_s:
        return None
    lo_s, hi_s = estimated_range_s(path)
    if lo_s * SHORTEST_MARGIN <= wanted_s <= hi_s * LONGEST_MARGIN:
        return None
    return (
        f"{script.meta.title}: its duration {compact_duration(wanted_s)} looks out of reach (about "
        f"{compact_duration(lo_s)} to {compact_duration(hi_s)} from its text; `plan` measures it): "
        "change `duration` or the pauses' ranges"
    )
