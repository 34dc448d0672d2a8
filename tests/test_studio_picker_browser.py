"""The studio's voice picker in a real headless Chromium (Debian's, driven by Playwright), on the
studio tests/test_studio_browser.py starts (the fake engine): filter to Spanish women, play a
sample (made in the background, then played), move between voices by keyboard, choose one, save
the client and open it again; the compose form's language preselects the picker's; axe-core stays
clean with the picker open."""

from __future__ import annotations

import re

import pytest
from page_checks import accessibility_violations, holds
from test_studio_browser import studio  # noqa: F401  (the studio, started with the fake engine)

SHOWN = "() => [...document.querySelectorAll('#voice-list li[data-voice]')].filter((li) => !li.hidden).map((li) => li.dataset.voice)"


@pytest.fixture
def page(browser, studio):  # noqa: F811
    """A tab on the studio that may inject axe-core (bypassing the pages' script policy for the
    test's own script only); no request may leave 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    tab = context.new_page()
    requests = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(f"{studio['base']}/?token={studio['token']}")
    yield tab
    foreign = [u for u in requests if not u.startswith((studio["base"], "data:", "blob:"))]
    assert not foreign, f"requests left 127.0.0.1: {foreign}"
    context.close()


def test_filter_play_choose_save_and_reopen_a_client_voice(page, studio):  # noqa: F811
    base = studio["base"]
    page.goto(f"{base}/clients/new")
    assert page.input_value("#voice-language") == "en" and page.evaluate(SHOWN) == ["fake/en", "fake/en-us"]
    page.fill("#client_id", "C-040")
    page.select_option("#voice-language", "es")
    assert page.evaluate(SHOWN) == ["otro/castellano", "otro/mexicano"]
    assert page.is_visible("#voice-accent") and page.evaluate(
        "() => [...document.querySelectorAll('#voice-accent option')].filter((o) => !o.disabled).map((o) => o.value)"
    ) == ["", "es-mx"]
    page.focus("li[data-voice='otro/castellano'] .voice-play")  # the arrow keys move between the voices
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.closest('li').dataset.voice") == "otro/mexicano"
    page.select_option("#voice-gender", "female")
    assert page.evaluate(SHOWN) == ["otro/castellano"] and page.inner_text("#voice-count") == "1 voice"
    play = page.locator("li[data-voice='otro/castellano'] .voice-play")
    assert play.get_attribute("tabindex") == "0"
    play.click()
    page.wait_for_function(
        "() => document.querySelector(\"li[data-voice='otro/castellano'] .voice-play .label\").textContent === 'Preparing…'"
        " || document.getElementById('voice-sample').src",
        timeout=10_000,
    )
    page.wait_for_function(
        "() => { const a = document.getElementById('voice-sample'); return a.readyState >= 1 && a.duration > 2; }", timeout=90_000
    )
    assert page.inner_text("li[data-voice='otro/castellano'] .voice-play .label") == "Play"
    assert page.inner_text("#voice-status").startswith("Playing Fake Spanish")
    source = page.evaluate("() => document.getElementById('voice-sample').src")
    assert re.fullmatch(re.escape(base) + r"/voices/samples/[0-9a-f]{32}\.mp3", source)
    answer = page.request.get(source)
    assert answer.status == 200 and answer.headers["content-type"].startswith("audio/") and len(answer.body()) > 1000
    page.focus("li[data-voice='otro/castellano'] .voice-choose")
    page.keyboard.press("Enter")
    assert page.input_value("#voice") == "otro/castellano"
    assert page.get_attribute("li[data-voice='otro/castellano'] .voice-choose", "aria-pressed") == "true"
    found = accessibility_violations(page)
    assert not found, "\n".join(found)
    holds(page, "the client form with a voice chosen")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/clients/C-040\?saved=1$"))
    assert "voice: otro/castellano" in (studio["data"] / "clients" / "C-040.yaml").read_text(encoding="utf-8")
    page.goto(f"{base}/clients/C-040")  # opened again: the picker shows the client's voice
    assert page.input_value("#voice") == "otro/castellano" and page.input_value("#voice-language") == "es"
    chosen = page.locator("li.chosen")
    assert chosen.count() == 1 and chosen.get_attribute("data-voice") == "otro/castellano" and chosen.is_visible()
    assert chosen.locator(".voice-choose").get_attribute("aria-pressed") == "true"


def test_the_compose_form_language_preselects_the_picker(page, studio):  # noqa: F811
    page.goto(f"{studio['base']}/compose?t=box-breathing")
    assert page.input_value("#voice-language") == "en"
    page.select_option("#language", "es")
    assert page.input_value("#voice-language") == "es" and page.evaluate(SHOWN) == ["otro/castellano", "otro/mexicano"]
    page.click("li[data-voice='otro/mexicano'] .voice-choose")
    assert page.input_value("#voice") == "otro/mexicano"
    page.wait_for_function("() => document.getElementById('preview-status').textContent.startsWith('Preview of')", timeout=30_000)
    page.fill("#voice", "af_heart:60,bf_emma:40")  # a blend is still typed
    assert page.locator("li.chosen").count() == 0
    found = accessibility_violations(page)
    assert not found, "\n".join(found)
