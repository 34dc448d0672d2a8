"""Voice-pack import on a long synthetic take: matching accuracy, level error, noise, time.

    .venv/bin/python benchmarks/voicepack_import.py [SCRIPT...] [--repeat N]

The sheet of the scripts (default: four library techniques) is spoken by the tests' word-saying fake engine (WordsEngine)
(tests/voicepack_takes.py: room noise, 50 Hz hum, silences of 1.2-3 s, levels ±4 dB, a comma's
pause inside long phrases), `--repeat` times over, one phrase left out, one said twice, one
remark added; then imported. Prints the take's length, the import time, how many phrases were
found within 0.1 s of where they were said, the level error of the cleaned clips against the
synthetic clips (BS.1770), and the signal-to-noise ratio before and after the clean-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyebur128
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("SESSIONGEN_ENGINES", "fake=fake_engine:FakeEngine,fake-words=voicepack_takes:WordsEngine")

from voicepack_takes import RATE_HZ, build  # noqa: E402

from sessiongen import pipeline  # noqa: E402
from sessiongen.settings import Settings  # noqa: E402
from sessiongen.speech import raw_engine  # noqa: E402
from sessiongen.speech.cache import PhraseCache  # noqa: E402
from sessiongen.speech.clips import Speaker  # noqa: E402
from sessiongen.voicepack import importing, sheet, store  # noqa: E402

DEFAULT = ["body-scan-long", "safe-place", "container", "box-breathing"]


def lufs(mono: np.ndarray) -> float:
    meter = pyebur128.R128State(1, RATE_HZ, pyebur128.MeasurementMode.MODE_I)
    meter.add_frames(mono.astype(np.float64), len(mono))
    return pyebur128.get_loudness_global(meter)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scripts", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    settings = Settings(engine="fake")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ["SESSIONGEN_CACHE_DIR"] = str(tmp / "cache")
        scripts = [pipeline.load(ref) for ref in args.scripts]
        engine = raw_engine("fake-words")
        pack = sheet.make_pack(scripts, args.scripts, engine, "fake-words", settings, tmp / "cache", tmp / "pack")
        store.create(tmp / "pack", pack, sheet.html(pack, [s.meta.title for s in scripts]))
        ids = [p.id for p in pack.phrases]
        take = build(pack.phrases, missing=ids[len(ids) // 3], extra_after=ids[len(ids) // 2], retake=ids[len(ids) // 4])
        sf.write(tmp / "take.flac", take.samples, RATE_HZ)
        started = time.perf_counter()
        report = importing.import_takes(tmp / "pack", [tmp / "take.flac"], settings)
        took = time.perf_counter() - started
        pack = store.load(tmp / "pack")
        found = sum(
            1
            for k, (a, b) in take.truth.items()
            if k in pack.recorded and abs(pack.recorded[k]["start_s"] - a) < 0.1 and abs(pack.recorded[k]["stop_s"] - b) < 0.1
        )
        speaker = Speaker(engine, PhraseCache(tmp / "cache", RATE_HZ), settings)
        errors = [
            lufs(sf.read(store.clip_folder(pack.folder, RATE_HZ, -20.0) / f"{k:03d}.wav", dtype="float32")[0])
            - lufs(sf.read(speaker.clip(pack.phrase(k).text).path, dtype="float32")[0])
            for k in pack.recorded
        ]
        snr = np.array([(r["noise_db"], r["snr_db"], r["noise_db_after"], r["snr_db_after"]) for r in pack.recorded.values()])
    print(f"take: {len(take.samples) / RATE_HZ / 60:.1f} min, {len(ids)} phrases on the sheet; import took {took:.1f} s")
    print(f"matched within 0.1 s: {found} of {len(take.truth)} phrases said; problems: {sorted({p.kind for p in report.problems})}")
    print(f"level error against the synthetic clips: mean {np.mean(errors):+.2f} LU, worst {max(errors, key=abs):+.2f} LU")
    print(
        f"noise floor {snr[:, 0].mean():.1f} dBFS, SNR {snr[:, 1].mean():.1f} dB before; "
        f"after (levelled) noise {snr[:, 2].mean():.1f} dBFS, SNR {snr[:, 3].mean():.1f} dB"
    )


if __name__ == "__main__":
    main()
