"""The studio's voice picker: the voices listed and filtered from the library's catalogue, each
voice's sample made once in a worker and kept (the fake engine), names that are no voice's
refused, the choice saved with the client; and one sample in a real Kokoro voice."""

from __future__ import annotations

import io
import json
import re
import threading
import time

import numpy as np
import pytest
import soundfile as sf
import yaml
from helpers import studio_client

from sessiongen import preview
from sessiongen.settings import DEFAULTS
from sessiongen.speech import kokorofiles
from sessiongen.studio import security, voicepicker

TOKEN = "picker-token"


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def studio(data_dir):
    with studio_client(data_dir, TOKEN, engine="fake", workers=1) as client:
        client.app_jobs = client.app.state.jobs
        yield client


def _ask(studio, voice: str):
    return studio.post("/voices/sample", data={"voice": voice}, headers={security.CSRF_HEADER: security.csrf_for(TOKEN)})


def _ready(studio, voice: str, timeout_s: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = _ask(studio, voice)
        if answer.status_code != 202:
            assert answer.status_code == 200, answer.text
            return answer.json()
        time.sleep(0.2)
    pytest.fail(f"no sample of {voice} after {timeout_s} s")


def _samples(studio) -> list:
    return [job for job in studio.app_jobs.jobs.values() if job.kind == "sample"]


def test_a_sample_is_made_once_in_a_worker_then_kept(studio, data_dir):
    first = _ask(studio, "otro/castellano")
    assert first.status_code == 202 and first.json() == {"status": "preparing"}
    assert _ask(studio, "otro/castellano").status_code in (200, 202) and len(_samples(studio)) == 1  # a second click starts nothing
    ready = _ready(studio, "otro/castellano")
    assert re.fullmatch(r"/voices/samples/[0-9a-f]{32}\.mp3", ready["url"])
    audio = studio.get(ready["url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    samples, rate_hz = sf.read(io.BytesIO(audio.content))
    assert 3 < len(samples) / rate_hz < 30 and 20 * np.log10(np.abs(samples).max()) > -12
    kept = data_dir / "samples" / ready["url"].rsplit("/", 1)[1]
    made = kept.stat().st_mtime_ns
    again = _ask(studio, "otro/castellano")
    assert again.status_code == 200 and again.json() == ready  # at once: nothing synthesised again
    assert len(_samples(studio)) == 1 and kept.stat().st_mtime_ns == made
    assert [p.name for p in (data_dir / "samples").iterdir()] == [kept.name]


def test_a_failed_sample_is_told_once_then_may_be_asked_again(tmp_path):
    from sessiongen.studio import routes_voices
    from sessiongen.studio.jobs import Job, Jobs

    work_jobs = Jobs.__new__(Jobs)  # the bookkeeping alone: no worker is started here
    work_jobs.jobs, work_jobs.lock, submitted = {}, threading.Lock(), []
    work_jobs.submit = lambda kind, work, targets, job_id: submitted.append(job_id) or work_jobs.jobs.setdefault(job_id, Job(job_id, kind))
    path = tmp_path / ("0" * 32 + ".mp3")
    assert routes_voices._start(work_jobs, "sample-x", None, path).status_code == 202 and submitted == ["sample-x"]
    assert routes_voices._start(work_jobs, "sample-x", None, path).status_code == 202 and submitted == ["sample-x"]  # on its way
    work_jobs.jobs["sample-x"].status, work_jobs.jobs["sample-x"].error = "failed", "the voice x does not speak 'es'"
    told = routes_voices._start(work_jobs, "sample-x", None, path)
    assert told.status_code == 422 and json.loads(told.body) == {"status": "failed", "error": "the voice x does not speak 'es'"}
    assert routes_voices._start(work_jobs, "sample-x", None, path).status_code == 202 and submitted == ["sample-x", "sample-x"]


def test_the_library_keeps_one_sample_per_voice_and_sentence(tmp_path, fake_engine, monkeypatch):
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "phrases"))  # an empty phrase cache: the engine is asked
    made = []
    render = preview.preview
    monkeypatch.setattr(preview, "preview", lambda *a, **k: made.append(a[0]) or render(*a, **k))
    settings = DEFAULTS.but(engine="fake")
    first = preview.cached_sample("otro/castellano", tmp_path / "samples", settings)
    spoken = len(fake_engine.calls)
    assert made == ["otro/castellano"] and spoken >= 1 and preview.sentence("es") in " ".join(fake_engine.calls)
    assert preview.cached_sample("otro/castellano", tmp_path / "samples", settings) == first and made == ["otro/castellano"]
    assert len(fake_engine.calls) == spoken  # nothing synthesised the second time
    other = preview.cached_sample("fake/en", tmp_path / "samples", settings)
    assert other != first and made == ["otro/castellano", "fake/en"]
    assert preview.sample_path("fake/en", tmp_path / "samples", settings.but(rate_wpm=90)) != other  # another rate is another sample


def test_a_voice_not_installed_is_one_clear_message(studio, data_dir, tmp_path, monkeypatch):
    answer = _ask(studio, "nobody-at-all")
    assert answer.status_code == 404 and answer.json()["status"] == "failed"
    assert "unknown voice 'nobody-at-all'" in answer.json()["error"] and "\n" not in answer.json()["error"]
    monkeypatch.setenv(kokorofiles.HOME_ENV, str(tmp_path / "no-kokoro"))
    with pytest.raises(Exception) as caught:
        preview.sample_path("ef_dora", tmp_path, DEFAULTS.but(engine="kokoro"))
    assert type(caught.value).__name__ == "SessiongenError" and "sessiongen voices install" in str(caught.value)
    assert "\n" not in str(caught.value) and not _samples(studio) and not (data_dir / "samples").exists()


@pytest.mark.parametrize("name", ["../../etc/passwd", "fake/../../x", "/etc/passwd", "voice.onnx", "~/x", "a\nb", "", "x" * 300])
def test_a_name_that_is_no_voice_is_refused(studio, data_dir, name):
    answer = _ask(studio, name)
    assert answer.status_code == 400 and answer.json()["status"] == "failed" and "\n" not in answer.json()["error"]
    assert not _samples(studio) and not (data_dir / "samples").exists()


def test_only_kept_samples_are_served_and_asking_needs_the_form_token(studio):
    for path in ("/voices/samples/..%2F..%2Fclients%2Fx.yaml", "/voices/samples/" + "0" * 32 + ".mp3", "/voices/samples/x.yaml"):
        assert studio.get(path).status_code == 404, path
    assert studio.post("/voices/sample", data={"voice": "fake/en"}).status_code == 403


def test_the_picker_rows_come_from_the_catalogue_with_accents_and_genders():
    pick = voicepicker.picker("fake", None, "es")
    assert [r["id"] for r in pick["voices"]] == ["fake/en", "fake/en-us", "otro/castellano", "otro/mexicano"]
    assert pick["language"] == "es" and ("es", "Spanish") in pick["languages"] and ("en", "English") in pick["languages"]
    assert ("es", "es-mx", "Spanish (MX)") in pick["accents"] and ("en", "en-us", "English (US)") in pick["accents"]
    castellano = pick["voices"][2]
    assert (castellano["gender"], castellano["gender_label"], castellano["accent"]) == ("female", "woman", "Spanish")
    assert voicepicker.picker("fake", "otro/mexicano", "en")["language"] == "es"  # the chosen voice's language first
    assert voicepicker.picker("fake", None, None)["language"] == "en"
    assert voicepicker.checked_name(" af_heart:60,bf_emma:40 ") == "af_heart:60,bf_emma:40"


def test_the_client_keeps_the_chosen_voice_and_the_picker_shows_it(studio, data_dir):
    new = studio.get("/clients/new").text
    assert new.count('class="voice-play"') == 4 and re.search(r'<option value="en" selected>English</option>', new)
    saved = studio.post("/clients/save", data={"client_id": "C-031", "voice": "otro/castellano", "csrf": security.csrf_for(TOKEN)})
    assert saved.status_code == 303, saved.text
    assert yaml.safe_load((data_dir / "clients" / "C-031.yaml").read_text(encoding="utf-8"))["voice"] == "otro/castellano"
    page = studio.get("/clients/C-031").text
    assert 'id="voice" name="voice" value="otro/castellano"' in page
    assert re.search(r'<option value="es" selected>Spanish</option>', page)
    row = re.search(r'<li data-voice="otro/castellano".*?</li>', page, re.S).group(0)
    assert 'aria-pressed="true"' in row and " hidden" not in row.split(">")[0]
    compose = studio.get("/compose?t=box-breathing&client=C-031").text
    assert 'value="otro/castellano"' in compose
    blend = studio.post("/clients/save", data={"client_id": "C-032", "voice": "af_heart:60,bf_emma:40", "csrf": security.csrf_for(TOKEN)})
    assert blend.status_code == 303 and 'value="af_heart:60,bf_emma:40"' in studio.get("/clients/C-032").text  # a blend is typed


@pytest.mark.slow  # 43 s on the shared 2-core machine (load 9): a worker, the model and one cold sentence
@pytest.mark.skipif(kokorofiles.runtime_missing() is not None, reason="Kokoro is not installed here (sessiongen voices install)")
def test_a_real_kokoro_voice_says_its_sample_once(tmp_path, monkeypatch):
    """A studio on the default engine: Dora (Spanish, a woman, Kokoro) says the Spanish sentence,
    made cold in a worker (an empty phrase cache), then served as kept."""
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "phrases"))
    with studio_client(tmp_path / "data", TOKEN, engine=None, workers=1) as studio:
        started = time.perf_counter()
        assert _ask(studio, "ef_dora").status_code == 202
        ready = _ready(studio, "ef_dora", timeout_s=300)
        made_s = time.perf_counter() - started
        audio = studio.get(ready["url"])
        samples, rate_hz = sf.read(io.BytesIO(audio.content))
        started = time.perf_counter()
        assert _ask(studio, "ef_dora").json() == ready and time.perf_counter() - started < 2.0
    mono = samples.mean(axis=1) if samples.ndim > 1 else samples
    block = int(rate_hz * 0.05)  # 50 ms
    blocks = np.sqrt(np.mean(mono[: len(mono) // block * block].reshape(-1, block) ** 2, axis=1))
    speaking = blocks > blocks.max() * 0.1
    print(f"\nKokoro ef_dora sample: made in {made_s:.1f} s (cold, worker and model included), {len(mono) / rate_hz:.1f} s of audio")
    assert audio.headers["content-type"] == "audio/mpeg" and 5 < len(mono) / rate_hz < 30
    assert 20 * np.log10(np.abs(mono).max()) > -10 and 0.4 < speaking.mean() < 0.95  # speech, with the sentences' pauses
