"""How often the voice-pack alignment finds every phrase where it was said, over varied takes.

    .venv/bin/python benchmarks/voicepack_alignment.py

Four scripts, six takes each (tests/voicepack_takes.py, spoken by its WordsEngine): pauses inside
long phrases of 0.25-0.8 s, silences between phrases of 1.0-3.0 s (the two overlap on purpose),
with a missing phrase, a remark and a retake at varied places. Only silence detection, the content
scores and the alignment run (no clean-up). A take counts as right when every phrase said is found within 0.1 s
at both ends and the missing one is reported missing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("SESSIONGEN_ENGINES", "fake=fake_engine:FakeEngine,fake-words=voicepack_takes:WordsEngine")

from voicepack_takes import RATE_HZ, build  # noqa: E402

from sessiongen import pipeline  # noqa: E402
from sessiongen.settings import Settings  # noqa: E402
from sessiongen.speech import raw_engine  # noqa: E402
from sessiongen.voicepack import matching, sheet, split  # noqa: E402
from sessiongen.voicepack.takes import envelope  # noqa: E402

SCRIPTS = ["safe-place", "container", "box-breathing", str(Path(__file__).resolve().parents[1] / "tests" / "data" / "voicepack-script.md")]
PLACES = [(4, 6, 2), (5, 9, 3), (3, 7, 8), (10, 2, 9), (None, None, 5), (6, None, None)]  # missing, remark after, retake


def wrong_phrases(phrases, take, found, aligned) -> list[int]:
    wrong = []
    for phrase, group in zip(phrases, aligned.kept):
        truth = take.truth.get(phrase.id)
        got = None if group is None else (found[group[0]].start * 0.01, found[group[1]].stop * 0.01)
        if (truth is None) != (got is None) or (truth and max(abs(truth[0] - got[0]), abs(truth[1] - got[1])) > 0.1):
            wrong.append(phrase.id)
    return wrong


def main() -> None:
    right = total = 0
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SESSIONGEN_CACHE_DIR"] = folder
        for ref in SCRIPTS:
            pack = sheet.make_pack(
                [pipeline.load(ref)],
                [],
                raw_engine("fake-words"),
                "fake-words",
                Settings(engine="fake"),
                Path(folder),
                Path(folder) / "pack",
            )
            for seed, (missing, extra, retake) in enumerate(PLACES):
                take = build(
                    pack.phrases,
                    seed=seed,
                    missing=missing,
                    extra_after=extra,
                    retake=retake,
                    comma_gap_s=(0.25, 0.8),
                    silence_s=(1.0, 3.0),
                )
                sf.write(Path(folder) / "take.wav", take.samples, RATE_HZ)
                env = envelope(Path(folder) / "take.wav", RATE_HZ)
                found = split.islands([env])
                expected = [p.expected_s for p in pack.phrases]
                scores = matching.score(found, [env], matching.synthetic_readings(pack, Settings(engine="fake-words")), expected)
                wrong = wrong_phrases(pack.phrases, take, found, split.align(found, expected, scores))
                right, total = right + (not wrong), total + 1
                if wrong:
                    print(f"  {Path(ref).stem}, take {seed}: phrases {wrong[:6]} misplaced")
    print(f"takes aligned right: {right} of {total}")


if __name__ == "__main__":
    main()
