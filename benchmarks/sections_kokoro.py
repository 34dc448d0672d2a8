"""The benchmark's Kokoro section (issue 24), as a mixin of run.py's Bench: cold synthesis of the
session's phrases with the default voice (af_heart) by sessiongen's worker pool against
kokoro-onnx's own `Kokoro.create` with its default session options, on the same sentences at the
same speed, each in a fresh process and phrase cache (kokoro_speed.py), with 1, 2 and 3 voice
workers; every process's peak memory; and the duration estimate against the real clips
(kokoro_estimate.py)."""

from __future__ import annotations

import json
import sys

import kokoro_estimate
from common import HERE, log, run


class KokoroSections:
    def kokoro(self) -> None:
        _, minutes = self.session
        argv = [sys.executable, HERE / "kokoro_speed.py", "--minutes", f"{minutes:g}", "--workers", "2" if self.quick else "1,2,3"]
        if self.quick:
            argv += ["--limit", "12"]
        found = json.loads(run(argv).stdout)
        found["estimate"] = kokoro_estimate.errors(found)
        for key in [k for k in found if k.startswith(("ours_", "theirs"))]:
            log(
                f"   {key}: {found[key]['speech_s']:.0f} s of speech in {found[key]['process_wall_s']:.0f} s ({found[key]['real_time_x']:.2f}x real time)"
            )
        self.results["kokoro"] = found
