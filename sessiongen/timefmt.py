"""Times and durations as text: one function per form, each naming where it is used.

Every stage that prints a time uses this module (the plan's messages, the CLI, the sidecars, the
tags, the review page), so a form is written once. The caption forms round to the millisecond
(the LRC form to the centisecond) and carry over: 59.9996 s is 00:01:00.000, never 00:00:59.1000.
"""

from __future__ import annotations


def compact_duration(duration_s: float) -> str:
    """'45s', '2m', '1m30s', '1h5m' (whole seconds; '0s' for nothing).
    Used by the plan's messages about length and by `sessiongen techniques` and `plan`."""
    hours, rest = divmod(round(duration_s), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return "".join(parts) or "0s"


def clock(duration_s: float) -> str:
    """'0:05', '12:30', '1:05:00': m:ss, or h:mm:ss from an hour (whole seconds).
    Used by the CLI (render, plan, techniques show), the review page and the batch index."""
    hours, rest = divmod(int(round(duration_s)), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def mmss(duration_s: float) -> str:
    """'00:00', '12:30', '75:00': minutes (never hours) and seconds, whole seconds.
    Used by the timeline image (time axis and heading) and the LRC `[length:]` line."""
    minutes, seconds = divmod(int(round(duration_s)), 60)
    return f"{minutes:02d}:{seconds:02d}"


ENGLISH_UNITS = (("hour", "hours"), ("minute", "minutes"), ("second", "seconds"))


def spoken_duration(duration_s: float, units: tuple = ENGLISH_UNITS) -> str:
    """'30 seconds', '1 minute 30 seconds', '1 hour 5 minutes' (whole seconds, at least 1), with
    the (one, many) names of hours, minutes and seconds in `units` (a language's: words.py).
    Used by the transcript's descriptions of silences and bilateral sets (VTT, SRT, LRC)."""
    hours, rest = divmod(max(1, round(duration_s)), 3600)
    minutes, seconds = divmod(rest, 60)
    return " ".join(f"{n} {unit[n != 1]}" for n, unit in zip((hours, minutes, seconds), units) if n)


def vtt_timestamp(seconds: float) -> str:
    """'01:02:03.456': HH:MM:SS.mmm. Used by WebVTT cues and chapter notes (sidecars) and by the
    Vorbis CHAPTERnnn comments of FLAC and OGG files (tags)."""
    return _hms_ms(seconds, ".")


def srt_timestamp(seconds: float) -> str:
    """'01:02:03,456': HH:MM:SS,mmm (a comma before the milliseconds). Used by SubRip cues (sidecars)."""
    return _hms_ms(seconds, ",")


def lrc_timestamp(seconds: float) -> str:
    """'[01:02.35]': [mm:ss.xx] in hundredths, minutes past 59 as they are. Used by LRC lines (sidecars)."""
    minutes, centiseconds = divmod(round(seconds * 100), 6000)
    return f"[{minutes:02d}:{centiseconds // 100:02d}.{centiseconds % 100:02d}]"


def _hms_ms(seconds: float, mark: str) -> str:
    hours, rest_ms = divmod(round(seconds * 1000), 3_600_000)
    minutes, rest_ms = divmod(rest_ms, 60_000)
    secs, ms = divmod(rest_ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{mark}{ms:03d}"
