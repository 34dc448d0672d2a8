"""Times as text: every form, including rounding that carries into the next unit."""

from __future__ import annotations

import pytest

from sessiongen import timefmt


@pytest.mark.parametrize(
    "seconds, text", [(0, "0s"), (0.4, "0s"), (45, "45s"), (120, "2m"), (90, "1m30s"), (3900, "1h5m"), (3601, "1h1s"), (59.6, "1m")]
)
def test_compact_duration(seconds, text):
    assert timefmt.compact_duration(seconds) == text


@pytest.mark.parametrize(
    "seconds, text", [(0, "0:00"), (5, "0:05"), (750, "12:30"), (3599.6, "1:00:00"), (3900, "1:05:00"), (36000, "10:00:00")]
)
def test_clock(seconds, text):
    assert timefmt.clock(seconds) == text


@pytest.mark.parametrize("seconds, text", [(0, "00:00"), (754.6, "12:35"), (4500, "75:00"), (59.5, "01:00")])
def test_mmss(seconds, text):
    assert timefmt.mmss(seconds) == text


@pytest.mark.parametrize(
    "seconds, text",
    [
        (30, "30 seconds"),
        (90.2, "1 minute 30 seconds"),
        (60, "1 minute"),
        (1, "1 second"),
        (0.2, "1 second"),
        (3725, "1 hour 2 minutes 5 seconds"),
    ],
)
def test_spoken_duration(seconds, text):
    assert timefmt.spoken_duration(seconds) == text


@pytest.mark.parametrize(
    "seconds, vtt, srt, lrc",
    [
        (0, "00:00:00.000", "00:00:00,000", "[00:00.00]"),
        (62.3456, "00:01:02.346", "00:01:02,346", "[01:02.35]"),
        (59.9996, "00:01:00.000", "00:01:00,000", "[01:00.00]"),
        (3723.004, "01:02:03.004", "01:02:03,004", "[62:03.00]"),
    ],
)
def test_caption_timestamps(seconds, vtt, srt, lrc):
    assert timefmt.vtt_timestamp(seconds) == vtt
    assert timefmt.srt_timestamp(seconds) == srt
    assert timefmt.lrc_timestamp(seconds) == lrc
