"""A deterministic stand-in for a speech engine, for unit tests only.

Each phrase becomes a voiced, syllable-shaped tone whose length follows the word count and rate,
at the engine's own rate of 22 050 Hz like espeak-ng, so the real resampling path is exercised.
"""

from __future__ import annotations

import hashlib

import numpy as np

from sessiongen.errors import SessiongenError, suggest
from sessiongen.sound.audio import Audio
from sessiongen.speech.engine import Voice, speaks

RATE_HZ = 22_050
VOICES = [
    Voice("fake/en", "Fake English", ("en",), engine="fake"),
    Voice("fake/en-us", "Fake American", ("en-us",), engine="fake"),
    Voice("otro/castellano", "Fake Spanish", ("es",), engine="fake", gender="female"),
    Voice("otro/mexicano", "Fake Mexican", ("es-mx",), engine="fake", gender="male"),  # the studio's voice picker filters by both
]


def words_of(text: str) -> int:
    return max(1, len(text.split()))


def expected_duration_s(text: str, rate_wpm: int) -> float:
    return words_of(text) * 60.0 / rate_wpm


class FakeEngine:
    name = "fake"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.rates: list[tuple[str, int]] = []  # (text, rate in words a minute) as each phrase was asked for

    def identity(self) -> str:
        return "fake:1"

    def voices(self) -> list[Voice]:
        return VOICES

    def resolve_voice(self, voice: str | None, language: str | None = None) -> str:
        for v in VOICES:
            if (voice in (v.id, v.name, *v.languages)) if voice else speaks(v.languages, language or "en"):
                if language and not speaks(v.languages, language):
                    raise SessiongenError(f"the voice {v.id} does not speak '{language}'")
                return v.id
        raise SessiongenError(f"unknown voice '{voice}'{suggest(voice or '', [v.id for v in VOICES])}")

    def synthesize(self, text: str, voice: str, rate_wpm: int, volume: float, options: dict | None = None) -> Audio:
        self.calls.append(text)
        self.rates.append((text, rate_wpm))
        frames = int(expected_duration_s(text, rate_wpm) * RATE_HZ)
        seed = int.from_bytes(hashlib.sha256(f"{voice}|{text}".encode()).digest()[:4], "little")
        pitch_hz = 110.0 + seed % 60
        t = np.arange(frames) / RATE_HZ
        voiced = sum(np.sin(2 * np.pi * pitch_hz * k * t) / k for k in range(1, 6))
        syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
        samples = 0.3 * volume * voiced * syllables
        padding = np.zeros(int(0.1 * RATE_HZ))  # engines leave a little silence around speech
        return Audio(np.concatenate([padding, samples, padding]).astype(np.float32)[:, None], RATE_HZ)


class FlakyEngine(FakeEngine):
    """Misbehaves as the file named by $FLAKY_STATE says: hang-once, crash-once, hang-always,
    crawl-once or crawl-always ($FLAKY_CRAWL_CPU_S seconds of CPU time at a quarter of a core), or
    one of those followed by @TEXT to misbehave on that phrase only. Each phrase it is asked for
    is appended to the file named by $FLAKY_LOG, if set."""

    def synthesize(self, text, voice, rate_wpm, volume, options=None):
        import os
        import time
        from pathlib import Path

        if os.environ.get("FLAKY_LOG"):
            with open(os.environ["FLAKY_LOG"], "a", encoding="utf-8") as log:
                log.write(text + "\n")
        state = Path(os.environ["FLAKY_STATE"])
        mode, _, only = (state.read_text() if state.exists() else "").partition("@")
        if only and only != text:
            mode = ""
        if mode.endswith("-once"):
            state.write_text("")
        if mode.startswith("hang"):
            time.sleep(3600)
        if mode.startswith("crawl"):  # working, slowly, as on a machine with many more processes than cores
            _crawl(float(os.environ.get("FLAKY_CRAWL_CPU_S", "1.3")))
        if mode == "crash-once":
            os._exit(3)
        return super().synthesize(text, voice, rate_wpm, volume)


def _crawl(cpu_s: float) -> None:
    """Use `cpu_s` of CPU time, working a quarter of the time: a process that gets a quarter of a
    core. Counted in CPU time, so a busier machine makes it slower, never less work."""
    import time

    end = time.process_time() + cpu_s
    while time.process_time() < end:
        busy_until = min(end, time.process_time() + 0.1)
        while time.process_time() < busy_until:
            pass
        time.sleep(0.3)
