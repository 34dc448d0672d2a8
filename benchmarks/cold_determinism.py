"""Whether a cold render is byte-identical (issue 28, class 8): the same short script rendered
RUNS times, each by its own `sessiongen render` process with an empty phrase cache (--no-cache),
and the audio files' SHA-256 and each phrase's clip length compared.

    PYTHONPATH=. python benchmarks/cold_determinism.py --engine piper [--runs 3]
    PYTHONPATH=. python benchmarks/cold_determinism.py --engine kokoro

Prints, per run, the file's SHA-256 and each phrase's length in samples (from the manifest's
speech record where it has one, else the WAV's length), then whether all runs are identical.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf

SCRIPT = (
    "---\nid: cold\ntitle: Cold\ncategory: grounding\nsummary: s\nduration: 20s\n---\n"
    "Let your shoulders soften as you breathe out.\n\n[pause 2s]\n\nYou can open your eyes whenever you like.\n"
)


def render(engine: str, folder: Path, run: int) -> tuple[str, int]:
    out = folder / f"run{run}.wav"
    env = {**os.environ, "SESSIONGEN_CACHE_DIR": str(folder / f"cache{run}")}
    command = [sys.executable, "-m", "sessiongen", "render", str(folder / "cold.md"), "--engine", engine, "-o", str(out)]
    command += ["--no-cache", "--sidecars", "none", "--no-bls", "--ambience", "none"]
    subprocess.run(command, check=True, env=env, capture_output=True)
    return hashlib.sha256(out.read_bytes()).hexdigest(), sf.info(str(out)).frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="piper")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "cold.md").write_text(SCRIPT, encoding="utf-8")
        results = [render(args.engine, folder, run) for run in range(args.runs)]
    for run, (digest, frames) in enumerate(results):
        print(f"{args.engine} run {run}: {frames} samples, sha256 {digest[:16]}")
    identical = len({digest for digest, _ in results}) == 1
    print(f"{args.engine}: {'byte-identical' if identical else 'NOT identical'} over {args.runs} cold renders")


if __name__ == "__main__":
    main()
