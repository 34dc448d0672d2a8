"""Review before sending: the timeline image (checked pixel by pixel), the report page (no
network, everything escaped, chapters and cues inside), the batch index, and the page in a real
headless Chromium (player, chapter seeking, the transcript following playback)."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import script_text
from mutagen.mp3 import MP3
from PIL import Image

from sessiongen.review import page as review
from sessiongen import pipeline
from sessiongen.batch.jobs import Outcome
from sessiongen.model.script import Breathe, Tone
from sessiongen.settings import Settings
from sessiongen.output.sidecars import vtt
from sessiongen.plan import Event, Timeline

HOSTILE = "<script>alert(1)</script>"
BODY = (
    "# Arriving\nWelcome. Let yourself settle, in your own time.\n[bls 5s rate=1.0]\n"
    "# Middle & <More>\n[bls on rate=0.5]\nYou might notice your feet on the floor. Rest here for a while.\n[bls off]\n"
    "[bell]\n[breathe in=2 out=3 rounds=2]\n[ambience rain]\nRest here, with the rain.\n[pause 3s..20s]\n"
    "# Returning\nWhen you are ready, open your eyes. Thank you.\n"
)
DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def _deliver(folder: Path, text: str, name: str = "pipeline.mp3", values=None) -> pipeline.Delivery:
    source = folder / (Path(name).stem + ".md")
    source.write_text(text, encoding="utf-8")
    script = pipeline.load(str(source))
    settings = Settings(engine="fake")
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(script, values or {}, settings, root)
    return pipeline.deliver(prepared, values or {}, settings, folder / name, pipeline.Packaging(sidecars=("vtt", "manifest")))


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """A 40-second session with every lane, rendered with the fake engine, and its review."""
    folder = tmp_path_factory.mktemp("review")
    result = _deliver(folder, script_text(BODY, id="calm-test", duration="40s"), "calm test #1.mp3")
    review.write_review(result, client_id="C-022", techniques=["calm-test"], cautions=["Not while driving."])
    return result


def _events(tl: Timeline, kind: str, under: bool = False) -> list[Event]:
    return [e for e in tl.events if e.kind == kind and e.under == under]


# --- the image ------------------------------------------------------------------------------------


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def _pixel(rect, duration_s: float, seconds: float, lane: str) -> tuple[int, int]:
    """Where a moment of a lane is on the image (x, y in pixels from the top left)."""
    left, bottom, width, height = rect
    lanes = len(review.LANES)
    x = (left + width * seconds / duration_s) * review.IMAGE_PX[0]
    y = (1 - (bottom + height * (review.lane_y(lane) + 0.5) / lanes)) * review.IMAGE_PX[1]
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
        assert image.format == "PNG" and image.size == review.IMAGE_PX
        pixels = np.asarray(image.convert("RGB")).astype(int)
    rect, duration_s = review.LANES_RECT, tl.duration_s
    bls_set, underlay = _events(tl, "bls")[0], _events(tl, "bls", under=True)[0]
    share = lambda event, lane, colour: _share(pixels, rect, duration_s, *_middle(tl, event), lane, colour)  # noqa: E731
    assert share(bls_set, "bilateral", review.COLOURS["bilateral"]) > 0.3
    assert share(underlay, "bilateral", review.COLOURS["underlay"]) > 0.3
    assert share(underlay, "bilateral", review.COLOURS["bilateral"]) == 0  # an underlay is drawn lighter
    assert share(_events(tl, "speech")[0], "voice", review.COLOURS["voice"]) > 0.5
    assert share(_events(tl, "breathe")[0], "breathing", review.COLOURS["breathing"]) > 0.3
    rain = next(e for e in tl.events if e.kind == "ambience" and e.bed == "rain")
    assert _share(pixels, rect, duration_s, tl.seconds(rain.start) + 1, duration_s - 1, "ambience", review.COLOURS["ambience"]) > 0.3
    # where nothing is planned, nothing is drawn: no tones during the first phrase
    first = _events(tl, "speech")[0]
    assert share(first, "bilateral", review.COLOURS["bilateral"]) == 0
    assert share(first, "bilateral", review.COLOURS["underlay"]) == 0
    bell_s = tl.seconds(_events(tl, "bell")[0].start)
    assert _share(pixels, rect, duration_s, bell_s - 0.2, bell_s + 0.2, "bells", review.COLOURS["bells"]) > 0.05
    assert _share(pixels, rect, duration_s, 0.5, bell_s - 2, "bells", review.COLOURS["bells"]) == 0


def test_png_without_a_loudness_curve_uses_the_whole_height(delivered, tmp_path):
    tl = delivered.rendered.timeline
    path = review.timeline_png(tl, tmp_path / "lanes.png")
    with Image.open(path) as image:
        assert image.size == review.IMAGE_PX
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert _share(pixels, review.LANES_RECT_ALONE, tl.duration_s, *_middle(tl, _events(tl, "bls")[0]), "bilateral", review.COLOURS["bilateral"]) > 0.3
    assert [p.name for p in tmp_path.iterdir()] == ["lanes.png"]  # written atomically: no temporary file left


def _long_timeline(minutes: int = 30, rate_hz: int = 44_100) -> Timeline:
    """A synthetic session: a phrase every 6 s, sets, underlays, bells and breathing."""
    s = lambda seconds: int(seconds * rate_hz)  # noqa: E731
    events = [Event("ambience", 0, 0, bed="brown"), Event("ambience", s(600), 0, bed="rain")]
    for start in range(0, minutes * 60, 6):
        events.append(Event("speech", s(start), s(4), text=f"Phrase at {start} seconds."))
    for start in range(90, minutes * 60, 180):
        events += [Event("bls", s(start), s(30), tone=Tone(rate_hz=1.0)), Event("bls", s(start + 60), s(40), tone=Tone(rate_hz=0.5), under=True)]
        events += [Event("bell", s(start + 120), s(3)), Event("breathe", s(start + 130), s(40), breathe=Breathe(in_s=4, out_s=6, rounds=4))]
    chapters = tuple((f"Chapter {n}", s(n * 300)) for n in range(minutes // 5))
    return Timeline(rate_hz=rate_hz, frames=s(minutes * 60), chapters=chapters, events=tuple(sorted(events, key=lambda e: e.start)), title="Long")


def test_png_of_a_30_minute_session_takes_under_2_seconds(tmp_path):
    tl = _long_timeline()
    momentary = np.random.default_rng(1).normal(-20.0, 5.0, int(tl.duration_s * 10))
    review.timeline_png(_long_timeline(1), tmp_path / "warm.png", momentary[:600])  # imports matplotlib
    started = time.perf_counter()
    review.timeline_png(tl, tmp_path / "long.png", momentary, target_lufs=-16)
    assert time.perf_counter() - started < 2.0
    with Image.open(tmp_path / "long.png") as image:
        assert image.size == review.IMAGE_PX


def test_integrated_loudness_from_the_momentary_curve_matches_the_meter(delivered):
    d = delivered.rendered.delivered
    assert review.integrated_lufs(d.momentary_lufs) == pytest.approx(d.integrated_lufs, abs=0.05)
    assert review.integrated_lufs(np.full(10, -np.inf)) == -np.inf


def test_labels():
    assert [review.rate_label(r) for r in (1.0, 0.8, 1.25, 2)] == ["1.0/s", "0.8/s", "1.25/s", "2.0/s"]
    assert review.mmss(0) == "00:00" and review.mmss(754.6) == "12:35" and review.mmss(4500) == "75:00"
    assert review.fitted("A long chapter title", 1000) == "A long chapter title"
    assert review.fitted("A long chapter title", 60).endswith("…") and review.fitted("A long chapter title", 20) == ""
    assert review.breathe_label(Event("breathe", 0, 1, breathe=Breathe(in_s=4, hold_s=7, out_s=8, rounds=4))) == "4-7-8 ×4"


# --- the report page ------------------------------------------------------------------------------


def _page(delivered) -> str:
    return review.review_paths(delivered.rendered.path)[0].read_text(encoding="utf-8")


def test_review_files_sit_beside_the_audio(delivered):
    audio = delivered.rendered.path
    page, png = review.review_paths(audio)
    assert (page.name, png.name) == ("calm test #1.html", "calm test #1.timeline.png")
    assert page.is_file() and png.is_file()
    assert sorted(p.name for p in audio.parent.iterdir() if p.name.startswith(".")) == []  # no temporary files


def test_page_loads_nothing_from_the_network(delivered):
    text = _page(delivered)
    assert not re.search(r"https?:", text, re.IGNORECASE)
    assert not re.search(r"""(src|href|action|poster|data)\s*=\s*["']?\s*//""", text, re.IGNORECASE)
    assert not re.search(r"url\(|@import|<link|<iframe|<object|<embed|fetch\(|XMLHttpRequest", text, re.IGNORECASE)
    sources = re.findall(r"""\ssrc="([^"]*)\"""", text)
    assert all(s == "calm%20test%20%231.mp3" or s.startswith("data:image/png;base64,") for s in sources), sources
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_audio_is_linked_by_its_relative_name_not_embedded(delivered):
    text = _page(delivered)
    assert '<audio id="player" controls preload="metadata" src="calm%20test%20%231.mp3"' in text
    assert "data:audio" not in text
    assert len(text.encode()) < delivered.rendered.path.stat().st_size


def test_page_lists_every_chapter_with_its_start(delivered):
    text, tl = _page(delivered), delivered.rendered.timeline
    chapters = re.findall(r'<a class="seek chapter" href="[^"]*#t=([\d.]+)" data-start="([\d.]+)">.*?<span class="title">(.*?)</span>', text)
    assert [(float(start), title) for _, start, title in chapters] == [(round(tl.seconds(s), 3), html.escape(t)) for t, s in tl.chapters]
    assert "Middle &amp; &lt;More&gt;" in text


def test_page_embeds_the_cues_of_the_transcript(delivered):
    text = _page(delivered)
    vtt_text = Path(delivered.rendered.path).with_suffix(".vtt").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="cue-data">(.*?)</script>', text, re.DOTALL).group(1)
    cues = json.loads(data)
    assert cues == review.vtt_cues(vtt_text)
    assert len(cues) == vtt_text.count(" --> ") > 5
    assert {"Welcome.", "Let yourself settle, in your own time.", "[bell]"} <= {c["text"] for c in cues}
    # the same cues as a plain list, for reading without script
    assert len(re.findall(r'<li class="cue (?:speech|sound)" id="cue-\d+"', text)) == len(cues)


def _hostile_page(tmp_path) -> str:
    text = script_text(BODY.replace("# Returning", f"# Returning {HOSTILE}"), id="calm-test", duration="40s")
    text = text.replace("title: Test Session", f'title: "{HOSTILE}"')
    result = _deliver(tmp_path, text)
    page = review.report_html(
        tmp_path / "pipeline.html", audio_file=result.rendered.path, timeline=result.rendered.timeline, manifest=result.manifest,
        vtt_text=vtt(result.rendered.timeline) + f"\n00:00:01.000 --> 00:00:02.000\n</script>{HOSTILE}\n",
        png_file=None, client_id=HOSTILE, techniques=[HOSTILE], cautions=[HOSTILE],
    )
    return page.read_text(encoding="utf-8")


def test_page_escapes_every_text(tmp_path):
    text = _hostile_page(tmp_path)
    assert HOSTILE not in text and "alert(1)</script>" not in text
    assert text.count("<script") == 2  # the cues (JSON) and the page's own script
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # title, heading, client, technique, caution, chapter
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; — review</title>" in text


def test_page_without_an_image_or_cautions(delivered, tmp_path):
    r = delivered.rendered
    page = review.report_html(tmp_path / "p.html", audio_file=r.path, timeline=r.timeline, manifest={}, vtt_text="WEBVTT\n", png_file=None, techniques=[], cautions=[])
    text = page.read_text(encoding="utf-8")
    assert "<img" not in text and "None listed" in text
    assert 'src="../' in text  # the audio elsewhere: a relative link to it


def test_vtt_cues_reads_identifiers_settings_and_tags():
    text = "WEBVTT\nKind: captions\n\nNOTE a note\n\nintro\n00:01.500 --> 00:00:03.000 align:start\n<v Guide>Hello &amp; <i>welcome</i>\nsecond line\n\n01:00:00.000 --> 01:00:01.250\n[bell]\n"
    assert review.vtt_cues(text) == [
        {"start": 1.5, "end": 3.0, "text": "Hello & welcome\nsecond line"},
        {"start": 3600.0, "end": 3601.25, "text": "[bell]"},
    ]


# --- the batch index ------------------------------------------------------------------------------


def test_batch_index_lists_every_row(delivered, tmp_path):
    audio = delivered.rendered.path
    rows = [
        dataclasses.asdict(Outcome(2, "C-022", "calm-test", str(audio), "rendered", duration_s=40.2)),
        dataclasses.asdict(Outcome(1, HOSTILE, "box-breathing", "", "invalid", error=f"unknown column {HOSTILE}")),
        dataclasses.asdict(Outcome(3, "C-023", "safe-place", str(tmp_path / "c023.mp3"), "failed", error="disk full")),
    ]
    page = review.batch_index(audio.parent, rows)
    assert page == audio.parent / "index.html"
    text = page.read_text(encoding="utf-8")
    body = re.findall(r"<tr>(.*?)</tr>", text.split("<tbody>")[1])
    assert len(body) == 3 and "C-022" in body[1] and "C-023" in body[2]  # in roster order
    assert '<a href="calm%20test%20%231.mp3">calm test #1.mp3</a>' in body[1]
    assert '<a href="calm%20test%20%231.html">Review' in body[1] and "0:40" in body[1]
    assert "<a " not in body[0] + body[2] and "disk full" in body[2]  # nothing to link for a failed row
    assert HOSTILE not in text and "&lt;script&gt;" in text
    assert "3 rows: 1 invalid, 1 rendered, 1 failed" in text
    assert not re.search(r"https?:|<link|url\(", text)


# --- the page in a real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run tests/browser/setup.sh (as root, with apt) to install it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, page_file: Path, **options):
    """A page at the report, recording every request it makes."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, **options)
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(page_file.as_uri())
    if options.get("java_script_enabled", True):
        page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=15_000)
    return page


def _seek(page, seconds: float) -> None:
    """Pause, move the playhead and wait for the player's own events to run."""
    page.evaluate(
        """(t) => new Promise((done) => {
            const audio = document.getElementById('player');
            audio.pause();
            audio.addEventListener('seeked', () => requestAnimationFrame(() => done()), {once: true});
            audio.currentTime = t;
        })""",
        seconds,
    )


def _current(page) -> list[str]:
    return page.eval_on_selector_all("#transcript li.current", "items => items.map(i => i.id)")


def _current_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_report_in_chromium_plays_seeks_and_follows(browser, delivered):
    page_file, _ = review.review_paths(delivered.rendered.path)
    page = _open(browser, page_file)
    duration_s = page.evaluate("document.getElementById('player').duration")
    assert duration_s == pytest.approx(MP3(delivered.rendered.path).info.length, abs=0.2)
    assert duration_s == pytest.approx(delivered.manifest["output"]["duration_s"], abs=0.2)
    tl = delivered.rendered.timeline
    for i, (title, start) in enumerate(tl.chapters):  # each chapter link seeks the player
        page.click(f"a.chapter >> nth={i}")
        assert _current_time(page) == pytest.approx(tl.seconds(start), abs=0.5), title
        assert page.get_attribute(f"a.chapter >> nth={i}", "aria-current") == "true"
    _seek(page, 0.0)
    page.focus("a.chapter >> nth=1")  # and from the keyboard
    page.keyboard.press("Enter")
    assert _current_time(page) == pytest.approx(tl.seconds(tl.chapters[1][1]), abs=0.5)
    cues = json.loads(page.text_content("#cue-data"))
    for index in [i for i, c in enumerate(cues) if not c["text"].startswith("[")][:4]:  # the highlight follows the playhead
        _seek(page, (cues[index]["start"] + cues[index]["end"]) / 2)
        assert f"cue-{index}" in _current(page), cues[index]
        assert page.get_attribute(f"#cue-{index}", "aria-current") == "true"
    assert all(url.startswith(("file://", "data:")) for url in page.requests), page.requests
    page.close()


def test_the_highlight_moves_on_while_playing(browser, delivered):
    page = _open(browser, review.review_paths(delivered.rendered.path)[0])
    cues = json.loads(page.text_content("#cue-data"))
    first = next(i for i, c in enumerate(cues) if c["end"] - c["start"] < 5 and not c["text"].startswith("["))
    _seek(page, max(0.0, cues[first]["end"] - 0.6))
    assert f"cue-{first}" in _current(page)
    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function("(id) => !document.getElementById(id).classList.contains('current')", arg=f"cue-{first}", timeout=10_000)
    assert _current_time(page) >= cues[first]["end"]
    page.close()


def test_report_reads_without_javascript(browser, delivered):
    page = _open(browser, review.review_paths(delivered.rendered.path)[0], java_script_enabled=False)
    tl = delivered.rendered.timeline
    assert page.locator("#chapters li").count() == len(tl.chapters)
    assert page.locator("#transcript li").count() > 5 and page.locator("#transcript li").first.is_visible()
    assert not page.locator("#follow").is_visible()  # the follow switch needs the script
    assert page.locator("img[alt^='Timeline of the session']").is_visible()
    page.close()


@pytest.mark.skipif(os.environ.get("SESSIONGEN_DOC_SHOTS") != "1", reason="set SESSIONGEN_DOC_SHOTS=1 to refresh the screenshots in docs/")
def test_screenshots_for_the_docs(browser, tmp_path):
    """docs/review-page.png, docs/review-playing.png and docs/review-timeline.png, from a library technique."""
    script = pipeline.load("butterfly-hug")
    settings = Settings(engine="fake")
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(script, {"name": "Sam"}, settings, root)
    result = pipeline.deliver(prepared, {"name": "Sam"}, settings, tmp_path / "C022-butterfly-hug.mp3", pipeline.Packaging(sidecars=("vtt", "manifest")))
    png, _ = review.write_review(result, client_id="C022", techniques=[script.meta.id], cautions=list(script.meta.cautions))
    page = _open(browser, review.review_paths(result.rendered.path)[0], color_scheme="light")
    page.screenshot(path=str(DOCS / "review-page.png"))
    cues = json.loads(page.text_content("#cue-data"))
    middle = next(i for i, c in enumerate(cues) if c["start"] > result.rendered.timeline.duration_s / 2 and not c["text"].startswith("["))
    _seek(page, cues[middle]["start"] + 0.5)
    page.locator(".columns").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.querySelector('.columns').offsetTop - 190)")
    page.screenshot(path=str(DOCS / "review-playing.png"))
    shutil.copyfile(png, DOCS / "review-timeline.png")
    page.close()
