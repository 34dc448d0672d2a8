"""What the studio shows before rendering, made by the library: the technique list, a technique's
outline and transcript, the plan of a composed session (timeline image and transcript), and short
spoken and ambient previews (a tiny script of our own, prepared and written like any session)."""

from __future__ import annotations

import base64
import functools
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from sessiongen import pipeline
from sessiongen.model.script import Bls, BlsOn
from sessiongen.output import sidecars
from sessiongen.script import library, parser
from sessiongen.settings import DEFAULTS, Settings

# every sentence a listener can hear is ours: the voice preview says this
VOICE_SAMPLE = "Hello. This is the voice that will guide your session, speaking slowly and calmly."
BED_SAMPLE_S = 8
_DRAWING = threading.Lock()  # matplotlib draws one image at a time


@functools.lru_cache(maxsize=1)
def techniques() -> tuple[dict, ...]:
    """Every technique of the library: id, title, category, summary, nominal length, cautions."""
    rows = []
    for path in library.technique_paths().values():
        meta = parser.parse_file(path).meta
        rows.append(
            {
                "id": meta.id,
                "title": meta.title,
                "category": meta.category,
                "summary": meta.summary,
                "duration_s": meta.duration_s,
                "cautions": list(meta.cautions),
            }
        )
    return tuple(rows)


def categories() -> list[str]:
    return sorted({t["category"] for t in techniques()})


def transcript(timeline) -> list[dict]:
    """What the listener hears, in order: each cue's start and text (sounds in brackets)."""
    return [{"start_s": cue.start_s, "text": cue.text, "kind": cue.kind} for cue in sidecars.cues(timeline)]


_SOUNDS = {
    "Bls": "[bilateral tones]",
    "Bell": "[bell]",
    "Breathe": "[paced breathing]",
    "HeadphoneCheck": "[a tone and a word in each ear]",
}


@functools.lru_cache(maxsize=64)
def words(ref: str) -> tuple[dict, tuple]:
    """A technique's front matter and everything the client will hear, in order, with its default
    values (no speech is made: quick, whatever the engine): chapters, phrases, sounds in brackets."""
    from sessiongen.model.script import Chapter, Say
    from sessiongen.script.personalise import personalise

    script = personalise(pipeline.load(ref), {})
    lines = []
    for node in script.nodes:
        if isinstance(node, Chapter):
            lines.append({"kind": "chapter", "text": node.title})
        elif isinstance(node, Say):
            lines.append({"kind": "speech", "text": node.text})
        elif type(node).__name__ in _SOUNDS:
            lines.append({"kind": "sound", "text": _SOUNDS[type(node).__name__]})
    m = script.meta
    meta = {
        "id": m.id,
        "title": m.title,
        "category": m.category,
        "summary": m.summary,
        "duration_s": m.duration_s,
        "cautions": list(m.cautions),
        "variables": [{"name": n, "default": d} for n, d in m.variables],
    }
    return meta, tuple(lines)


def _planned(ref: str, values: dict, settings: Settings):
    """(script, timeline, its outline with the reachable range, the transcript, and how many
    phrases' lengths were estimated rather than spoken: `estimated_phrases`)."""
    script = pipeline.load(ref, settings.language)
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(script, values, settings, root, estimate=True)
    timeline = prepared.timeline
    return (
        script,
        timeline,
        {**pipeline.outline(script, timeline), "transcript": transcript(timeline), "estimated_phrases": prepared.speak.estimated},
    )


@functools.lru_cache(maxsize=64)
def details(ref: str, engine: str | None) -> dict:
    """A technique's (or composition's) outline with its reachable range, and its transcript."""
    return _planned(ref, {}, DEFAULTS.but(engine=engine))[2]


def plan_preview(ref: str, values: dict, settings: Settings) -> dict:
    """The plan of a session as composed: length, range, chapters, transcript and timeline image."""
    script, timeline, outline = _planned(ref, values, settings)
    has_bilateral = any(isinstance(node, (Bls, BlsOn)) for node in script.nodes)  # the script's own, whatever --no-bls says
    return {**outline, "image": timeline_data_uri(timeline, script.meta.title), "has_bilateral": has_bilateral}


def timeline_data_uri(timeline, title: str) -> str:
    from sessiongen.review import timeline_png

    with tempfile.TemporaryDirectory(prefix="sessiongen-studio-") as folder, _DRAWING:
        path = timeline_png(timeline, Path(folder) / "timeline.png", title=title)
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _spoken(text: str, settings: Settings) -> bytes:
    """A tiny script of ours, prepared and written as WAV by the pipeline; its bytes."""
    script = parser.parse_text(f"---\nid: studio-preview\ntitle: Preview\n---\n{text}\n")
    with tempfile.TemporaryDirectory(prefix="sessiongen-studio-") as folder:
        out = Path(folder) / "preview.wav"
        with pipeline.cache_root(True) as root:
            prepared = pipeline.prepare(script, {}, settings, root)
        pipeline.write(prepared, settings, out, "wav")
        return out.read_bytes()


def voice_preview(settings: Settings) -> bytes:
    """The chosen voice, rate and pronunciations saying our calm sentence, without a bed."""
    return _spoken(VOICE_SAMPLE, replace(settings, minutes=None, ambience="none", mono=False, lead_in_s=0.3, tail_s=0.5, fade_out_s=0.3))


def bed_preview(settings: Settings) -> bytes:
    """A few seconds of the chosen bed alone."""
    return _spoken(f"[pause {BED_SAMPLE_S}s]", replace(settings, minutes=None, lead_in_s=0.0, tail_s=0.5, fade_out_s=1.0))
