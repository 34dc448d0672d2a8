"""A Dask cluster started the ordinary way, for tests: `dask scheduler` and `dask worker` (with its
nanny) as subprocesses on 127.0.0.1, in their own working directory with their own phrase cache,
as another machine would be. Every wait is bounded; every process is ended on the way out."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

DASK = str(Path(sys.executable).with_name("dask"))
START_TIMEOUT_S = 60.0
TESTS = str(Path(__file__).parent)


@dataclass
class Cluster:
    folder: Path  # the "other machine": working directory, cache, logs
    address: str = ""
    scheduler: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    def env(self, fake: bool) -> dict:
        env = {**os.environ, "SESSIONGEN_CACHE_DIR": str(self.folder / "cache"), "PYTHONUNBUFFERED": "1"}
        if fake:
            env["SESSIONGEN_ENGINES"] = "fake=fake_engine:FakeEngine"
            env["PYTHONPATH"] = os.pathsep.join([TESTS, env.get("PYTHONPATH", "")])
        else:
            env.pop("SESSIONGEN_ENGINES", None)
        return env

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the nannies), from the scheduler's view."""
        from distributed import Client

        with Client(self.address, timeout="10s") as client:
            return [int(pid) for pid in client.run(os.getpid).values()]

    def wait_for_workers(self, count: int, timeout_s: float = START_TIMEOUT_S) -> None:
        from distributed import Client

        with Client(self.address, timeout="10s") as client:
            client.wait_for_workers(count, timeout=timeout_s)

    def stop_scheduler(self) -> None:
        if self.scheduler and self.scheduler.poll() is None:
            self.scheduler.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.scheduler.wait(15)


def _log(folder: Path, name: str):
    return open(folder / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)


@contextlib.contextmanager
def cluster(folder: Path, nworkers: int = 2, fake: bool = True):
    """A running cluster: `dask scheduler` and one `dask worker --nworkers N --nthreads 1`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cache").mkdir(exist_ok=True)
    found = Cluster(folder)
    env = found.env(fake)
    scheduler_file = folder / "scheduler.json"
    processes = []
    try:
        found.scheduler = subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            cwd=folder,
            env=env,
            stdout=_log(folder, "scheduler"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(found.scheduler)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not scheduler_file.exists() and time.monotonic() < deadline:
            if found.scheduler.poll() is not None:
                raise RuntimeError((folder / "scheduler.log").read_text())
            time.sleep(0.2)
        time.sleep(0.2)
        found.address = json.loads(scheduler_file.read_text())["address"]
        worker = subprocess.Popen(
            [
                DASK,
                "worker",
                found.address,
                "--nworkers",
                str(nworkers),
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--local-directory",
                str(folder / "dask-worker-space"),
            ],
            cwd=folder,
            env=env,
            stdout=_log(folder, "worker"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(worker)
        found.workers.append(worker)
        found.wait_for_workers(nworkers)
        yield found
    finally:
        for process in reversed(processes):
            _end(process)


def _end(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (nanny, workers, their voices), then SIGKILL if need be."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)
