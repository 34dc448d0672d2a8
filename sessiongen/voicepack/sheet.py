"""The recording sheet: every phrase numbered, where it sits, its pace, and how to leave room
between phrases; a personal phrase with the way it will be spoken for each client."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from jinja2 import Environment

from sessiongen.model.script import Script
from sessiongen.output.markup import document
from sessiongen.settings import Settings
from sessiongen.speech.cache import PhraseCache
from sessiongen.speech.clips import Speaker
from sessiongen.speech.engine import Engine
from sessiongen.voicepack.phrases import pack_phrases
from sessiongen.voicepack.store import Pack

GAP_S = 2.0  # the silence asked for after each phrase


def make_pack(
    scripts: list[Script],
    refs: list[str],
    engine: Engine,
    engine_name: str,
    settings: Settings,
    cache_root: Path,
    folder: Path,
    personal_mode: str = "neutral",
) -> Pack:
    """The pack's phrase list, each with its length in the synthetic voice (from the phrase cache:
    the texts are the scripts' own, never a client's)."""
    phrases = pack_phrases(scripts, personal_mode)
    language = scripts[0].meta.language if scripts else None
    speaker = Speaker(engine, PhraseCache(cache_root, settings.sample_rate_hz), settings, language)
    clips = speaker.clips({p.text: (p.text, None) for p in phrases})
    phrases = [replace(p, expected_s=clips[p.text].duration_s) for p in phrases]
    return Pack(folder, phrases, list(refs), engine_name, speaker.voice_name, voice_id=speaker.voice, rate_wpm=settings.rate_wpm)


def pace_hint(seconds: float, words: int) -> str:
    wpm = words / max(seconds, 0.1) * 60
    feel = "slowly" if wpm < 100 else "unhurried" if wpm < 140 else "gently"
    return f"about {seconds:.0f} s, {feel}" if seconds >= 1.5 else "short"


_SHEET = Environment(autoescape=True).from_string("""
<main id="main">
<style>
ol.sheet { list-style: none; padding: 0; margin: 0; }
ol.sheet li { display: grid; grid-template-columns: 3.2rem 1fr; gap: 0.2rem 0.8rem; padding: 0.6rem 0; border-bottom: 1px solid var(--line); break-inside: avoid; }
.num { font-size: 1.4rem; font-weight: 700; font-variant-numeric: tabular-nums; text-align: right; }
.say { font-size: 1.15rem; }
.meta { grid-column: 2; color: var(--muted); font-size: 0.85rem; }
.personal { grid-column: 2; background: var(--caution); border-left: 4px solid var(--caution-edge); padding: 0.3rem 0.6rem; font-size: 0.9rem; }
.how { background: var(--panel); border: 1px solid var(--line); padding: 0.8rem 1rem; border-radius: 6px; }
@media print { body { background: #fff; color: #000; font-size: 11pt; } footer, .noprint { display: none; } main { max-width: none; } }
</style>
<h1>Recording sheet</h1>
<p>{{ titles|join(", ") }}: {{ phrases|length }} phrases, about {{ minutes }} minute{{ "s" if minutes != 1 }} of speaking.</p>
<div class="how"><p><strong>How to record.</strong> Find a quiet room and sit comfortably, the microphone a hand's width away.
Before you start, leave about 5 seconds of silence: it lets sessiongen learn the room's sound.
Then read each phrase in your session voice, and after each one leave about {{ gap }} seconds of silence.
The numbers are for you; there is no need to say them.</p>
<p>If you stumble, pause and say the whole phrase again: the last take of a phrase is the one kept.
You can record everything in one go, in several parts in this order, or one file per phrase named by its number (007.wav).</p></div>
<ol class="sheet">
{% for p in phrases %}<li><span class="num">{{ p.id }}</span><span class="say">{{ p.text }}</span>
<span class="meta">{{ p.where }} · {{ hint(p) }}{% if p.pause_after_s >= 3 %} · a pause of {{ "%.0f"|format(p.pause_after_s) }} s or more follows in the session{% endif %}</span>
{% if p.personal %}<span class="personal">{% if p.mode == "neutral" %}In the script this phrase carries a client's details ({{ details(p) }}). Please record it as written here: this version is used for every client.{% else %}In the script this phrase carries a client's details ({{ details(p) }}): the synthetic voice says it with each client's own; you may skip it.{% endif %}</span>{% endif %}
</li>
{% endfor %}</ol>
</main>""")


def html(pack: Pack, titles: list[str]) -> str:
    total_s = sum(p.expected_s + GAP_S for p in pack.phrases)
    body = _SHEET.render(
        phrases=pack.phrases,
        titles=titles,
        minutes=max(1, round(total_s / 60)),
        gap=f"{GAP_S:g}",
        hint=lambda p: pace_hint(p.expected_s, len(p.text.split())),
        details=lambda p: ", ".join(dict.fromkeys(re.findall(r"\{\{-?\s*(\w+)", p.template))).replace("_", " ") or "a value",
    )
    return document(f"Recording sheet: {', '.join(titles)}", body)
