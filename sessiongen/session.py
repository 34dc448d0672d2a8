"""The pipeline end to end: parse -> personalise -> speak -> plan -> render -> master -> encode.

Each stage is a function of plain data; this module only wires them together.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sessiongen import compose
from sessiongen.audio import gain_to_db
from sessiongen.encode import format_for, open_writer
from sessiongen.errors import SessiongenError
from sessiongen.fsutil import atomic_path
from sessiongen.master import Fades, Limiter, Loudness, LoudnessMeter, gain_for
from sessiongen.model import Script
from sessiongen.personalise import personalise
from sessiongen.render import Renderer
from sessiongen.settings import Settings
from sessiongen.speech import get_engine
from sessiongen.speech.cache import PhraseCache, default_root
from sessiongen.speech.clips import Clip, Speaker, SpeakStats
from sessiongen.timeline import Timeline, plan, texts_to_speak


@dataclass
class Prepared:
    """Everything needed to render: the personalised script, its clips and its timeline."""

    script: Script
    clips: dict[str, Clip]
    timeline: Timeline
    speak: SpeakStats


@dataclass
class Rendered:
    path: Path
    format: str
    timeline: Timeline
    measured: Loudness  # before mastering
    gain_db: float
    limiter_db: float
    speak: SpeakStats = field(default_factory=SpeakStats)


def load(ref: str) -> Script:
    """A script by path or library id, or a composition (`a+b`, a session file), parsed."""
    return compose.load(ref)


def prepare(script: Script, values: dict[str, str], settings: Settings, cache_root: Path) -> Prepared:
    personal = personalise(script, values)
    speaker = Speaker(get_engine(settings.engine), PhraseCache(cache_root, settings.sample_rate_hz), settings)
    clips = speaker.clips(texts_to_speak(personal))
    timeline = plan(personal, {t: c.frames for t, c in clips.items()}, settings)
    return Prepared(personal, clips, timeline, speaker.stats)


@contextlib.contextmanager
def cache_root(use_cache: bool):
    """The shared phrase cache, or a throw-away one for --no-cache."""
    if use_cache:
        yield default_root()
    else:
        with tempfile.TemporaryDirectory(prefix="sessiongen-nocache-") as folder:
            yield Path(folder)


def measure(renderer: Renderer) -> Loudness:
    """First pass: the loudness of the whole mix, window by window."""
    meter = LoudnessMeter(renderer.tl.rate_hz)
    for window in renderer.windows():
        meter.add(window.mix())
    return meter.result()


def write(prepared: Prepared, settings: Settings, out: Path, fmt: str | None = None) -> Rendered:
    """Render, master and encode to `out` (atomically: no half-written file is ever left)."""
    fmt = format_for(out, fmt)
    _check_folder(out)
    tl = prepared.timeline
    renderer = Renderer(tl, prepared.clips, settings)
    measured = measure(renderer)
    gain = gain_for(measured, settings.loudness_lufs)
    limiter = Limiter(tl.rate_hz, settings.peak_ceiling_db)
    fades = Fades(tl.frames, tl.rate_hz, settings.fade_in_s, settings.fade_out_s)
    with atomic_path(out) as temp:
        writer = open_writer(temp, fmt, tl.rate_hz, settings.mp3_bitrate_kbps)
        try:
            position = 0
            for window in renderer.windows():
                block = limiter.process(window.mix() * gain)
                writer.write(fades.apply(block, position))
                position += len(block)
            writer.write(fades.apply(limiter.flush(), position))
        finally:
            writer.close()
    return Rendered(out, fmt, tl, measured, gain_to_db(gain), limiter.reduction_db, prepared.speak)


def _check_folder(out: Path) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise SessiongenError(f"{out}: the folder {folder} does not exist: create it or choose another output path")


def slug(text: str, limit: int = 80) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit]


def default_output(script: Script, values: dict[str, str], fmt: str = "mp3", folder: Path = Path("output")) -> Path:
    """output/<technique>[-<name>].mp3"""
    parts = [slug(script.meta.id.replace("+", "-then-")) or Path(script.path).stem]
    name = slug(values.get("name", ""), 40)
    if name:
        parts.append(name)
    return folder / f"{'-'.join(parts)}.{fmt}"


def outline(script: Script, timeline: Timeline) -> dict:
    """What a clinician needs to know before giving a technique to a client."""
    m = script.meta
    return {
        "id": m.id,
        "title": m.title,
        "category": m.category,
        "summary": m.summary,
        "duration_s": round(timeline.duration_s, 3),
        "nominal_duration_s": m.duration_s,
        "range_s": [round(f / timeline.rate_hz, 3) for f in timeline.range_frames],
        "cautions": list(m.cautions),
        "variables": [{"name": n, "default": d} for n, d in m.variables],
        "chapters": [{"title": t, "start_s": round(s / timeline.rate_hz, 3)} for t, s in timeline.chapters],
        "bilateral_sets": sum(1 for e in timeline.events if e.kind == "bls"),
    }
