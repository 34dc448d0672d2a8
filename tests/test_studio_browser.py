"""The studio in a real headless Chromium (Debian's, driven by Playwright), started as a clinician
would start it: compose a two-technique session with a name and a bed, render it, follow the
progress, play and download the result; a batch of three rows with one invalid; the compose form
by keyboard alone. Page load times are measured and printed (not asserted).

`UPDATE_SCREENSHOTS=1 pytest tests/test_studio_browser.py` refreshes docs/studio-*.png."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from page_checks import accessibility_violations, holds

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"
NAME = "Zebedee Quillfeather"  # a personal value that must never reach the server's log
LOAD_TIMES_MS: dict[str, float] = {}
# the lowest contrast ratio (WCAG) of the text of labels, hints, legends, buttons and links against the page
CONTRAST = """() => {
  const lum = (c) => { const [r, g, b] = c.match(/[0-9.]+/g).slice(0, 3).map(Number).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const back = (e) => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; if (!c.endsWith(', 0)') && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
  let worst = 21;
  document.querySelectorAll('label, .hint, legend, button, a, p, h1, h2').forEach((e) => {
    const a = lum(getComputedStyle(e).color), b = lum(back(e));
    worst = Math.min(worst, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)); });
  return worst; }"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    data = tmp_path_factory.mktemp("studio-data")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests"), "SESSIONGEN_NO_NETWORK": "1", "PYTHONUNBUFFERED": "1"}
    log = open(data.parent / "studio.log", "w+", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "sessiongen", "studio", "--no-browser", "--data", str(data), "--engine", "fake", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=ROOT,
    )
    line = process.stdout.readline()
    match = re.search(r"(http://127\.\d+\.\d+\.\d+:\d+)/\?token=(\S+)", line)
    assert match, f"the studio did not start: {line!r}"
    yield {"base": match.group(1), "token": match.group(2), "data": data, "log": log, "process": process}
    process.terminate()
    process.wait(timeout=30)
    log.seek(0)
    text = log.read() + (process.stdout.read() or "")
    assert NAME not in text and "Zebedee" not in text, "a client's name reached the server's log"


@pytest.fixture
def page(browser, studio):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda request: tab.requests.append(request.url))
    tab.goto(f"{studio['base']}/?token={studio['token']}")
    yield tab
    foreign = [u for u in tab.requests if not u.startswith((studio["base"], "data:", "blob:"))]
    assert not foreign, f"requests left the studio: {foreign}"
    context.close()


def _load(page, url: str, name: str) -> None:
    page.goto(url)
    LOAD_TIMES_MS[name] = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; }"
    )


def _shot(page, name: str, full: bool = False) -> None:
    if SHOTS:
        page.screenshot(path=str(DOCS / f"studio-{name}.png"), full_page=full)


def test_library_compose_render_play_and_download(page, studio):
    base = studio["base"]
    _load(page, f"{base}/", "library")
    assert page.locator(".card").count() >= 20
    _shot(page, "library")
    page.fill("#q", "grounding")
    page.click("button:has-text('Show')")
    assert page.locator(".card h2").first.inner_text()
    _load(page, f"{base}/techniques/five-senses-grounding", "technique")
    assert page.locator(".cautions li").count() >= 1 and page.locator(".words p.speech").count() > 10
    page.wait_for_function("() => document.getElementById('range').textContent.startsWith('It can be from')", timeout=30_000)
    _shot(page, "technique")
    _load(page, f"{base}/compose?t=five-senses-grounding", "compose")
    page.select_option("#technique_2", "aftercare-and-closing")
    page.wait_for_selector("#var_name")
    page.fill("#var_name", NAME)
    page.select_option("#ambience", "rain")
    page.fill("#minutes", "14")
    page.locator("#minutes").dispatch_event("change")
    page.wait_for_function(
        "() => document.getElementById('preview-status').textContent.startsWith('Preview of') && document.getElementById('pv-length').textContent === '14:00'",
        timeout=30_000,
    )
    assert NAME in page.locator("#preview-transcript").inner_text()
    for button, audio in (("#hear-voice", "voice-audio"), ("#hear-bed", "bed-audio")):
        page.click(button)
        page.wait_for_function(
            f"() => document.getElementById('{audio}').readyState >= 1 && document.getElementById('{audio}').duration > 2", timeout=30_000
        )
    page.evaluate("() => window.scrollTo(0, 0)")
    _shot(page, "compose")
    page.click("#render")
    page.wait_for_load_state()
    assert "/renders/" in page.url, page.url + page.content()[:800]
    if SHOTS and page.locator("#progress").count():
        try:  # a screenshot part of the way through (the render may end first)
            page.wait_for_function("() => document.getElementById('progress').value >= 30", timeout=60_000)
            _shot(page, "progress")
        except Exception:  # the page moved on to the result
            pass
    page.wait_for_selector("#download", timeout=90_000)
    render_id = page.url.rsplit("/", 1)[1]
    review = page.frame_locator("#review")
    review.locator("#player").wait_for(state="attached")
    frame = next(f for f in page.frames if f.url.endswith(".html"))
    frame.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=15_000)
    assert abs(frame.evaluate("() => document.getElementById('player').duration") - 840.0) < 0.1
    _shot(page, "result")
    with page.expect_download() as info:
        page.click("#download")
    downloaded = Path(info.value.path()).read_bytes()
    audio = studio["data"] / "renders" / render_id / "five-senses-grounding-aftercare-and-closing.mp3"
    assert downloaded == audio.read_bytes()


def test_batch_of_four_rows_with_two_invalid(page, studio, tmp_path):
    """The same check as `batch --dry-run` (a length out of reach too); the header follows the run;
    only a row with a problem shows one."""
    base = studio["base"]
    roster = tmp_path / "week.csv"
    roster.write_text(
        "client_id,technique,minutes,bls_rate\nC-101,five-senses-grounding,8.5,\nC-102,five-senses-grounding,8.5,\n"
        "C-103,box-breathing,10.5,3\nC-104,box-breathing,30,\n"
    )
    _load(page, f"{base}/batch", "batch")
    page.set_input_files("#roster", str(roster))
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector("table#rows")
    invalid = page.locator("tr.invalid")
    assert invalid.count() == 2 and "bls_rate must be from 0.3 to 2" in invalid.nth(0).inner_text()
    assert "30 minutes is out of reach" in invalid.nth(1).inner_text()
    assert page.inner_text("#counts") == "2 ready, 2 invalid"
    _shot(page, "batch-check", full=True)
    page.click("#run")
    page.wait_for_function(
        "() => [...document.querySelectorAll('td.status')].filter(td => td.textContent === 'rendered').length === 2", timeout=90_000
    )
    page.wait_for_selector("#download")
    assert page.inner_text("#counts") == "2 finished, 2 invalid"
    problems = page.eval_on_selector_all(
        "tr[data-row]", "rows => rows.map(r => [r.querySelector('.status').textContent, r.querySelector('.problem').textContent.trim()])"
    )
    assert [bool(problem) for _, problem in problems] == [False, False, True, True], problems
    _shot(page, "batch-done", full=True)
    with page.expect_download() as info:
        page.click("#download")
    names = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())).namelist()
    assert "index.html" in names and "report.csv" in names and sum(n.endswith(".mp3") for n in names) == 2


def test_the_compose_form_by_keyboard_alone(page, studio):
    _load(page, f"{studio['base']}/compose?t=safe-place", "compose-keyboard")  # a technique with bilateral sets: their controls are on
    _previewed(page, "compose-keyboard")
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            const label = e.id ? document.querySelector('label[for="' + e.id + '"]') : null;
            return {id: e.id, tag: e.tagName, label: label ? label.textContent.trim() : (e.getAttribute('aria-label') || e.textContent.trim()),
                    outline: s.outlineStyle + ' ' + s.outlineWidth}; }""")
        reached.append(info)
        assert info["label"], f"an unlabelled control: {info}"
        assert info["outline"] != "none 0px", f"no visible focus on {info}"
        if info["id"] == "render":
            break
    ids = [r["id"] for r in reached]
    for control in (
        "technique_1",
        "technique_2",
        "minutes",
        "voice",
        "rate",
        "pronunciations",
        "hear-voice",
        "bls",
        "bls_rate",
        "bls_tone",
        "ambience",
        "hear-bed",
        "mono",
        "format",
        "var_name",
        "render",
    ):
        assert control in ids, f"{control} is not reachable by Tab: {ids}"
    page.focus("#technique_2")
    page.keyboard.press("ArrowDown")  # a select chosen by keyboard updates the preview
    page.wait_for_function("() => document.getElementById('preview-status').textContent.startsWith('Preview of')", timeout=30_000)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # 1280 x 800
    assert page.evaluate(CONTRAST) >= 4.5
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "tablet")


def test_clients_and_compose_from_a_saved_client(page, studio):
    base = studio["base"]
    _load(page, f"{base}/clients/new", "client-new")
    page.fill("#client_id", "C-022")
    page.fill("#name", NAME)
    page.fill("#bls_rate", "2.5")
    page.click("button:has-text('Save')")
    assert "bls_rate must be from 0.3 to 2" in page.locator("#err-bls_rate").inner_text()
    page.fill("#bls_rate", "1")
    page.fill("#safe_place", "a quiet beach at dawn")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/clients/C-022\?saved=1$"))
    assert page.inner_text("#saved").startswith("Saved C-022.")
    page.reload()  # the confirmation is for the save, not for every later visit
    _load(page, f"{studio['base']}/clients/C-022", "client")
    assert page.locator("#saved").count() == 0
    assert "name: " + NAME in (studio["data"] / "clients" / "C-022.yaml").read_text(encoding="utf-8")
    _load(page, f"{base}/clients", "clients")
    _shot(page, "clients")
    _load(page, f"{base}/compose?t=safe-place&client=C-022", "compose-client")
    assert page.input_value("#var_name") == NAME and page.input_value("#var_safe_place") == "a quiet beach at dawn"
    assert page.input_value("#bls_rate") == "1"


def test_a_render_can_be_cancelled_and_leaves_nothing_half_written(page, studio):
    _load(page, f"{studio['base']}/compose?t=tre-release", "compose-long")
    page.fill("#minutes", "32")
    page.click("#render")
    page.wait_for_load_state()
    render_id = page.url.rsplit("/", 1)[1]
    page.wait_for_function("() => document.getElementById('progress').value >= 1", timeout=60_000)
    page.click("#cancel")
    page.wait_for_url(re.compile(r"/renders$"))
    folder = studio["data"] / "renders" / render_id
    for _ in range(150):  # the worker unwinds: its temporary files go, then its lock
        if not list(folder.iterdir()):
            break
        page.wait_for_timeout(100)
    assert not [p.name for p in folder.iterdir()], "a cancelled render left files behind"


def _every_page(studio) -> dict[str, str]:
    """Every studio page, with what the tests above made (a render, a client, a batch), and the
    review page and batch index it serves."""
    base, data = studio["base"], studio["data"]
    pages = {
        "library": "/",
        "technique": "/techniques/safe-place",
        "technique-no-bls": "/techniques/box-breathing",
        "compose": "/compose?t=safe-place",
        "compose-no-bls": "/compose?t=box-breathing",
        "clients": "/clients",
        "client-new": "/clients/new",
        "client": "/clients/C-022",
        "batches": "/batch",
        "renders": "/renders",
        "uploads": "/uploads",
    }
    batch = next(iter(sorted((data / "batches").glob("*/out/index.html"))), None)
    if batch is not None:
        pages["batch"] = f"/batch/{batch.parent.parent.name}"
        pages["batch-index"] = f"/files/batches/{batch.parent.parent.name}/out/index.html"
    for review in sorted((data / "renders").glob("*/*.html"))[:1]:
        pages["render"] = f"/renders/{review.parent.name}"
        pages["review"] = f"/files/renders/{review.parent.name}/{review.name}"
    return {name: base + path for name, path in pages.items()}


@pytest.fixture
def checked_page(browser, studio):
    """A tab that may inject axe-core (bypassing the pages' script policy for the test's own script only)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    tab = context.new_page()
    tab.failed = []  # every response of 400 or more (a missing favicon is one)
    tab.on("response", lambda response: tab.failed.append(f"{response.status} {response.url}") if response.status >= 400 else None)
    tab.goto(f"{studio['base']}/?token={studio['token']}")
    yield tab
    context.close()


def test_every_page_holds_at_1280_and_768_px(checked_page, studio):
    """No word broken mid-word and no control cut off, measured on every page at both widths."""
    pages = _every_page(studio)
    assert {"batch-index", "review", "client"} <= set(pages), f"the tests above made no batch, render or client: {sorted(pages)}"
    for width, height in ((1280, 800), (768, 1024)):
        checked_page.set_viewport_size({"width": width, "height": height})
        for name, url in pages.items():
            checked_page.goto(url)
            checked_page.wait_for_load_state("load")
            holds(checked_page, name)
    assert not checked_page.failed, checked_page.failed
    icon = checked_page.request.get(f"{studio['base']}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml") and b"<svg" in icon.body()


def test_renders_show_readable_dates_and_bilateral_controls_follow_the_technique(checked_page, studio):
    checked_page.goto(f"{studio['base']}/renders")
    dates = checked_page.eval_on_selector_all("li time", "times => times.map(t => t.textContent)")
    assert dates and all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", d) for d in dates), dates
    for technique, has_sets in (("box-breathing", False), ("safe-place", True)):
        checked_page.goto(f"{studio['base']}/compose?t={technique}")
        _previewed(checked_page, technique)
        assert checked_page.is_disabled("#bls_rate") is not has_sets and checked_page.is_visible("#bls-none") is not has_sets


def test_every_page_passes_axe(checked_page, studio):
    """axe-core on every studio page, the review page and the batch index: no critical, serious or
    moderate violation."""
    found = []
    for name, url in _every_page(studio).items():
        checked_page.goto(url)
        checked_page.wait_for_load_state("load")
        if name.startswith("compose"):  # the preview filled in, long enough to scroll
            _previewed(checked_page, name)
        found += [f"{name}: {v}" for v in accessibility_violations(checked_page)]
    assert not found, "\n".join(found)


def _previewed(page, name: str) -> None:
    try:
        page.wait_for_function("() => document.getElementById('preview-status').textContent.startsWith('Preview of')", timeout=30_000)
    except Exception:
        pytest.fail(f"{name}: no preview: {page.inner_text('#preview-status')!r}")


def test_the_compose_preview_scrolls_by_keyboard_to_its_whole_transcript(checked_page, studio):
    checked_page.goto(f"{studio['base']}/compose?t=safe-place")
    _previewed(checked_page, "compose")
    box = checked_page.evaluate("() => { const p = document.getElementById('preview'); return [p.scrollHeight, p.clientHeight]; }")
    assert box[0] > box[1], f"the preview does not overflow at 800 px, so this test shows nothing: {box}"
    checked_page.focus("#preview")
    assert checked_page.evaluate("() => document.activeElement.id") == "preview"
    checked_page.keyboard.press("End")
    checked_page.wait_for_timeout(600)  # smooth scrolling
    last_seen = checked_page.evaluate("""() => { const p = document.getElementById('preview').getBoundingClientRect();
        const li = [...document.querySelectorAll('#preview-transcript li')].pop().getBoundingClientRect();
        return li.bottom <= p.bottom + 1 && li.top >= p.top - 1 && li.bottom <= window.innerHeight + 1; }""")
    assert last_seen, "the transcript's last line cannot be reached by keyboard"


def test_report_load_times():
    print("\nstudio page load times (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in LOAD_TIMES_MS.items()))
