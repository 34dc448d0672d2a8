"""The pictures of docs/voice-packs.md: a recording sheet and an import report, as PNG.

    .venv/bin/python benchmarks/voicepack_pictures.py PACK

PACK is a voice pack with an import (e.g. the one tests/test_voicepack.py makes, or your own).
Uses Debian's chromium at /usr/bin/chromium through Playwright; never downloads a browser.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parents[1] / "docs"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def main() -> None:
    pack = Path(sys.argv[1]).resolve()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900}, color_scheme="light")
        for name, out in (("sheet.html", "voice-pack-sheet.png"), ("report.html", "voice-pack-report.png")):
            page.goto((pack / name).as_uri())
            page.screenshot(path=str(DOCS / out), full_page=False)
        browser.close()


if __name__ == "__main__":
    main()
