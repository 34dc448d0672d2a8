"""Rows a minute of `batch --dask` on a cluster started the ordinary way, on this machine.

For each worker count, a fresh cluster (`dask scheduler`; `dask worker --nworkers N --nthreads 1`,
nanny included, in its own folder and phrase cache) and a fresh client cache, then a roster of
ROWS copies of workloads/steady-ground-10.md (a 10-minute session), one client name each, with the
default voice. Where the time goes: the client's speaking ahead (synthesis, from batch.log), each
row's time on its worker (render, the report's seconds: unpacking, the mix, mastering, encoding,
the review page), and what travels (the parcel of each row out, its files back).

    PYTHONPATH=. .venv/bin/python benchmarks/cluster_rows.py --rows 10 --workers 1,2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the cluster helper the tests use

from dask_cluster import cluster  # noqa: E402

WORKLOAD = HERE / "workloads" / "steady-ground-10.md"
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[.,]?\d*)")


def _stamp(line: str) -> float | None:
    found = STAMP.match(line)
    return datetime.fromisoformat(found.group(1).replace(",", ".")).timestamp() if found else None


def _phase_s(log_text: str, start: str, end: str) -> float | None:
    """Seconds between the first log line containing `start` and the first containing `end`."""
    lines = log_text.splitlines()
    a = next((_stamp(x) for x in lines if start in x), None)
    b = next((_stamp(x) for x in lines if end in x), None)
    return round(b - a, 1) if a and b else None


def measure(rows: int, workers: int, folder: Path) -> dict:
    from sessiongen.batch import remote
    from sessiongen.batch.jobs import speak_ahead
    from sessiongen.batch.produce import RunOptions, produce
    from sessiongen.batch.roster import read_roster
    from sessiongen.batch.validate import BatchOptions, validate
    from sessiongen.output.packaging import Packaging

    os.environ["SESSIONGEN_CACHE_DIR"] = str(folder / "client-cache")
    (folder / "in").mkdir(parents=True)
    (folder / "in" / "session.md").write_text(WORKLOAD.read_text(encoding="utf-8"), encoding="utf-8")
    roster = folder / "in" / "roster.csv"
    roster.write_text(
        "client_id,technique,name\n" + "".join(f"c{i:02d},session.md,Client{i}\n" for i in range(1, rows + 1)), encoding="utf-8"
    )
    out = folder / "out"
    with cluster(folder / "workers", nworkers=workers, fake=False) as found:
        options = BatchOptions(out_dir=out, packaging=Packaging(review=True))  # as the command line's default
        started = time.monotonic()
        result = produce(roster, options, RunOptions(dask_address=found.address))
        wall_s = time.monotonic() - started
    log_text = (out / "batch.log").read_text(encoding="utf-8")
    report = json.loads((out / "report.json").read_text())["rows"]
    jobs, _ = validate(roster, read_roster(roster), options)
    read: dict = {}
    speak_ahead(jobs[:1], read)  # all cached by now: which entries the first row's task carried
    parcel = remote.pack(jobs[0], read[jobs[0].row])
    back_mb = sum(p.stat().st_size for p in out.iterdir() if p.name.startswith("c01-")) / 1e6
    return {
        "rows": rows,
        "worker_processes": workers,
        "counts": result.counts,
        "wall_s": round(wall_s, 1),
        "rows_per_minute": round(rows / wall_s * 60, 2),
        "speak_ahead_s": _phase_s(log_text, "batch of", "spoke ahead"),
        "on_cluster_s": _phase_s(log_text, "rendering", "rendered:"),
        "row_on_worker_s": sorted(r["seconds"] for r in report),
        "parcel_out_mb": round((sum(map(len, parcel.inputs.values())) + sum(map(len, parcel.phrases.values()))) / 1e6, 1),
        "files_back_mb": round(back_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--workers", default="1,2", help="worker process counts to measure, comma-separated")
    parser.add_argument("-o", "--output", type=Path, default=HERE / "results" / "cluster_rows.json")
    args = parser.parse_args()
    results = []
    for workers in [int(w) for w in args.workers.split(",")]:
        with tempfile.TemporaryDirectory(prefix="sessiongen-cluster-bench-") as temp:
            results.append(measure(args.rows, workers, Path(temp)))
        print(json.dumps(results[-1]), flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
