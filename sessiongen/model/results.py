"""What the stages hand on: speech clips, the prepared session, the rendered and delivered file.

Plain data, built once by the stage that produces it; the orchestrator (pipeline.py) only
passes it along.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sessiongen.model.script import Script
from sessiongen.model.timeline import Timeline


@dataclass(frozen=True)
class Clip:
    text: str
    path: str
    frames: int
    rate_hz: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz


@dataclass(frozen=True)
class SpeakStats:
    synthesised: int = 0
    cached: int = 0
    estimated: int = 0  # phrases not spoken, their length estimated (plans and previews: speech/estimate.py)


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float


@dataclass(frozen=True)
class Delivered:
    """What the listener gets, measured on the mastered stream as it is written."""

    integrated_lufs: float
    max_momentary_lufs: float
    true_peak_db: float
    momentary_lufs: np.ndarray  # every 100 ms: the loudness of the 400 ms before it (EBU R128 'M')


@dataclass(frozen=True)
class Prepared:
    """Everything needed to render: the personalised script, its clips and its timeline."""

    script: Script
    clips: dict[str, Clip]
    timeline: Timeline
    speak: SpeakStats
    voice: str = ""  # the voice used, as the manifest names it
    engine_identity: str = ""  # speech.fingerprint: the engine and the voice file
    engine: str = ""  # the engine used (the default's fallback may differ from the settings)
    notes: tuple[str, ...] = ()  # things the user should be told, e.g. that the fallback voice speaks
    voice_pack: dict | None = None  # a recorded voice spoke: voicepack.source.Voiced.as_dict()


@dataclass(frozen=True)
class Rendered:
    path: Path
    format: str
    timeline: Timeline
    measured: Loudness  # the mix before mastering
    gain_db: float
    limiter_db: float
    delivered: Delivered
    speak: SpeakStats = field(default_factory=SpeakStats)
    predicted_lufs: float = float("nan")  # the mix's loudness as predicted before rendering
    passes: int = 1  # 2 when the prediction missed and the session was mastered again
    loudness_mode: str = "programme"  # what landed on the target: "voice" (the narration) or "programme" (the mix)
    voice_lufs: float = float("-inf")  # the narration's speech-gated loudness as delivered
    limiter_on_speech_db: tuple[float, float] = (0.0, 0.0)  # the limiter's gain reduction over speech: mean, worst
    against_voice_lu: dict = field(default_factory=dict)  # master.levels.against_voice: the mix, bed, tones against the voice


@dataclass(frozen=True)
class Delivery:
    """A delivered session: the audio as rendered, its manifest and every file beside it."""

    rendered: Rendered
    manifest: dict
    sidecars: tuple[Path, ...]
    warnings: tuple[str, ...] = ()  # things worth knowing that are not errors (pipeline.warnings)
