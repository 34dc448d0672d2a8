from __future__ import annotations

import pytest

from fuzz.harness import Worker


@pytest.fixture(scope="session")
def worker():
    """One child worker for every fuzz test (imports once, about a second)."""
    child = Worker()
    yield child
    child.close()
