"""The fuzzing child: runs sessiongen commands in-process, one request at a time, under limits.

Started by `harness.Worker` as `python worker.py`. It reads requests (pickled, length-prefixed)
from one pipe and answers on another (their descriptors in $FUZZ_FDS); its own stdin and stdout are /dev/null, so a command that
reads stdin or a library that prints cannot disturb the protocol. For each request it:

- resets its peak memory (VmHWM, through /proc/self/clear_refs) and sets RLIMIT_CPU to the CPU
  time used so far plus the request's budget (SIGXCPU kills it: the parent sees a dead worker);
- runs the click command in the request's folder, stdout and stderr captured, and answers with the
  exit code, both outputs, the wall time and the peak RSS during the command.

RLIMIT_AS is set once at start: the address space after imports plus MEMORY_MB. A MemoryError
inside a command is reported by sessiongen as an internal error, which the parent treats as a failure.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import resource
import struct
import sys
import time
import traceback

MEMORY_MB = int(os.environ.get("FUZZ_MEMORY_MB", "1536"))


def _status(key: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"{key}:\s*(\d+)", status.read()).group(1))


def _read(stream) -> dict | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack("<I", head)
    return pickle.loads(stream.read(size))


def _write(stream, message: dict) -> None:
    data = pickle.dumps(message)
    stream.write(struct.pack("<I", len(data)) + data)
    stream.flush()


def _limit_cpu(seconds: float) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (int(spent + seconds) + 1, hard))


def run(cli, request: dict) -> dict:
    os.chdir(request["cwd"])
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current RSS
    base_mb = _status("VmRSS") // 1024
    _limit_cpu(request["cpu_s"])
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code, escaped = None, None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(request["args"], prog_name="sessiongen", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - anything escaping click is itself the finding
            escaped = traceback.format_exc()
    return {
        "code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "escaped": escaped,
        "seconds": time.monotonic() - started,
        "peak_mb": _status("VmHWM") // 1024,
        "base_mb": base_mb,
    }


def main() -> None:
    request_fd, answer_fd = map(int, os.environ["FUZZ_FDS"].split(","))
    requests, answers = os.fdopen(request_fd, "rb"), os.fdopen(answer_fd, "wb")
    from sessiongen import offline
    from sessiongen.cli import cli

    offline.guard()
    size_kb = _status("VmSize")
    limit = (size_kb // 1024 + MEMORY_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _write(answers, {"ready": True})
    while (request := _read(requests)) is not None:
        _write(answers, run(cli, request))


if __name__ == "__main__":
    sys.exit(main())
