"""The studio speaks a composed session ahead (issue 24): once a technique and a slow voice are
chosen, the live preview starts speaking the session's phrases into the cache in a worker process,
so that Render finds them ready; a new choice replaces it, and a render or batch stops it."""

from __future__ import annotations

import time

import pytest
from helpers import studio_client

from sessiongen.output.packaging import Packaging
from sessiongen.request import SessionOptions, session_request
from sessiongen.studio import security
from sessiongen.studio.jobs import FINAL, Jobs
from sessiongen.studio.work import RenderWork, SpeakWork

TOKEN = "test-token-ahead"


def _ended(job, timeout_s: float = 120.0):
    deadline = time.monotonic() + timeout_s
    while job.status not in FINAL and time.monotonic() < deadline:
        time.sleep(0.1)
    return job.status


@pytest.fixture
def studio(tmp_path, fake_engine, monkeypatch):
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "cache"))  # empty: no other test spoke these phrases
    fake_engine.estimated_plans = True  # as Kokoro: the preview estimates what the cache lacks
    with studio_client(tmp_path / "data", TOKEN, engine="fake", workers=2) as client:
        yield client, client.app.state.jobs


def _preview(client, **form) -> dict:
    response = client.post("/compose/preview", data=form, headers={"x-csrf-token": security.csrf_for(TOKEN)})
    assert response.status_code == 200 and response.json()["ok"], response.text
    return response.json()


def test_the_preview_speaks_the_session_ahead_and_the_next_preview_finds_it_spoken(studio):
    client, jobs = studio
    first = _preview(client, technique_1="box-breathing")
    assert first["estimated_phrases"] > 10 and first["speaking_ahead"]
    assert _preview(client, technique_1="box-breathing").get("speaking_ahead") in (first["speaking_ahead"], None)  # never twice
    assert _ended(jobs.get(first["speaking_ahead"])) == "done"
    assert jobs.get(first["speaking_ahead"]).result["synthesised"] == first["estimated_phrases"]
    again = _preview(client, technique_1="box-breathing")
    assert again["estimated_phrases"] == 0 and "speaking_ahead" not in again  # every phrase is in the cache now
    other = _preview(client, technique_1="box-breathing", rate="95")  # another pace: other phrases, spoken ahead too
    assert other["estimated_phrases"] > 10 and other["speaking_ahead"] != first["speaking_ahead"]


def _request(engine: str, minutes: float | None = None):
    return session_request(SessionOptions(options={"engine": engine, "minutes": minutes}))


def test_a_new_choice_or_a_render_stops_speaking_ahead(tmp_path, monkeypatch):
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "cache"))  # empty: the flaky voice shares the fake one's cache keys
    monkeypatch.setenv("SESSIONGEN_ENGINES", "fake=fake_engine:FakeEngine,flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("FLAKY_STATE", str(tmp_path / "flaky"))
    (tmp_path / "flaky").write_text("hang-always")  # this voice never finishes a phrase
    jobs = Jobs(workers=2)
    try:
        hanging = jobs.speak_ahead("a", SpeakWork("box-breathing", _request("flaky"), tmp_path))
        assert jobs.speak_ahead("a", SpeakWork("box-breathing", _request("flaky"), tmp_path)) is hanging
        replaced = jobs.speak_ahead("b", SpeakWork("safe-place", _request("flaky"), tmp_path))
        assert _ended(hanging, 30) == "cancelled" and replaced.status not in FINAL
        out = tmp_path / "out" / "s.wav"
        out.parent.mkdir()
        render = jobs.submit("render", RenderWork("box-breathing", _request("fake", 11), out, Packaging(format="wav", sidecars=()), {}))
        assert _ended(replaced, 30) == "cancelled"
        assert _ended(render) == "done", render.error
        assert out.stat().st_size > 0
    finally:
        jobs.close()
