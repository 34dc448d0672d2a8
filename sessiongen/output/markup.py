"""What every review page shares: escaping, relative links, embedded data and assets, the page shell.

Pages carry their styles and script inside them and load nothing from the network; the
Content-Security-Policy below says so to the browser.
"""

from __future__ import annotations

import html
import os
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from sessiongen import __version__
from sessiongen.output.jsontext import json_text

CSP = "default-src 'none'; img-src data:; media-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def asset(name: str) -> str:
    """A stylesheet or script shipped in sessiongen/review_assets/, as text to inline."""
    return resources.files("sessiongen").joinpath("review_assets", name).read_text(encoding="utf-8")


def href(target: Path, page_folder: Path) -> str:
    """A relative, percent-encoded link from a page in `page_folder` to `target` (both paths as
    you would open them: absolute, or relative to the current folder)."""
    try:
        relative = os.path.relpath(Path(target).resolve(), Path(page_folder).resolve())
    except ValueError:  # another drive on Windows: the name alone, as the file sits beside the page
        relative = Path(target).name
    return quote(Path(relative).as_posix(), safe="/")


def escape(value) -> str:
    """Any value as text safe in HTML content and in quoted attributes."""
    return html.escape(str(value), quote=True)


def json_script(element_id: str, data) -> str:
    """JSON inside a <script> element that no text can break out of."""
    text = json_text(data, "the review page", ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def document(title: str, body: str, script: str = "") -> str:
    """A whole page around `body`: the policy, the inlined stylesheet, a footer, then `script`."""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n<meta name="color-scheme" content="light dark">\n'
        f"<title>{escape(title)}</title>\n<style>\n{asset('review.css')}</style>\n</head>\n<body>\n"
        f"{body}\n<footer><p>Made offline by sessiongen {escape(__version__)}. This page loads nothing from the network.</p></footer>\n"
        f"{script}</body>\n</html>\n"
    )
