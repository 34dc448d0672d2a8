"""The benchmark's speech section, as a mixin of run.py's Bench: 4. narration with a cold cache,
the neural voice against piper's own command line (speech_piper.py) and the espeak-ng path
(--engine pyttsx3) against libespeak-ng itself (children.py's `_prepare` and `_espeak`)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import common
from common import SELF, env_with_cache, log, median, run, summary
from speech_piper import PiperSpeech


class SpeechSections:
    # -- 4. narration, cold cache: the neural voice against piper's own command line; espeak-ng's path against espeak-ng --
    def speech(self) -> None:
        self.results["speech"] = {"piper": PiperSpeech(self, common).measure()}
        self.results["speech"]["pyttsx3"] = self.speech_espeak()

    def speech_espeak(self) -> dict:
        """The espeak-ng path (--engine pyttsx3): pipeline.prepare against libespeak-ng itself."""
        workload, minutes = self.session
        phrases_file = self.work / "phrases.json"
        phrases_file.write_text(json.dumps(phrases_of(workload, minutes)))
        ours, floor = [], []
        for r in range(self.runs):
            cache = self.fresh_cache()
            proc = run([sys.executable, SELF, "_prepare", workload, f"{minutes:g}", cache], env_with_cache(cache))
            ours.append(json.loads(proc.stdout))
            shutil.rmtree(cache, ignore_errors=True)
            proc = run([sys.executable, SELF, "_espeak", phrases_file])
            floor.append(json.loads(proc.stdout))
            log(
                f"   run {r + 1}/{self.runs}: pipeline.prepare (pyttsx3) {ours[-1]['prepare_s']:.1f} s "
                f"({ours[-1]['words'] / ours[-1]['prepare_s']:.1f} words/s); espeak-ng {floor[-1]['synth_s']:.1f} s "
                f"({floor[-1]['words'] / floor[-1]['synth_s']:.1f} words/s)"
            )
        words = ours[0]["words"]
        return {
            "phrases": ours[0]["phrases"],
            "words": words,
            "rate_wpm": ours[0]["rate_wpm"],
            "voice": ours[0]["voice"],
            "sessiongen": {
                "what": "pipeline.prepare with --engine pyttsx3 and a fresh SESSIONGEN_CACHE_DIR (engine process already "
                "started): synthesis, trimming, resampling to 44.1 kHz, levelling, cache writes, planning",
                "prepare_s": summary([o["prepare_s"] for o in ours], "s"),
                "engine_start_s": summary([o["engine_start_s"] for o in ours], "s"),
                "parent_cpu_s": summary([o["parent_cpu_s"] for o in ours], "s"),
                "engine_cpu_s": summary([o["engine_cpu_s"] for o in ours], "s"),
                "audio_s": ours[0]["audio_s"],
                "words_per_s": round(words / median([o["prepare_s"] for o in ours]), 2),
                "audio_s_per_s": round(ours[0]["audio_s"] / median([o["prepare_s"] for o in ours]), 2),
            },
            "espeak": {
                "what": "libespeak-ng from espeakng_loader through ctypes, AUDIO_OUTPUT_SYNCHRONOUS, the same voice, rate, "
                "volume and flags as pyttsx3's driver, one espeak_Synth per phrase, samples collected in the callback",
                "library": floor[0]["library"],
                "version": floor[0]["version"],
                "synth_s": summary([f["synth_s"] for f in floor], "s"),
                "init_s": summary([f["init_s"] for f in floor], "s"),
                "cpu_s": summary([f["cpu_s"] for f in floor], "s"),
                "audio_s": floor[0]["audio_s"],
                "words_per_s": round(words / median([f["synth_s"] for f in floor]), 2),
                "audio_s_per_s": round(floor[0]["audio_s"] / median([f["synth_s"] for f in floor]), 2),
            },
        }


def phrases_of(workload: Path, minutes: float) -> dict:
    """The phrases sessiongen synthesises for a workload, exactly as pipeline.prepare asks for them."""
    from sessiongen import pipeline
    from sessiongen.plan import texts_to_speak
    from sessiongen.script.pacing import pace
    from sessiongen.script.personalise import personalise
    from sessiongen.settings import DEFAULTS

    settings = DEFAULTS.but(minutes=minutes)
    script = pace(personalise(pipeline.load(str(workload)), {}), settings)
    phrases = list(texts_to_speak(script, settings).values())
    return {"phrases": [[text, rate] for text, rate in phrases], "volume": settings.volume}
