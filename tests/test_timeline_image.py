"""The timeline image, checked pixel by pixel: each lane has its colour where the timeline plans
something and nothing where it does not; the loudness panel; speed on a long session; labels."""

from __future__ import annotations

import time

import numpy as np
import pytest
from helpers import script_text
from PIL import Image
from test_review import BODY, _deliver

from sessiongen import review, timefmt
from sessiongen.model.script import Breathe, Tone
from sessiongen.plan import Event, Timeline
from sessiongen.review import timeline_image


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """A 40-second session with every lane, rendered with the fake engine."""
    return _deliver(tmp_path_factory.mktemp("image"), script_text(BODY, id="calm-test", duration="40s"), "calm.mp3")


def _events(tl: Timeline, kind: str, under: bool = False) -> list[Event]:
    return [e for e in tl.events if e.kind == kind and e.under == under]


# --- the image ------------------------------------------------------------------------------------


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def _pixel(rect, duration_s: float, seconds: float, lane: str) -> tuple[int, int]:
    """Where a moment of a lane is on the image (x, y in pixels from the top left)."""
    left, bottom, width, height = rect
    lanes = len(timeline_image.LANES)
    x = (left + width * seconds / duration_s) * timeline_image.IMAGE_PX[0]
    y = (1 - (bottom + height * (timeline_image.lane_y(lane) + 0.5) / lanes)) * timeline_image.IMAGE_PX[1]
    return round(x), round(y)


def _share(image: np.ndarray, rect, duration_s: float, start_s: float, end_s: float, lane: str, colour: str) -> float:
    """The share of pixels of `colour` in the middle of a lane between two times."""
    x0, y = _pixel(rect, duration_s, start_s, lane)
    x1, _ = _pixel(rect, duration_s, end_s, lane)
    patch = image[y - 8 : y + 9, x0 : x1 + 1].reshape(-1, 3)
    return float(np.mean(np.all(np.abs(patch - _rgb(colour)) <= 2, axis=1)))


def _middle(tl: Timeline, event: Event) -> tuple[float, float]:
    """The inner 60 % of an event, in seconds."""
    start_s, length_s = tl.seconds(event.start), tl.seconds(event.frames)
    return start_s + 0.2 * length_s, start_s + 0.8 * length_s


def test_png_is_1600_by_700_and_draws_every_lane(delivered, tmp_path):
    tl = delivered.rendered.timeline
    path = review.timeline_png(tl, tmp_path / "t.png", delivered.rendered.delivered.momentary_lufs, "Calm test", target_lufs=-16)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == timeline_image.IMAGE_PX
        pixels = np.asarray(image.convert("RGB")).astype(int)
    rect, duration_s = timeline_image.LANES_RECT, tl.duration_s
    bls_set, underlay = _events(tl, "bls")[0], _events(tl, "bls", under=True)[0]
    share = lambda event, lane, colour: _share(pixels, rect, duration_s, *_middle(tl, event), lane, colour)  # noqa: E731
    assert share(bls_set, "bilateral", timeline_image.COLOURS["bilateral"]) > 0.3
    assert share(underlay, "bilateral", timeline_image.COLOURS["underlay"]) > 0.3
    assert share(underlay, "bilateral", timeline_image.COLOURS["bilateral"]) == 0  # an underlay is drawn lighter
    assert share(_events(tl, "speech")[0], "voice", timeline_image.COLOURS["voice"]) > 0.5
    assert share(_events(tl, "breathe")[0], "breathing", timeline_image.COLOURS["breathing"]) > 0.3
    rain = next(e for e in tl.events if e.kind == "ambience" and e.bed == "rain")
    assert (
        _share(pixels, rect, duration_s, tl.seconds(rain.start) + 1, duration_s - 1, "ambience", timeline_image.COLOURS["ambience"]) > 0.3
    )
    # where nothing is planned, nothing is drawn: no tones during the first phrase
    first = _events(tl, "speech")[0]
    assert share(first, "bilateral", timeline_image.COLOURS["bilateral"]) == 0
    assert share(first, "bilateral", timeline_image.COLOURS["underlay"]) == 0
    bell_s = tl.seconds(_events(tl, "bell")[0].start)
    assert _share(pixels, rect, duration_s, bell_s - 0.2, bell_s + 0.2, "bells", timeline_image.COLOURS["bells"]) > 0.05
    assert _share(pixels, rect, duration_s, 0.5, bell_s - 2, "bells", timeline_image.COLOURS["bells"]) == 0


def test_png_without_a_loudness_curve_uses_the_whole_height(delivered, tmp_path):
    tl = delivered.rendered.timeline
    path = review.timeline_png(tl, tmp_path / "lanes.png")
    with Image.open(path) as image:
        assert image.size == timeline_image.IMAGE_PX
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert (
        _share(
            pixels,
            timeline_image.LANES_RECT_ALONE,
            tl.duration_s,
            *_middle(tl, _events(tl, "bls")[0]),
            "bilateral",
            timeline_image.COLOURS["bilateral"],
        )
        > 0.3
    )
    assert [p.name for p in tmp_path.iterdir()] == ["lanes.png"]  # written atomically: no temporary file left


def _long_timeline(minutes: int = 30, rate_hz: int = 44_100) -> Timeline:
    """A synthetic session: a phrase every 6 s, sets, underlays, bells and breathing."""
    s = lambda seconds: int(seconds * rate_hz)  # noqa: E731
    events = [Event("ambience", 0, 0, bed="brown"), Event("ambience", s(600), 0, bed="rain")]
    for start in range(0, minutes * 60, 6):
        events.append(Event("speech", s(start), s(4), text=f"Phrase at {start} seconds."))
    for start in range(90, minutes * 60, 180):
        events += [
            Event("bls", s(start), s(30), tone=Tone(rate_hz=1.0)),
            Event("bls", s(start + 60), s(40), tone=Tone(rate_hz=0.5), under=True),
        ]
        events += [Event("bell", s(start + 120), s(3)), Event("breathe", s(start + 130), s(40), breathe=Breathe(in_s=4, out_s=6, rounds=4))]
    chapters = tuple((f"Chapter {n}", s(n * 300)) for n in range(minutes // 5))
    return Timeline(
        rate_hz=rate_hz, frames=s(minutes * 60), chapters=chapters, events=tuple(sorted(events, key=lambda e: e.start)), title="Long"
    )


def test_png_of_a_30_minute_session_takes_under_2_seconds(tmp_path):
    tl = _long_timeline()
    momentary = np.random.default_rng(1).normal(-20.0, 5.0, int(tl.duration_s * 10))
    review.timeline_png(_long_timeline(1), tmp_path / "warm.png", momentary[:600])  # imports matplotlib
    started = time.perf_counter()
    review.timeline_png(tl, tmp_path / "long.png", momentary, target_lufs=-16)
    assert time.perf_counter() - started < 2.0
    with Image.open(tmp_path / "long.png") as image:
        assert image.size == timeline_image.IMAGE_PX


def test_integrated_loudness_from_the_momentary_curve_matches_the_meter(delivered):
    d = delivered.rendered.delivered
    assert timeline_image.integrated_lufs(d.momentary_lufs) == pytest.approx(d.integrated_lufs, abs=0.05)
    assert timeline_image.integrated_lufs(np.full(10, -np.inf)) == -np.inf


def test_labels():
    assert [timeline_image.rate_label(r) for r in (1.0, 0.8, 1.25, 2)] == ["1.0/s", "0.8/s", "1.25/s", "2.0/s"]
    assert timefmt.mmss(0) == "00:00" and timefmt.mmss(754.6) == "12:35" and timefmt.mmss(4500) == "75:00"
    assert timeline_image.fitted("A long chapter title", 1000) == "A long chapter title"
    assert timeline_image.fitted("A long chapter title", 60).endswith("…") and timeline_image.fitted("A long chapter title", 20) == ""
    assert timeline_image.breathe_label(Event("breathe", 0, 1, breathe=Breathe(in_s=4, hold_s=7, out_s=8, rounds=4))) == "4-7-8 ×4"


def test_the_loudness_panel_draws_the_voice_level(delivered, tmp_path):
    """A horizontal line in the voice's colour across the loudness panel, only when given."""
    tl, rendered = delivered.rendered.timeline, delivered.rendered
    rows = []
    for voice in (rendered.voice_lufs, None):
        path = review.timeline_png(tl, tmp_path / f"v{voice}.png", rendered.delivered.momentary_lufs, target_lufs=-16, voice_lufs=voice)
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB")).astype(int)
        left, bottom, width, height = timeline_image.LOUDNESS_RECT
        w, h = timeline_image.IMAGE_PX
        panel = pixels[int((1 - bottom - height) * h) : int((1 - bottom) * h), int(left * w) : int((left + width) * w)]
        is_voice = np.all(np.abs(panel - _rgb(timeline_image.COLOURS["voice"])) <= 2, axis=2)
        rows.append(is_voice.mean(axis=1).max())  # the share of the panel's width of the fullest row
    assert rows[0] > 0.8 and rows[1] == 0
