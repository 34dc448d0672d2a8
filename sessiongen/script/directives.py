"""Bracketed directives: `[name positional key=value ...]` -> a node or a control word."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sessiongen.errors import Location, SessiongenError, suggest
from sessiongen.model.script import Ambience, Bell, Bls, BlsOff, BlsOn, Breathe, HeadphoneCheck, Node, Pause, Tone
from sessiongen.script.durations import WHOLE_NUMBER, DurationError, parse_duration_s
from sessiongen.script.limits import MAX_REPEAT
from sessiongen.sound import catalog

MAX_PAUSE_S = 600.0
MAX_SET_S = 600.0
PACE_RANGE_PCT = (50.0, 150.0)  # [pace N%]: of the session's rate
_PERCENT = re.compile(r"([0-9]+(?:\.[0-9]+)?)%")
TONE_OPTIONS = ("rate", "tone", "depth", "pitch", "style", "jitter", "level")


@dataclass(frozen=True)
class Control:
    """A directive that shapes parsing rather than adding a node: repeat, end, include, pace."""

    word: str
    value: int | float | str | None = None


class _Args:
    """Positional words and key=value options of one directive, checked as they are used."""

    def __init__(self, name: str, words: list[str], where: Location):
        self.name, self.where = name, where
        self.positional = [w for w in words if "=" not in w]
        self.options = dict(w.split("=", 1) for w in words if "=" in w)

    def fail(self, message: str) -> SessiongenError:
        return SessiongenError(message, self.where)

    def allow(self, *, positional: int, options: tuple[str, ...] = ()) -> None:
        for key in self.options:
            if key not in options:
                raise self.fail(f"unknown option '{key}' for [{self.name}]{suggest(key, options)}")
        if len(self.positional) > positional:
            raise self.fail(f"unexpected '{self.positional[positional]}' in [{self.name}]")

    def duration(self, text: str, what: str) -> float:
        try:
            return parse_duration_s(text)
        except DurationError as exc:
            raise self.fail(f"{what}: {exc}") from None

    def number(self, key: str, default: float, lo: float, hi: float, unit: str = "") -> float:
        text = self.options.get(key)
        if text is None:
            return default
        try:
            if not text.isascii():  # float() takes other scripts' digits, and int() of them fails later
                raise ValueError(text)
            value = float(text)
        except ValueError:
            raise self.fail(f"{key} must be a number, not '{text}'") from None
        if not lo <= value <= hi:
            raise self.fail(f"{key} must be between {lo:g} and {hi:g}{unit}, not {text}")
        return value

    def whole(self, text: str | None, what: str, lo: int, hi: int) -> int:
        if text is None or not WHOLE_NUMBER.fullmatch(text) or not lo <= int(text) <= hi:
            raise self.fail(f"{what} must be a whole number from {lo} to {hi}")
        return int(text)


def parse(body: str, where: Location) -> Node | Control:
    words = body.split()
    if not words:
        raise SessiongenError("empty directive '[]': write e.g. [pause 5s], or \\[ for a literal bracket", where)
    name = words[0].lower()
    handler = _HANDLERS.get(name)
    if handler is None:
        raise SessiongenError(f"unknown directive '[{words[0]}]'{suggest(name, _HANDLERS)}", where)
    args = _Args(name, words[1:], where)
    return handler(args)


def _pause(a: _Args) -> Node:
    a.allow(positional=1)
    if not a.positional:
        raise a.fail("[pause] needs a duration, e.g. [pause 5s] or [pause 20s..60s]")
    text = a.positional[0]
    lo_text, sep, hi_text = text.partition("..")
    lo_s = a.duration(lo_text, "pause")
    hi_s = a.duration(hi_text, "pause") if sep else lo_s
    if sep and hi_s <= lo_s:
        raise a.fail(f"elastic pause needs MIN..MAX with MIN < MAX, not {text}")
    if hi_s > MAX_PAUSE_S:
        raise a.fail("pause is longer than 10 minutes: split it or shorten it")
    return Pause(where=a.where, min_s=lo_s, max_s=hi_s)


def _tone(a: _Args) -> Tone:
    rate_text = a.options.get("rate")
    if rate_text is not None:
        try:
            if not rate_text.isascii():
                raise ValueError(rate_text)
            rate = float(rate_text)
        except ValueError:
            raise a.fail(f"rate must be a number of cycles per second, not '{rate_text}'") from None
        if rate > catalog.BLS_RATE_MAX_HZ:
            raise a.fail(f"rate {rate_text} is above the cap of {catalog.BLS_RATE_MAX_HZ:g} cycles per second")
    timbre = a.options.get("tone", "sine")
    if timbre not in catalog.TIMBRES:
        raise a.fail(f"unknown tone '{timbre}'{suggest(timbre, catalog.TIMBRES)}: see `sessiongen sounds`")
    style = a.options.get("style", "alternate")
    if style not in catalog.STYLES:
        raise a.fail(f"unknown style '{style}'{suggest(style, catalog.STYLES)}: use alternate or sweep")
    if style == "sweep" and timbre != "sine":
        raise a.fail("style=sweep glides one continuous tone: use it with tone=sine")
    level = a.options.get("level")
    return Tone(
        rate_hz=a.number("rate", 1.0, catalog.BLS_RATE_MIN_HZ, catalog.BLS_RATE_MAX_HZ, " cycles per second"),
        timbre=timbre,
        depth_pct=a.number("depth", 100.0, 0.0, 100.0, " percent"),
        pitch_hz=a.number("pitch", 250.0, *catalog.PITCH_RANGE_HZ, " Hz"),
        style=style,
        jitter_pct=a.number("jitter", 0.0, 0.0, catalog.JITTER_MAX_PCT, " percent"),
        level_db=None if level is None else a.number("level", 0.0, *catalog.LEVEL_RANGE_DB, " dB"),
    )


def _bls(a: _Args) -> Node:
    mode = a.positional[0].lower() if a.positional else None
    if mode == "off":
        a.allow(positional=1)
        return BlsOff(where=a.where)
    a.allow(positional=1, options=TONE_OPTIONS + (() if mode == "on" else ("passes",)))
    tone = _tone(a)
    if mode == "on":
        return BlsOn(where=a.where, tone=tone)
    if mode is not None and "passes" in a.options:
        raise a.fail("give [bls] a duration or passes=N, not both")
    if "passes" in a.options:
        passes = a.whole(a.options["passes"], "passes", 1, 600)
        return Bls(where=a.where, duration_s=passes / tone.rate_hz, tone=tone)
    if mode is None:
        raise a.fail("[bls] needs a duration, passes=N, 'on' or 'off', e.g. [bls 30s rate=1.0]")
    duration_s = a.duration(mode, "bls")
    if duration_s > MAX_SET_S:
        raise a.fail("a bilateral set is longer than 10 minutes: split it or shorten it")
    passes = max(1, round(duration_s * tone.rate_hz))  # a set always ends on a completed pass
    return Bls(where=a.where, duration_s=passes / tone.rate_hz, tone=tone)


def _bell(a: _Args) -> Node:
    a.allow(positional=0)
    return Bell(where=a.where)


def _breathe(a: _Args) -> Node:
    a.allow(positional=0, options=("in", "hold", "out", "hold_out", "rounds", "cues"))
    if "in" not in a.options or "out" not in a.options:
        raise a.fail("[breathe] needs in= and out=, e.g. [breathe in=4 out=6 rounds=5]")
    phases = {}
    for key in ("in", "hold", "out", "hold_out"):
        if key in a.options:
            phases[key] = a.duration(a.options[key], key)
            if not 1.0 <= phases[key] <= 20.0:
                raise a.fail(f"each phase must be between 1 and 20 seconds, not {key}={a.options[key]}")
    cues = a.options.get("cues", "both")
    if cues not in ("voice", "tone", "both"):
        raise a.fail(f"cues must be voice, tone or both, not '{cues}'")
    return Breathe(
        where=a.where,
        in_s=phases["in"],
        hold_s=phases.get("hold", 0.0),
        out_s=phases["out"],
        hold_out_s=phases.get("hold_out", 0.0),
        rounds=a.whole(a.options.get("rounds", "5"), "rounds", 1, MAX_REPEAT),
        cues=cues,
    )


def _headphone_check(a: _Args) -> Node:
    a.allow(positional=0)
    return HeadphoneCheck(where=a.where)


def _repeat(a: _Args) -> Control:
    a.allow(positional=1)
    return Control("repeat", a.whole(a.positional[0] if a.positional else None, "repeat count", 1, MAX_REPEAT))


def _end(a: _Args) -> Control:
    a.allow(positional=0)
    return Control("end")


def _include(a: _Args) -> Control:
    a.allow(positional=1)
    if not a.positional:
        raise a.fail("[include] needs a fragment name, e.g. [include safety-opening]")
    return Control("include", a.positional[0])


def _pace(a: _Args) -> Control:
    """[pace 85%] ... [pace off]: the phrases between are spoken at that share of the session's rate."""
    a.allow(positional=1)
    if not a.positional:
        raise a.fail("[pace] needs a share of the session's rate or 'off', e.g. [pace 85%] ... [pace off]")
    text = a.positional[0]
    if text.lower() == "off":
        return Control("pace")
    found = _PERCENT.fullmatch(text)
    if not found:
        raise a.fail(f"pace must be a percentage of the session's rate, e.g. [pace 85%], not '{text}'")
    lo, hi = PACE_RANGE_PCT
    if not lo <= float(found.group(1)) <= hi:
        raise a.fail(f"pace {text} is out of range: a passage is spoken at {lo:g}% to {hi:g}% of the session's rate")
    return Control("pace", float(found.group(1)) / 100.0)


def _ambience(a: _Args) -> Node:
    a.allow(positional=1)
    if not a.positional:
        raise a.fail("[ambience] needs a bed name or 'off', e.g. [ambience rain]")
    name = a.positional[0]
    if name in ("off", "none"):
        return Ambience(where=a.where, name=None)
    if name not in catalog.BEDS:
        raise a.fail(f"unknown ambience '{name}'{suggest(name, catalog.BEDS)}: see `sessiongen sounds`")
    return Ambience(where=a.where, name=name)


_HANDLERS = {
    "pause": _pause,
    "bls": _bls,
    "bell": _bell,
    "headphone-check": _headphone_check,
    "breathe": _breathe,
    "repeat": _repeat,
    "end": _end,
    "include": _include,
    "ambience": _ambience,
    "pace": _pace,
}
NAMES = tuple(_HANDLERS)  # every directive's name
