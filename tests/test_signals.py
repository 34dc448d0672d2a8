"""SIGINT, SIGTERM and SIGHUP stop everything (issue 16, part 4): real signals sent to real
`sessiongen` processes while they work. Each run is a session of its own, so every process it
started (worker processes, speech workers) can be found afterwards, orphaned or not.

Also the engines used here: `SlowEngine`, the fake voice taking its time (and saying, in
$SLOW_MARK, that it has started), and `isolated_slow`, that voice in a worker process of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from fake_engine import FakeEngine
from helpers import script_text

ROOT = Path(__file__).resolve().parents[1]
LONG = "Settle in now. [pause 9m]\nStill here. [pause 9m]\nAnd here. [pause 9m]\nGoodbye.\n"  # 27 minutes: seconds to render
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
SIGNALS = [pytest.param(s, id=s.name) for s in STATUS]


class SlowEngine(FakeEngine):
    def synthesize(self, text, voice, rate_wpm, volume, options=None):
        if os.environ.get("SLOW_MARK"):
            Path(os.environ["SLOW_MARK"]).write_text(str(os.getpid()))
        time.sleep(1.0)
        return super().synthesize(text, voice, rate_wpm, volume, options)


def isolated_slow():
    from sessiongen.speech.isolated import IsolatedEngine

    return IsolatedEngine("slowraw", "slow:1")


def start(args: list[str], cwd: Path, **env) -> subprocess.Popen:
    paths = [str(ROOT / "tests"), str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    engines = "fake=fake_engine:FakeEngine,slow=test_signals:isolated_slow,slowraw=test_signals:SlowEngine"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "SESSIONGEN_ENGINES": engines, **env}
    return subprocess.Popen(
        [sys.executable, "-m", "sessiongen", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def session_processes(leader: int) -> list[psutil.Process]:
    """Every live process of the session `leader` began (the command and everything it started)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == leader and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def wait_for(condition, timeout_s: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def send(process: subprocess.Popen, signum: int) -> None:
    """SIGINT as a terminal's Ctrl-C sends it (to the whole process group); the others as `kill`
    or a closing terminal's parent would, to the command alone."""
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=60)
    wait_for(lambda: not session_processes(process.pid), 10.0, "every process of the command to end")
    return process.returncode, stderr


def parts(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.part")]


@pytest.fixture
def long_script(tmp_path):
    path = tmp_path / "long.md"
    path.write_text(script_text(LONG, id="long", duration="30m"), encoding="utf-8")
    return path


@pytest.mark.parametrize("signum", SIGNALS)
def test_a_signal_during_a_render_removes_the_temporary_files_and_keeps_the_old_outputs(long_script, tmp_path, signum):
    (tmp_path / "stems").mkdir()
    old = {"long.mp3": b"the previous recording", "long.vtt": b"WEBVTT\n\nold\n", "stems/voice.wav": b"old stem"}
    for name, data in old.items():
        (tmp_path / name).write_bytes(data)
    process = start(["render", "long.md", "-o", "long.mp3", "--stems", "stems", "--engine", "fake"], tmp_path)
    wait_for(lambda: len(parts(tmp_path)) >= 5, what="the audio and stems being written")
    time.sleep(0.5)
    send(process, signum)
    status, stderr = finish(process)
    assert status == STATUS[signum], stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted") and "Traceback" not in stderr
    assert parts(tmp_path) == []
    assert {name: (tmp_path / name).read_bytes() for name in old} == old
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(["long.md", "long.mp3", "long.vtt", "voice.wav"])


@pytest.mark.parametrize("signum", SIGNALS)
def test_a_signal_while_speaking_stops_the_speech_workers(tmp_path, signum):
    script = tmp_path / "talk.md"
    script.write_text(
        script_text(" [pause 1s]\n".join(f"Phrase number {n} here." for n in range(30)) + "\n", duration="2m"), encoding="utf-8"
    )
    mark = tmp_path / "speaking"
    process = start(["render", "talk.md", "-o", "talk.mp3", "--engine", "slow", "--no-cache"], tmp_path, SLOW_MARK=str(mark))
    wait_for(mark.exists, what="the speech worker speaking")
    speaker = int(mark.read_text())
    assert speaker != process.pid  # it speaks in a worker process of its own
    send(process, signum)
    status, stderr = finish(process)
    assert status == STATUS[signum] and "Traceback" not in stderr, stderr
    assert not psutil.pid_exists(speaker) or psutil.Process(speaker).status() == psutil.STATUS_ZOMBIE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["speaking", "talk.md"]


def _report(out: Path) -> dict[str, dict]:
    return {r["client_id"]: r for r in json.loads((out / "report.json").read_text(encoding="utf-8"))["rows"]}


def _assert_report_matches_the_disk(out: Path, rows: dict[str, dict]) -> None:
    for client, row in rows.items():
        audio = out / row["output"]
        manifest = audio.with_name(audio.stem + ".manifest.json")
        if row["status"] in ("rendered", "up to date"):
            assert audio.is_file() and manifest.is_file(), client
        else:
            assert row["status"] == "interrupted" and not manifest.exists(), row


@pytest.mark.parametrize(
    "signum, workers",
    [*[pytest.param(s, 2, id=f"{s.name}-2-workers") for s in STATUS], pytest.param(signal.SIGTERM, 1, id="SIGTERM-in-process")],
)
def test_a_signal_during_a_batch_stops_every_worker_and_the_report_matches_the_disk(long_script, tmp_path, signum, workers):
    (tmp_path / "short.md").write_text(script_text("Hello. [pause 2s]\nGoodbye.\n", id="short", duration="5s"), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\nquick,short.md\na,long.md\nb,long.md\nc,long.md\nd,long.md\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    old = out / "a-long-2026-01-01.mp3"
    old.write_bytes(b"last week's recording")
    args = ["batch", "roster.csv", "-o", "out", "--workers", str(workers), "--engine", "fake", "--date", "2026-01-01", "--no-report"]
    process = start(args, tmp_path)
    wait_for(lambda: len(parts(out)) >= workers and (out / "quick-short-2026-01-01.mp3").exists(), what="long rows rendering")
    workers = [p.pid for p in session_processes(process.pid) if p.pid != process.pid]
    send(process, signum)
    status, stderr = finish(process)
    assert status == STATUS[signum] and "Traceback" not in stderr, stderr
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers)
    assert parts(out) == [] and old.read_bytes() == b"last week's recording"
    rows = _report(out)
    assert rows["quick"]["status"] == "rendered" and {rows[c]["status"] for c in "abcd"} == {"interrupted"}
    assert "stopped by" in rows["a"]["error"]
    _assert_report_matches_the_disk(out, rows)
    files = sorted(p.name for p in out.iterdir())
    time.sleep(3.0)
    assert sorted(p.name for p in out.iterdir()) == files  # no stopped row's file appears afterwards


def test_a_signal_while_a_batch_speaks_ahead_still_writes_the_report(tmp_path):
    (tmp_path / "talk.md").write_text(
        script_text(" [pause 1s]\n".join(f"Line {n} for you." for n in range(20)) + "\n", id="talk", duration="1m"), encoding="utf-8"
    )
    (tmp_path / "roster.csv").write_text("client_id,technique\na,talk.md\nb,talk.md\n", encoding="utf-8")
    mark = tmp_path / "speaking"
    process = start(
        ["batch", "roster.csv", "-o", "out", "--workers", "2", "--engine", "slow", "--date", "2026-01-01"], tmp_path, SLOW_MARK=str(mark)
    )
    wait_for(mark.exists, what="the batch speaking ahead")
    process.send_signal(signal.SIGTERM)
    status, stderr = finish(process)
    assert status == 143 and "Traceback" not in stderr, stderr
    rows = _report(tmp_path / "out")
    assert {row["status"] for row in rows.values()} == {"interrupted"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["batch.log", "report.csv", "report.json"]


def test_a_row_that_finished_as_the_batch_stopped_is_reported_done_and_stray_temporaries_go(tmp_path):
    from click.testing import CliRunner

    from sessiongen import Settings
    from sessiongen.batch import stopping
    from sessiongen.batch.roster import read_roster
    from sessiongen.batch.validate import BatchOptions, validate
    from sessiongen.cli import cli

    (tmp_path / "short.md").write_text(script_text("Hello. [pause 2s]\nGoodbye.\n", id="short", duration="5s"), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\ndone,short.md\nstopped,short.md\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["batch", str(roster), "-o", str(out), "--date", "2026-01-01", "--workers", "1", "--engine", "fake", "--no-report"]
    )
    assert result.exit_code == 0, result.output
    (out / "stopped-short-2026-01-01.mp3").unlink()  # as if row 2 never finished
    (out / "stopped-short-2026-01-01.manifest.json").unlink()
    left = out / ".stopped-short-2026-01-01.mp3.abcd1234.mp3.part"  # as a killed worker leaves it
    left.write_bytes(b"half")
    jobs, _ = validate(roster, read_roster(roster), BatchOptions(out, date="2026-01-01", base=Settings(engine="fake")))
    settled = {o.client_id: o for o in stopping.settle(jobs, {}, "SIGTERM", force=False)}
    assert settled["done"].status == "rendered" and settled["stopped"].status == "interrupted"
    assert settled["stopped"].error == "stopped by SIGTERM" and not left.exists()


@pytest.mark.skipif(os.environ.get("SESSIONGEN_SKIP_DASK") == "1", reason="SESSIONGEN_SKIP_DASK=1")
def test_a_stop_reaches_rows_on_a_dask_cluster_started_or_not(long_script, tmp_path):
    distributed = pytest.importorskip("distributed")
    from sessiongen import Settings
    from sessiongen.batch import stopping
    from sessiongen.batch.roster import read_roster
    from sessiongen.batch.validate import BatchOptions, validate

    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\na,long.md\nb,long.md\nc,long.md\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    jobs, _ = validate(roster, read_roster(roster), BatchOptions(out, date="2026-01-01", base=Settings(engine="fake")))
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = client.get_executor()
        stop_event = stopping.stop_event_for(executor)
        futures = [executor.submit(stopping.in_worker, job, None, stop_event) for job in jobs]
        wait_for(lambda: len(parts(out)) >= 2, what="two rows rendering on the cluster")
        stopping.stop(executor, futures, stop_event)
        outcomes = [f.result() for f in futures]
    assert [o.status for o in outcomes] == ["interrupted"] * 3  # two stopped as they rendered, one before it began
    assert list(out.iterdir()) == []


def _once(function, stop=KeyboardInterrupt):
    """`function`, raising `stop` (as a signal would) the first time it is called, before its work."""
    calls = []

    def wrapper(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise stop
        return function(*args, **kwargs)

    return wrapper


def test_a_stop_once_the_new_audio_is_in_place_lets_its_sidecars_follow(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sessiongen.cli import cli
    from sessiongen.output import sidecars

    script = tmp_path / "s.md"
    script.write_text(script_text("Settle in now. [pause 2s]\nGoodbye.\n", duration="5s"), encoding="utf-8")
    out = tmp_path / "s.mp3"
    args = ["render", str(script), "-o", str(out), "--engine", "fake"]
    assert CliRunner().invoke(cli, [*args, "--seed", "1"]).exit_code == 0
    old_manifest = (tmp_path / "s.manifest.json").read_text()
    monkeypatch.setattr(sidecars, "write", _once(sidecars.write))
    result = CliRunner().invoke(cli, [*args, "--seed", "2"])
    assert result.exit_code == 130 and "interrupted" in result.output
    manifest = json.loads((tmp_path / "s.manifest.json").read_text())
    assert manifest != json.loads(old_manifest) and manifest["parameters"]["seed"] == 2  # the new audio's own manifest
    assert parts(tmp_path) == []


def test_a_stop_while_the_reports_are_written_still_writes_them_whole(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sessiongen.batch import reports
    from sessiongen.cli import cli

    (tmp_path / "short.md").write_text(script_text("Hello. [pause 2s]\nGoodbye.\n", id="short", duration="5s"), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\na,short.md\nb,short.md\n", encoding="utf-8")
    monkeypatch.setattr(reports, "write_reports", _once(reports.write_reports))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(roster), "-o", str(out), "--workers", "1", "--engine", "fake", "--date", "2026-01-01"])
    assert result.exit_code == 130, result.output
    rows = _report(out)
    assert {row["status"] for row in rows.values()} == {"rendered"}
    _assert_report_matches_the_disk(out, rows)
    assert (out / "report.csv").read_text().count("rendered") == 2 and (out / "index.html").is_file()


def test_a_worker_another_thread_reaped_is_not_taken_for_running(monkeypatch, caplog):
    """The pool's manager thread reaps its workers as they end; a stop that then asked the
    process itself (join, is_alive) was told ECHILD, took it for alive and killed it 'after 10 s'."""
    import multiprocessing

    from sessiongen.batch import stopping

    monkeypatch.setattr(stopping, "STOPPED_PIDS", set())
    process = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(0,))
    process.start()
    os.waitpid(process.pid, 0)  # as the manager thread would
    started = time.monotonic()
    stopping._stop_processes([process])
    assert "did not stop" not in caplog.text and time.monotonic() - started < 1.0


def test_stopping_a_pool_ends_its_workers_and_its_manager_thread(long_script, tmp_path, monkeypatch, caplog):
    """Once stop() returns, no worker and no thread of the pool is left to race the exit (Python
    3.11 printed a traceback when its manager thread closed a pipe the exiting interpreter wrote
    to); rows rendering and rows waiting all stop within the time allowed, none killed."""
    from sessiongen import Settings
    from sessiongen.batch import stopping
    from sessiongen.batch.execute import local_executor
    from sessiongen.batch.roster import read_roster
    from sessiongen.batch.validate import BatchOptions, validate

    monkeypatch.setattr(stopping, "STOPPED_PIDS", set())
    monkeypatch.setenv("SESSIONGEN_ENGINES", "fake=fake_engine:FakeEngine")  # for the spawned workers
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\na,long.md\nb,long.md\nc,long.md\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    jobs, _ = validate(roster, read_roster(roster), BatchOptions(out, date="2026-01-01", base=Settings(engine="fake")))
    executor = local_executor(2)
    futures = [executor.submit(stopping.in_worker, job) for job in jobs]
    wait_for(lambda: len(parts(out)) >= 2, what="two rows rendering")
    processes, manager = list(executor._processes.values()), executor._executor_manager_thread
    started = time.monotonic()
    stopping.stop(executor, futures, None)
    assert time.monotonic() - started < stopping.STOP_TIMEOUT_S and "did not stop" not in caplog.text
    assert not any(p.is_alive() for p in processes)
    assert not manager.is_alive() and all(f.done() for f in futures)
