"""The fuzzing harness: a long-lived child worker, the budget, and the invariant every input must keep.

For every generated input, a command either
- exits 0 and everything it wrote is valid (audio that decodes to finite samples of non-zero
  length, JSON that parses strictly, no temporary `.part` file left), or
- exits 1 or 2 with exactly one line on stderr, no traceback, no internal error, and nothing
  written into the output folder (no file, no folder, no `.part`);
and in both cases stays within the time and memory bound of the child. A batch whose rows
failed one by one exits 1 after writing its reports: then every failed row is one line, and
every file that is there is valid.

Budget: `make test` runs a fixed, derandomized number of examples; `make fuzz` sets
SESSIONGEN_FUZZ=long for many more, with random seeds (docs/reliability.md, "Fuzzing").
"""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile
from hypothesis import HealthCheck, event, settings
from hypothesis.control import currently_in_test_context

TESTS = Path(__file__).resolve().parent.parent
LONG = os.environ.get("SESSIONGEN_FUZZ") == "long"
WALL_S = 60.0 if LONG else 30.0  # per command, in the child
CPU_S = 60 if LONG else 30
PEAK_MB = 1024  # growth of the child's RSS during one command
AUDIO = (".wav", ".flac", ".ogg", ".mp3")


def budget(default_examples: int, long_examples: int = 2000):
    """Settings for a fuzz test: a fixed derandomized budget, or a long random run."""
    common = {"deadline": None, "suppress_health_check": list(HealthCheck), "print_blob": True}
    if LONG:  # SESSIONGEN_FUZZ_EXAMPLES=N: N examples per test instead
        return settings(max_examples=int(os.environ.get("SESSIONGEN_FUZZ_EXAMPLES", long_examples)), derandomize=False, **common)
    return settings(max_examples=default_examples, derandomize=True, database=None, **common)


class WorkerDied(Exception):
    pass


class Worker:
    """One child process running commands in-process; restarted after it dies or hangs."""

    def __init__(self) -> None:
        self.proc = None
        self.scratch = Path(tempfile.mkdtemp(prefix="sessiongen-fuzz-"))
        self.log = open(self.scratch / "worker.log", "ab")  # noqa: SIM115 - the child's stderr, kept while it lives

    def start(self) -> None:
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
            "SESSIONGEN_ENGINES": "fake=fake_engine:FakeEngine,flaky=fake_engine:FlakyEngine",
            "FLAKY_STATE": str(self.scratch / "flaky"),
            "SESSIONGEN_CACHE_DIR": str(self.scratch / "cache"),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "TMPDIR": str(self.scratch),
            "FUZZ_FDS": f"{requests_r},{answers_w}",
        }
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("worker.py"))],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            pass_fds=(requests_r, answers_w),
            start_new_session=True,
        )
        os.close(requests_r)
        os.close(answers_w)
        self.requests, self.answers = os.fdopen(requests_w, "wb"), os.fdopen(answers_r, "rb")
        if self._answer(120.0) != {"ready": True}:
            raise WorkerDied("the worker did not start")

    def run(self, args: list[str], cwd: Path, wall_s: float = WALL_S) -> dict:
        """The command's outcome; WorkerDied if the child died or hung (it is killed, and started
        again for the next command)."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        data = pickle.dumps({"args": args, "cwd": str(cwd), "cpu_s": CPU_S})
        try:
            self.requests.write(struct.pack("<I", len(data)) + data)
            self.requests.flush()
            return self._answer(wall_s)
        except (WorkerDied, OSError) as exc:
            self.stop()
            raise WorkerDied(f"{exc}") from None

    def _answer(self, timeout_s: float) -> dict:
        import select

        ready, _, _ = select.select([self.answers], [], [], timeout_s)
        if not ready:
            raise WorkerDied(f"no answer within {timeout_s:g} s (killed)")
        head = self.answers.read(4)
        if len(head) < 4:
            self.proc.wait(5)
            status = self.proc.returncode
            why = f"signal {signal.Signals(-status).name}" if status and status < 0 else f"exit {status}"
            raise WorkerDied(f"the worker died ({why}): {(self.scratch / 'worker.log').read_bytes()[-2000:]!r}")
        (size,) = struct.unpack("<I", head)
        return pickle.loads(self.answers.read(size))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.proc is not None:
            self.requests.close()
            self.answers.close()
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


# -- running one case, and the invariant -------------------------------------------------------------


def materialise(files: dict[str, bytes], folder: Path) -> None:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (folder / "out").mkdir(exist_ok=True)


def outcome(worker: Worker, case, folder: Path) -> dict:
    """Run the case's command; a dead or hung worker, or a command past its bounds, fails here."""
    try:
        result = worker.run(case.args, folder)
    except WorkerDied as exc:
        raise AssertionError(f"the command did not finish within its bounds: {exc}\n{case.shown()}") from None
    if currently_in_test_context():
        event(f"{case.args[0]} exit {result['code']}" + (f": {_kind(result['stderr'])}" if result["code"] else ""))
    assert result["escaped"] is None, f"an exception escaped the CLI:\n{result['escaped']}\n{case.shown()}"
    grew = result["peak_mb"] - result["base_mb"]
    assert grew < PEAK_MB, f"the command grew by {grew} MB (bound {PEAK_MB} MB)\n{case.shown()}"
    return result


def _kind(stderr: str) -> str:
    """A rough class of an error line, for the statistics (`--hypothesis-show-statistics`)."""
    line = (stderr.strip().splitlines() or [""])[-1]
    return " ".join(line.split(": ")[-1].split()[:3])[:40]


def _strict_json(text: str, what: str, case) -> object:
    def refuse(constant):
        raise AssertionError(f"{what}: {constant} in JSON\n{case.shown()}")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        raise AssertionError(f"{what}: not valid JSON ({exc})\n{case.shown()}") from None


def _written(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "out").rglob("*"))


def check_valid_outputs(folder: Path, case) -> list[Path]:
    """Every file under out/ is valid: audio decodes to finite samples, JSON parses strictly."""
    written = _written(folder)
    assert not [p for p in written if p.name.endswith(".part")], f"a temporary file was left: {written}\n{case.shown()}"
    for path in written:
        if path.suffix in AUDIO and path.is_file():
            check_audio(path, case)
        elif path.suffix == ".json":
            _strict_json(path.read_text(encoding="utf-8"), str(path), case)
    return written


def check_audio(path: Path, case) -> None:
    try:
        samples, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001 - any failure to decode is the finding
        raise AssertionError(f"{path.name} does not decode: {exc}\n{case.shown()}") from None
    assert len(samples) > 0, f"{path.name} has no samples\n{case.shown()}"
    assert np.isfinite(samples).all(), f"{path.name} has a sample that is not finite\n{case.shown()}"


def check_refused(result: dict, folder: Path, case) -> str:
    """Exit 1 or 2: one line on stderr (besides warnings about other files), no traceback, nothing written."""
    err = [line for line in result["stderr"].strip().splitlines() if not line.startswith("warning: ")]
    everything = result["stdout"] + result["stderr"]
    assert "Traceback" not in everything and "internal error" not in everything, f"{everything}\n{case.shown()}"
    if result["code"] == 2:  # click's usage message: the usage lines, then one 'Error:' line
        assert [line for line in err if line.startswith("Error:")], f"{result['stderr']}\n{case.shown()}"
    else:
        assert len(err) == 1, f"not one line on stderr: {result['stderr']!r}\n{case.shown()}"
    assert not _written(folder), f"a refused command wrote {_written(folder)}\n{case.shown()}"
    return err[-1] if err else ""


def check_command(result: dict, folder: Path, case) -> None:
    """The invariant for render, plan and check."""
    assert result["code"] in (0, 1, 2), f"exit {result['code']}: {result['stderr']}\n{case.shown()}"
    if result["code"] == 0:
        assert "Traceback" not in result["stderr"] and "internal error" not in result["stderr"], f"{result['stderr']}\n{case.shown()}"
        check_valid_outputs(folder, case)
    else:
        check_refused(result, folder, case)


def check_batch(result: dict, folder: Path, case) -> None:
    """Rows refused one by one are reported; a batch refused as a whole writes nothing."""
    assert result["code"] in (0, 1, 2), f"exit {result['code']}: {result['stderr']}\n{case.shown()}"
    report = folder / "out" / "b" / "report.json"
    if result["code"] != 0 and not report.exists():
        check_refused(result, folder, case)
        return
    everything = result["stdout"] + result["stderr"]
    assert "Traceback" not in everything and "internal error" not in everything, f"{everything}\n{case.shown()}"
    check_valid_outputs(folder, case)
    rows = _strict_json(report.read_text(encoding="utf-8"), "report.json", case)
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    failed = [row for row in rows if row.get("status") not in ("rendered", "up to date", "valid")]
    lines = result["stderr"].strip().splitlines()
    assert len(lines) == len(failed), f"{len(failed)} rows failed, {len(lines)} lines on stderr: {result['stderr']!r}\n{case.shown()}"
    assert (result["code"] == 0) == (not failed), f"exit {result['code']} with {len(failed)} rows failed\n{case.shown()}"


def duration_of(plan_json: str) -> float:
    data = json.loads(plan_json)
    value = data.get("duration_s") if isinstance(data, dict) else None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else math.inf
