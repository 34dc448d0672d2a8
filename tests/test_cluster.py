"""batch --dask on a cluster started the ordinary way (`dask scheduler`, `dask worker` with its
nanny and two worker processes), in another working directory with another phrase cache, as
other machines would be: rows render with the real voice, their files come back here, and a
killed worker or a scheduler that goes away is reported as the disk shows it."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from dask_cluster import cluster

from sessiongen import speech
from sessiongen.batch import cluster as batch_cluster
from sessiongen.cli import cli

pytest.importorskip("distributed")
pytestmark = pytest.mark.skipif(os.environ.get("SESSIONGEN_SKIP_DASK") == "1", reason="SESSIONGEN_SKIP_DASK=1")

FRAGMENT = "Notice your feet on the floor.\n"
SCRIPT = (
    "---\nid: tiny-settle\ntitle: Tiny Settle\ncategory: grounding\nsummary: s\nduration: 30s\n"
    'variables:\n  name: ""\n---\n# One\nHello{% if name %}, {{ name }}{% endif %}. [pause 3s]\n'
    "[include feet]\n[bls 3s]\n# Two\nGoodbye for now.\n"
)
SLOW_SCRIPT = SCRIPT.replace("duration: 30s", "duration: 3m").replace("[pause 3s]", "[pause 80s]").replace("[bls 3s]", "[bls 80s]")


def _roster(folder, rows: int, script: str = SCRIPT):
    (folder / "fragments").mkdir(parents=True, exist_ok=True)
    (folder / "fragments" / "feet.md").write_text(FRAGMENT, encoding="utf-8")
    (folder / "tiny.md").write_text(script, encoding="utf-8")
    roster = folder / "roster.csv"
    roster.write_text("client_id,technique,name\n" + "".join(f"c{i},tiny.md,Name{i}\n" for i in range(1, rows + 1)), encoding="utf-8")
    return roster


def _batch(roster, out, address, *extra):
    return CliRunner().invoke(cli, ["batch", str(roster), "-o", str(out), "--dask", address, "--date", "2026-01-02", *extra])


def _report(out) -> dict[str, str]:
    return {row["client_id"]: row for row in json.loads((out / "report.json").read_text())["rows"]}


def _assert_report_matches_disk(out) -> None:
    for row in _report(out).values():
        audio = out / os.path.basename(row["output"])
        manifest = audio.with_name(audio.stem + ".manifest.json")
        assert (row["status"] in ("rendered", "up to date")) == (audio.is_file() and manifest.is_file()), row
    assert not list(out.glob("*.tmp*")) and not list(out.glob(".*"))


@pytest.fixture(scope="module")
def fake_cluster(tmp_path_factory):
    os.environ["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "1"  # one retry of a killed worker's row
    try:
        with cluster(tmp_path_factory.mktemp("other-machine"), nworkers=2, fake=True) as found:
            yield found
    finally:
        del os.environ["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"]


def _quietest_db(path) -> float:
    audio, rate_hz = sf.read(path)
    mono = audio.mean(axis=1) if audio.ndim > 1 else audio
    blocks = mono[: len(mono) // 4410 * 4410].reshape(-1, 4410)
    return float(np.percentile(20 * np.log10(np.sqrt((blocks**2).mean(axis=1)) + 1e-12), 10))


def test_inputs_travel_and_files_come_back(fake_cluster, tmp_path):
    roster = _roster(tmp_path, 2)
    rain = np.random.default_rng(1).normal(0, 0.1, 44_100 * 4).astype(np.float32)
    sf.write(tmp_path / "rain.wav", rain, 44_100)  # a bed file only the client has
    roster.write_text(
        roster.read_text()
        .replace("name\n", "name,ambience\n")
        .replace("Name1\n", "Name1,none\n")
        .replace("Name2\n", f"Name2,{tmp_path / 'rain.wav'}\n"),
        encoding="utf-8",
    )
    result = _batch(roster, tmp_path / "out", fake_cluster.address, "--engine", "fake")
    assert result.exit_code == 0, result.output
    report = _report(tmp_path / "out")
    assert [r["status"] for r in report.values()] == ["rendered", "rendered"]
    transcript = (tmp_path / "out" / "c1-tiny-settle-2026-01-02.srt").read_text()
    assert "Name1" in transcript and "feet on the floor" in transcript  # the value and the fragment reached the worker
    for path in (tmp_path / "out").iterdir():
        assert b"sessiongen-row-" not in path.read_bytes(), path  # no worker path reaches the client's files
    out = tmp_path / "out"
    assert "rain.wav" in next(out.glob("c2-*.manifest.json")).read_text()
    assert _quietest_db(next(out.glob("c2-*.mp3"))) > _quietest_db(next(out.glob("c1-*.mp3"))) + 20  # the bed plays under row 2
    workers_cache = list((fake_cluster.folder / "cache").rglob("*.wav"))
    assert workers_cache, "the client's phrases were added to the workers' cache"
    again = _batch(roster, tmp_path / "out", fake_cluster.address, "--engine", "fake")  # resume: nothing to render
    assert again.exit_code == 0 and {r["status"] for r in _report(tmp_path / "out").values()} == {"up to date"}, again.output


def test_a_worker_without_the_rows_engine_fails_that_row_naming_it_and_the_worker(fake_cluster, tmp_path, monkeypatch, fake_engine):
    monkeypatch.setitem(speech.ENGINES, "elsewhere", lambda: fake_engine)  # known here, not on the workers
    monkeypatch.setitem(speech.RAW, "elsewhere", lambda: fake_engine)
    result = _batch(_roster(tmp_path, 1), tmp_path / "out", fake_cluster.address, "--engine", "elsewhere")
    assert result.exit_code == 1
    error = _report(tmp_path / "out")["c1"]["error"]
    assert "unknown speech engine 'elsewhere'" in error and "on the Dask worker tcp://127.0.0.1:" in error and "\n" not in error


def _when_a_row_runs(address, act, timeout_s: float = 60.0):
    """In a thread: once a row has been running a second on some worker, act(client, worker)."""
    from distributed import Client

    def watch():
        with Client(address, timeout="10s") as client:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    time.sleep(1.0)
                    act(client, busy[0])
                    return
                time.sleep(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_worker_killed_mid_row_is_retried_on_another(fake_cluster, tmp_path):
    killed = []

    def kill(client, worker):
        pid = client.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    watcher = _when_a_row_runs(fake_cluster.address, kill)
    result = _batch(_roster(tmp_path, 1, SLOW_SCRIPT), tmp_path / "out", fake_cluster.address, "--engine", "fake")
    watcher.join(10)
    assert killed, "no row was seen running"
    statuses = {r["status"] for r in _report(tmp_path / "out").values()}
    assert statuses == {"rendered"} and result.exit_code == 0, result.output
    _assert_report_matches_disk(tmp_path / "out")
    fake_cluster.wait_for_workers(2)  # the nanny restarted it for the tests after this one


@pytest.mark.slow  # its own cluster (the scheduler is killed): 10-15 s
def test_a_scheduler_that_goes_away_stops_the_batch_with_the_report_matching_the_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_cluster, "LOST_AFTER_S", 2.0)
    with cluster(tmp_path / "other-machine", nworkers=2, fake=True) as found:
        watcher = _when_a_row_runs(found.address, lambda client, worker: os.kill(found.scheduler.pid, signal.SIGKILL))
        started = time.monotonic()
        result = _batch(_roster(tmp_path, 2, SLOW_SCRIPT), tmp_path / "out", found.address, "--engine", "fake")
        watcher.join(10)
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 60
    report = _report(tmp_path / "out")
    assert {r["status"] for r in report.values()} <= {"rendered", "interrupted"} and "interrupted" in {r["status"] for r in report.values()}
    assert all("scheduler" in r["error"] for r in report.values() if r["status"] == "interrupted")
    _assert_report_matches_disk(tmp_path / "out")


@pytest.mark.e2e
def test_rows_render_with_the_real_voice_on_a_cluster(tmp_path):
    from distributed import Client

    with cluster(tmp_path / "other-machine", nworkers=2, fake=False) as found:
        result = _batch(
            _roster(tmp_path / "here", 2), tmp_path / "out", found.address, "--engine", "piper"
        )  # joe: the quicker neural voice
        with Client(found.address, timeout="10s") as client:  # a worker that must speak itself (nothing spoken ahead)
            daemonic, spoken_s = client.submit(_speaker(), pure=False).result(timeout=120)
    assert daemonic and spoken_s > 0.5
    assert result.exit_code == 0, result.output
    for client_id, row in _report(tmp_path / "out").items():
        assert row["status"] == "rendered", row
        manifest = next((tmp_path / "out").glob(f"{client_id}-*.manifest.json")).read_text()
        assert json.loads(manifest)["parameters"]["engine"] == "piper", "narrated by the neural voice"
        audio, rate_hz = sf.read(tmp_path / "out" / os.path.basename(row["output"]))
        mono = audio.mean(axis=1) if audio.ndim > 1 else audio
        assert abs(len(mono) / rate_hz - json.loads(manifest)["output"]["duration_s"]) < 0.2
        blocks = mono[: len(mono) // 4410 * 4410].reshape(-1, 4410)
        loud = 20 * np.log10(np.sqrt((blocks**2).mean(axis=1)) + 1e-12)
        assert (loud > -35).mean() > 0.1, f"{client_id}: too little speech"


def test_in_a_daemonic_process_the_voice_is_a_subprocess_that_survives_a_hang_and_a_crash(monkeypatch, tmp_path):
    """A Dask worker under its nanny is daemonic: multiprocessing may not start children there."""
    from sessiongen.errors import SessiongenError
    from sessiongen.speech import isolated

    monkeypatch.setattr(isolated, "in_daemon", lambda: True)
    monkeypatch.setenv("SESSIONGEN_ENGINES", "flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
    state = tmp_path / "state"
    monkeypatch.setenv("FLAKY_STATE", str(state))
    engine = isolated.IsolatedEngine("flaky", "flaky:1", timeout_s=2.0)
    try:
        assert len(engine.synthesize("Hello.", "fake/en", 105, 1.0).samples) > 0
        assert isinstance(engine._process, isolated._Child)
        first = engine._process.pid
        state.write_text("crash-once")
        assert len(engine.synthesize("Again.", "fake/en", 105, 1.0).samples) > 0 and engine._process.pid != first
        state.write_text("hang-always")
        with pytest.raises(SessiongenError, match=r"failed 3 times on the phrase \"Stuck\.\": no answer within 2 s"):
            engine.synthesize("Stuck.", "fake/en", 105, 1.0)
    finally:
        engine.close()
    assert engine._process is None


def _speaker():
    """A function for a Dask worker, sent by value (the workers cannot import this module): the
    default voice speaks there; it gives whether the worker is daemonic, and the seconds spoken."""

    def speak():
        import multiprocessing

        from sessiongen.speech import get_engine

        engine = get_engine("piper")
        audio = engine.synthesize("Take your time.", engine.resolve_voice(None, "en"), 150, 1.0)
        return multiprocessing.current_process().daemon, len(audio.samples) / audio.rate_hz

    return speak


@pytest.mark.slow  # 10-20 s
def test_ctrl_c_stops_the_clusters_rows_and_the_report_matches_the_disk(fake_cluster, tmp_path):
    import subprocess
    import sys

    from distributed import Client

    roster = _roster(tmp_path, 4, SLOW_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable,
        "-m",
        "sessiongen",
        "batch",
        str(roster),
        "-o",
        str(tmp_path / "out"),
        "--dask",
        fake_cluster.address,
        "--engine",
        "fake",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        watcher = _when_a_row_runs(fake_cluster.address, lambda client, worker: process.send_signal(signal.SIGINT))
        _, stderr = process.communicate(timeout=120)
        watcher.join(10)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in {r["status"] for r in _report(tmp_path / "out").values()}
    _assert_report_matches_disk(tmp_path / "out")
    with Client(fake_cluster.address, timeout="10s") as client:  # nothing of the batch still runs there
        deadline = time.monotonic() + 30
        while any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(client.processing().values())
