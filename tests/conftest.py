from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_engine import FakeEngine  # noqa: E402

from sessiongen import speech  # noqa: E402
from sessiongen.settings import Settings  # noqa: E402

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Tests never touch the user's phrase cache; worker processes find the fake engine too."""
    os.environ["SESSIONGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("phrase-cache"))
    os.environ["SESSIONGEN_ENGINES"] = "fake=fake_engine:FakeEngine"


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch):
    engine = FakeEngine()
    monkeypatch.setitem(speech.ENGINES, "fake", lambda: engine)
    monkeypatch.delitem(speech._made, "fake", raising=False)
    return engine


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def settings() -> Settings:
    return Settings(engine="fake")


def envelope(x: np.ndarray, rate_hz: int, block_s: float = 0.01) -> np.ndarray:
    """RMS per block."""
    block = int(rate_hz * block_s)
    n = len(x) // block * block
    return np.sqrt(np.mean(np.square(x[:n].reshape(-1, block)), axis=1))


CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by tests/browser/setup.sh; never a downloaded browser
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (the review page's and the studio's browser tests)."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run tests/browser/setup.sh (as root, with apt) to install it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
