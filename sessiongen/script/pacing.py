"""Pacing: Script -> Script. Scales pauses and, for sleep-oriented sessions, eases the ending.

A passage between `[pace N%]` and `[pace off]` (script/paces.py) is spoken at N % of the rate
(the session's, scaled for the language), each of its phrases keyed and cached at that rate.

With `slow_ending`, the last part of the narration slows gradually: each phrase's speech rate
falls towards ENDING_RATE_FACTOR of the set rate and the pauses around it stretch towards
ENDING_PAUSE_FACTOR, so the session winds down rather than stopping.
"""

from __future__ import annotations

from dataclasses import replace

from sessiongen.model.script import HeadphoneCheck, Pause, Say, Script
from sessiongen.settings import Settings
from sessiongen.words import rate_for

ENDING_FRACTION = 0.3  # of the narration's phrases
ENDING_RATE_FACTOR = 0.85
ENDING_PAUSE_FACTOR = 1.5
PAUSE_SCALE_RANGE = (0.5, 2.0)
HEADPHONE_FRAGMENT = "headphone-note"


def _ending_progress(index: int, total: int) -> float:
    """0 before the ending starts, rising to 1 at the last phrase."""
    first = total - max(1, round(total * ENDING_FRACTION))
    if total <= 1 or index < first:
        return 0.0
    return (index - first + 1) / (total - first)


def without_headphone_check(script: Script) -> Script:
    """The script without its headphone check: the headphone-note fragment and any [headphone-check]."""
    kept = tuple(n for n in script.nodes if n.fragment != HEADPHONE_FRAGMENT and not isinstance(n, HeadphoneCheck))
    return replace(script, nodes=kept)


def pace(script: Script, settings: Settings) -> Script:
    if not settings.headphone_check:
        script = without_headphone_check(script)
    base_rate = rate_for(script.meta.language, settings.rate_wpm)  # Spanish a little slower: words.py
    paced = any(isinstance(n, Say) and n.pace != 1.0 for n in script.nodes)  # [pace N%] passages
    if settings.pause_scale == 1.0 and not settings.slow_ending and base_rate == settings.rate_wpm and not paced:
        return script
    total = sum(isinstance(n, Say) for n in script.nodes)
    said, progress, out = 0, 0.0, []
    for node in script.nodes:
        if isinstance(node, Say):
            progress = _ending_progress(said, total) if settings.slow_ending else 0.0
            said += 1
        stretch = settings.pause_scale * (1.0 + (ENDING_PAUSE_FACTOR - 1.0) * progress)
        if isinstance(node, Say):
            rate = round(base_rate * node.pace * (1.0 - (1.0 - ENDING_RATE_FACTOR) * progress))
            node = replace(node, rate_wpm=rate if rate != settings.rate_wpm else None, gap_scale=stretch)
        elif isinstance(node, Pause):
            node = replace(node, min_s=node.min_s * stretch, max_s=node.max_s * stretch)
        out.append(node)
    return replace(script, nodes=tuple(out))
