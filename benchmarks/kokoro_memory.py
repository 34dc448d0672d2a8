"""A Kokoro voice worker's peak memory against the length of what it speaks: the N longest phrases
of a language's library, spoken in this one process as a worker speaks them (KokoroSynth, one
onnxruntime thread), the peak resident set (VmHWM) printed after each phrase.

    PYTHONPATH=. python benchmarks/kokoro_memory.py [--language es] [--voice ef_dora] [--phrases 6] [--batch 250]

onnxruntime sizes its buffers to the longest input it has run, so a worker's peak follows the
longest inference it has run, whatever the session's length: a phrase longer than --batch
phonemes is spoken a sentence at a time (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import time

from sessiongen.model.script import Say
from sessiongen.script import library, parser
from sessiongen.settings import DEFAULTS
from sessiongen.speech.engines import kokoro
from sessiongen.speech.engines.kokoro import KokoroSynth
from sessiongen.words import rate_for


def longest_phrases(language: str, count: int) -> list[str]:
    texts = {
        node.text for path in library.technique_paths(language).values() for node in parser.parse_file(path).nodes if isinstance(node, Say)
    }
    return sorted(texts, key=len, reverse=True)[:count]


def peak_mb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--language", default="es")
    args.add_argument("--voice", default="ef_dora")
    args.add_argument("--phrases", type=int, default=6)
    args.add_argument("--batch", type=int, default=kokoro.MAX_BATCH_PHONEMES, help="phonemes per inference at most (510: whole phrases)")
    given = args.parse_args()
    kokoro.MAX_BATCH_PHONEMES = given.batch
    synth = KokoroSynth()
    for text in longest_phrases(given.language, given.phrases):
        started = time.process_time()
        audio = synth.synthesize(text, given.voice, rate_for(given.language, DEFAULTS.rate_wpm), 1.0)
        row = {
            "chars": len(text),
            "speech_s": round(audio.duration_s, 1),
            "cpu_s": round(time.process_time() - started, 1),
            "vmhwm_mb": peak_mb(),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
