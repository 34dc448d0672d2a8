"""How long the studio's batch page takes to list a big roster's rows (issue 28, class 9).

    PYTHONPATH=. python benchmarks/studio_roster_load.py [--rows 10000] [--tabs 5]

Makes a batch of ROWS rows in a throw-away data folder (the fake voice, one short script, every
row planned once by the first load), then times: the first load, a second load, and TABS loads at
once (as many browser tabs). The rows are what studio/batches.rows gives the page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("SESSIONGEN_ENGINES", "fake=fake_engine:FakeEngine")

SCRIPT = "---\nid: tiny\ntitle: Tiny\ncategory: grounding\nsummary: s\nduration: 3s\nvariables:\n  name: friend\n---\nHello {{ name }}.\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--tabs", type=int, default=5)
    args = parser.parse_args()
    from sessiongen.studio import batches

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        data.mkdir()
        os.environ.setdefault("SESSIONGEN_CACHE_DIR", str(Path(folder) / "cache"))
        (data / "tiny.md").write_text(SCRIPT, encoding="utf-8")
        lines = ["client_id,technique,name,bls,ambience"] + [f"c{i},{data / 'tiny.md'},Sam,false,none" for i in range(args.rows)]
        where = batches.create(data, "big", "roster.csv", ("\n".join(lines) + "\n").encode())
        for label, loads in (("first load", 1), ("second load", 1), (f"{args.tabs} tabs at once", args.tabs)):
            started = time.perf_counter()
            with ThreadPoolExecutor(loads) as pool:
                found = list(pool.map(lambda _: batches.rows(where, data, "fake"), range(loads)))
            print(f"{label}: {time.perf_counter() - started:.2f} s ({len(found[0])} rows)")


if __name__ == "__main__":
    main()
