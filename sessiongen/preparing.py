"""A session prepared (stages 1-3): personalised, paced, spoken (by the synthetic voice or a
clinician's voice pack) and planned into its timeline; and who speaks it, as its input hash
knows it."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import replace
from pathlib import Path

from sessiongen import options
from sessiongen.errors import SessiongenError
from sessiongen.model.results import Prepared, SpeakStats
from sessiongen.model.script import Say, Script
from sessiongen.plan import plan, texts_to_speak
from sessiongen.script.pacing import pace
from sessiongen.script.personalise import personalise
from sessiongen.settings import Settings
from sessiongen.speech import choose_engine, fingerprint, get_engine, saying
from sessiongen.speech.cache import PhraseCache, default_root
from sessiongen.speech.clips import Speaker
from sessiongen.voicepack import source as voicepack_source
from sessiongen.words import rate_for


def prepare(
    script: Script, values: dict[str, str], settings: Settings, cache_root: Path, estimate: bool = False, progress=None
) -> Prepared:
    """`estimate`: for plans and previews, phrases the cache lacks are not spoken but their length
    estimated, with engines whose synthesis is slow (`estimated_plans`); prepared.speak.estimated
    counts them. `progress(fraction)`: told as the phrases the cache lacks are spoken."""
    options.check(settings)
    if settings.voice_pack:
        return _prepare_recorded(script, values, settings, cache_root)
    personal = pace(personalise(script, values), settings)
    engine_name, note, speaker = _synthetic_speaker(personal, settings, cache_root)
    notes = tuple(n for n in (note, *pace_floor_notes(personal, speaker, settings)) if n)
    guess = estimate and getattr(speaker.engine, "estimated_plans", False)
    phrases = texts_to_speak(personal, settings)
    clips = speaker.estimated_clips(phrases) if guess else speaker.clips(phrases, progress)
    timeline = plan(personal, {t: c.frames for t, c in clips.items()}, settings)
    return Prepared(
        personal,
        clips,
        timeline,
        speaker.stats,
        speaker.voice_name,
        speech_identity(settings, script.meta.language),
        engine_name,
        notes + _said_otherwise(speaker, [text for text, _ in phrases.values()], values),
    )


def _said_otherwise(speaker: Speaker, texts: list[str], values: dict[str, str]) -> tuple[str, ...]:
    """A warning for each word the voice says otherwise than written (transliterated) or leaves out."""
    return tuple(saying.warning(found, speaker.language, values) for found in speaker.foreign(texts))


def speech_identity(settings: Settings, language: str) -> str:
    """Who speaks a session, as its input hash knows it: the synthetic engine and voice (the voice
    file's content), or a voice pack's recording (with the synthetic voice, where it may say what
    the pack lacks or its personal phrases). pipeline.prepare records it; a batch compares it to
    skip the rows that are up to date."""
    engine_name, _ = choose_engine(settings.engine, settings.voice)
    engine = get_engine(engine_name)
    with _about("voice"):
        voice = engine.resolve_voice(settings.voice, language) if getattr(engine, "voice_identity", None) else ""
    synthetic = fingerprint(engine, voice)
    if not settings.voice_pack:
        return synthetic
    return f"{voicepack_source.identity(voicepack_source.open_pack(settings.voice_pack))}|{synthetic}"


def _synthetic_speaker(personal: Script, settings: Settings, cache_root: Path) -> tuple[str, str | None, Speaker]:
    """(the engine chosen, a note about the choice or None, its Speaker over the phrase cache)."""
    engine_name, note = choose_engine(settings.engine, settings.voice)
    engine = get_engine(engine_name)
    with _about("voice"):
        speaker = Speaker(
            engine, PhraseCache(cache_root, settings.sample_rate_hz), settings, personal.meta.language, personal.meta.pronunciations
        )
    return engine_name, note, speaker


def pace_floor_notes(personal: Script, speaker: Speaker, settings: Settings) -> list[str]:
    """One warning for each [pace N%] that asks the voice for less than its slowest (an engine
    with `slowest_wpm`: Kokoro), at the first phrase that does: those phrases are spoken there."""
    slowest = getattr(speaker.engine, "slowest_wpm", None)
    floor_wpm = slowest(speaker.voice) if slowest else None
    if not floor_wpm:
        return []
    base_wpm = rate_for(personal.meta.language, settings.rate_wpm)
    notes, seen = [], set()
    for node in personal.nodes:
        if isinstance(node, Say) and node.pace < 1.0 and (node.rate_wpm or base_wpm) < floor_wpm and node.pace not in seen:
            seen.add(node.pace)
            where = f"{node.where.prefix()}: " if node.where else ""
            notes.append(
                f"{where}[pace {node.pace * 100:g}%]: the voice {speaker.voice_name} speaks no slower than "
                f"{floor_wpm / base_wpm:.0%} of this session's rate, so these phrases are spoken at that pace"
            )
    return notes


@contextlib.contextmanager
def _about(option: str):
    """A user's error raised inside is about `option` (the studio shows it beside that field)."""
    try:
        yield
    except SessiongenError as exc:
        exc.option = exc.option or option
        raise


def _prepare_recorded(script: Script, values: dict[str, str], settings: Settings, cache_root: Path) -> Prepared:
    """prepare() with a voice pack as the clip source; the synthetic voice says only what the
    pack lacks, when settings.allow_synthetic lets it (voicepack/source.py)."""
    pack = voicepack_source.open_pack(settings.voice_pack)
    voiced_script, neutral, chosen = voicepack_source.script_for(pack, script, values)
    personal = pace(voiced_script, settings)
    clips, left, voiced = voicepack_source.pack_clips(pack, texts_to_speak(personal, settings), settings, settings.allow_synthetic, chosen)
    engine_name, notes, stats = "voice-pack", [], SpeakStats()
    if left:
        engine_name, note, speaker = _synthetic_speaker(personal, settings, cache_root)
        clips.update(speaker.clips(left))
        stats, engine_name = speaker.stats, f"voice-pack+{engine_name}"
        notes = [
            n
            for n in [
                note,
                f"{len(left)} phrase{'s' * (len(left) != 1)} not in the voice pack {pack.name} spoken by the synthetic voice ({speaker.voice_name})",
            ]
            if n
        ]
        notes += _said_otherwise(speaker, [text for text, _ in left.values()], values)
    timeline = plan(personal, {t: c.frames for t, c in clips.items()}, settings)
    return Prepared(
        personal,
        clips,
        timeline,
        stats,
        f"recorded ({pack.name})",
        speech_identity(settings, script.meta.language),
        engine_name,
        tuple(notes),
        replace(voiced, neutral=tuple(neutral)).as_dict(),
    )


@contextlib.contextmanager
def cache_root(use_cache: bool):
    """The shared phrase cache, or a throw-away one for --no-cache."""
    if use_cache:
        root = default_root()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SessiongenError(
                f"the phrase cache folder {root} cannot be used ({exc.strerror}): set SESSIONGEN_CACHE_DIR to a folder, or use --no-cache"
            ) from None
        yield root
    else:
        with tempfile.TemporaryDirectory(prefix="sessiongen-nocache-") as folder:
            yield Path(folder)
