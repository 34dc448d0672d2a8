"""Review before sending: the report page (no network, everything escaped, chapters and cues
inside), the batch index, and the page in a real headless Chromium (player, chapter seeking, the
transcript following playback). The timeline image has tests/test_timeline_image.py."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import script_text
from mutagen.mp3 import MP3

from sessiongen import pipeline, review
from sessiongen.batch.jobs import Outcome
from sessiongen.output.sidecars import vtt
from sessiongen.review.report_page import vtt_cues
from sessiongen.settings import Settings

HOSTILE = "<script>alert(1)</script>"
BODY = (
    "# Arriving\nWelcome. Let yourself settle, in your own time.\n[bls 5s rate=1.0]\n"
    "# Middle & <More>\n[bls on rate=0.5]\nYou might notice your feet on the floor. Rest here for a while.\n[bls off]\n"
    "[bell]\n[breathe in=2 out=3 rounds=2]\n[ambience rain]\nRest here, with the rain.\n[pause 3s..20s]\n"
    "# Returning\nWhen you are ready, open your eyes. Thank you.\n"
)
DOCS = Path(__file__).resolve().parent.parent / "docs"


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


def test_importing_the_review_leaves_matplotlib_unloaded():
    code = (
        "import sys\n"
        "from sessiongen import review\n"
        "assert review.write_review and review.timeline_png and review.batch_index\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


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
    chapters = re.findall(
        r'<a class="seek chapter" href="[^"]*#t=([\d.]+)" data-start="([\d.]+)">.*?<span class="title">(.*?)</span>', text
    )
    assert [(float(start), title) for _, start, title in chapters] == [(round(tl.seconds(s), 3), html.escape(t)) for t, s in tl.chapters]
    assert "Middle &amp; &lt;More&gt;" in text


def test_page_embeds_the_cues_of_the_transcript(delivered):
    text = _page(delivered)
    vtt_text = Path(delivered.rendered.path).with_suffix(".vtt").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="cue-data">(.*?)</script>', text, re.DOTALL).group(1)
    cues = json.loads(data)
    assert cues == vtt_cues(vtt_text)
    assert len(cues) == vtt_text.count(" --> ") > 5
    assert {"Welcome.", "Let yourself settle, in your own time.", "[bell]"} <= {c["text"] for c in cues}
    # the same cues as a plain list, for reading without script
    assert len(re.findall(r'<li class="cue (?:speech|sound)" id="cue-\d+"', text)) == len(cues)


def _hostile_page(tmp_path) -> str:
    text = script_text(BODY.replace("# Returning", f"# Returning {HOSTILE}"), id="calm-test", duration="40s")
    text = text.replace("title: Test Session", f'title: "{HOSTILE}"')
    result = _deliver(tmp_path, text)
    page = review.report_html(
        tmp_path / "pipeline.html",
        audio_file=result.rendered.path,
        timeline=result.rendered.timeline,
        manifest=result.manifest,
        vtt_text=vtt(result.rendered.timeline) + f"\n00:00:01.000 --> 00:00:02.000\n</script>{HOSTILE}\n",
        png_file=None,
        client_id=HOSTILE,
        techniques=[HOSTILE],
        cautions=[HOSTILE],
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
    page = review.report_html(
        tmp_path / "p.html",
        audio_file=r.path,
        timeline=r.timeline,
        manifest={},
        vtt_text="WEBVTT\n",
        png_file=None,
        techniques=[],
        cautions=[],
    )
    text = page.read_text(encoding="utf-8")
    assert "<img" not in text and "None listed" in text
    assert 'src="../' in text  # the audio elsewhere: a relative link to it


def test_vtt_cues_reads_identifiers_settings_and_tags():
    text = (
        "WEBVTT\nKind: captions\n\nNOTE a note\n\nintro\n00:01.500 --> 00:00:03.000 align:start\n<v Guide>Hello &amp; <i>welcome</i>\n"
        "second line\n\n01:00:00.000 --> 01:00:01.250\n[bell]\n"
    )
    assert vtt_cues(text) == [
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
    """Pause, move the playhead and wait for the player's own 'seeked' handler (registered by the
    page before ours, so it has run when ours does). Never requestAnimationFrame: a headless page
    that Chromium counts as hidden runs no frames, and the test hung for good (once, under load).
    A seek that never ends fails the test within 15 s instead of hanging it."""
    page.evaluate(
        """(t) => new Promise((done, fail) => {
            const audio = document.getElementById('player');
            audio.pause();
            const late = setTimeout(() => fail(new Error('no seeked event within 15 s')), 15000);
            audio.addEventListener('seeked', () => { clearTimeout(late); done(); }, {once: true});
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
    result = pipeline.deliver(
        prepared, {"name": "Sam"}, settings, tmp_path / "C022-butterfly-hug.mp3", pipeline.Packaging(sidecars=("vtt", "manifest"))
    )
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
