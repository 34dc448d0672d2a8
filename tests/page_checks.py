"""Checks of a page in the browser, by measuring: words broken mid-word, controls cut off, and
axe-core's accessibility rules (from npm, installed by tests/browser/setup.sh; never a CDN)."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"

# every word (split at spaces, hyphens, slashes, dots and underscores, where a browser may break)
# whose letters lie on more than one line: its range has client rects at two heights
BROKEN_WORDS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('.vh, script, style, [hidden], option, textarea') || !parent.getClientRects().length) continue;
    const re = /[^\\s\\-\\/._]+/g; let m;
    while ((m = re.exec(node.data)) && broken.length < 20) {
      if (m[0].length < 2) continue;
      const range = document.createRange(); range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken; }"""

# every visible control whose box is cut off: beyond the viewport's width (the page does not
# scroll sideways) or clipped by an ancestor that hides its overflow
CUT_OFF = """() => {
  const cut = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) cut.push('the page scrolls sideways: ' + document.documentElement.scrollWidth);
  document.querySelectorAll('button, input, select, textarea, a.button, summary, audio, progress').forEach((e) => {
    const r = e.getBoundingClientRect(); if (!r.width || !r.height || e.type === 'hidden') return;
    if (r.left < -1 || r.right > window.innerWidth + 1) cut.push((e.id || e.name || e.tagName) + ' beyond the viewport');
    for (let a = e.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a); if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      if (a.scrollWidth > a.clientWidth + 1 && s.overflowX !== 'hidden') continue;  // a region that scrolls: reachable
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 1 || r.right > b.right + 1) cut.push((e.id || e.name || e.tagName) + ' clipped by ' + (a.id || a.className || a.tagName));
    }
  });
  return cut; }"""


def holds(page, what: str) -> None:
    """No word broken mid-word, no control cut off, at the page's current size."""
    broken, cut = page.evaluate(BROKEN_WORDS), page.evaluate(CUT_OFF)
    size = page.viewport_size
    assert not broken, f"{what} at {size['width']} px breaks words mid-word: {broken}"
    assert not cut, f"{what} at {size['width']} px cuts off: {cut}"


def accessibility_violations(page, impacts=("critical", "serious", "moderate")) -> list[str]:
    """axe-core's violations on the page, as 'rule (impact): target' lines."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `sh tests/browser/setup.sh` (needs npm)")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map((v) => ({id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3)}))"
    )
    return [f"{v['id']} ({v['impact']}): {', '.join(v['targets'])}" for v in results if v["impact"] in impacts]
