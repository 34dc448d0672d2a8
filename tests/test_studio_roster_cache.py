"""The studio's batch page does not check every row on every load (issue 28, class 9): the rows are
checked once, again only when the roster, its last report, the engine or the data folder's saved
clients and beds change; loads at once (many tabs) wait for one check. Timing: benchmarks/studio_roster_load.py."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sessiongen.studio import batches


@pytest.fixture
def batch(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "clients").mkdir(parents=True)
    lines = ["client_id,technique,name,bls,ambience"] + [f"c{i},box-breathing,Sam,false,none" for i in range(3)] + ["bad,,Sam,false,none"]
    where = batches.create(data, "b1", "roster.csv", ("\n".join(lines) + "\n").encode())
    checks = []
    real = batches.validate

    def counting(*args, **kwargs):
        checks.append(time.monotonic())
        time.sleep(0.2)  # a slow check: loads at once must wait for it, not repeat it
        return real(*args, **kwargs)

    monkeypatch.setattr(batches, "validate", counting)
    monkeypatch.setattr(batches, "check_job", lambda job: job.outcome(batches.Status.VALID))
    return data, where, checks


def test_rows_are_checked_once_until_something_they_depend_on_changes(batch):
    data, where, checks = batch
    first = batches.rows(where, data, "fake")
    assert [r["status"] for r in first] == ["ready", "ready", "ready", "invalid"]
    with ThreadPoolExecutor(5) as tabs:
        loads = list(tabs.map(lambda _: batches.rows(where, data, "fake"), range(5)))
    assert all(load == first for load in loads) and len(checks) == 1
    loads[0][0]["status"] = "changed by a caller"
    assert batches.rows(where, data, "fake") == first and len(checks) == 1  # callers get copies
    assert batches.rows(where, data, "kokoro") and len(checks) == 2  # another engine
    (data / "clients" / "sam.yaml").write_text("name: Sam\n")  # a saved client added or changed
    batches.rows(where, data, "kokoro")
    assert len(checks) == 3
    roster = where / "roster.yaml"
    os.utime(roster, ns=(roster.stat().st_atime_ns, roster.stat().st_mtime_ns + 1_000_000))
    batches.rows(where, data, "kokoro")
    assert len(checks) == 4


def test_a_new_report_updates_the_rows(batch):
    data, where, checks = batch
    batches.rows(where, data, "fake")
    (where / "out").mkdir()
    (where / "out" / "report.json").write_text('{"rows": [{"row": 1, "status": "rendered", "error": ""}]}')
    assert batches.rows(where, data, "fake")[0]["status"] == "rendered" and len(checks) == 2
