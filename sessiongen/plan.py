"""Plan: personalised Script + clip lengths -> Timeline. Pure and exact, counted in frames.

The session length is exactly the sum of its sequential events (speech, pauses, sets, bells,
breathing); bilateral underlays and bed changes ride on top without adding length.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sessiongen.errors import SessiongenError
from sessiongen.model.script import Ambience, Bell, Bls, BlsOff, BlsOn, Breathe, Chapter, HeadphoneCheck, Pause, Say, Script, Tone
from sessiongen.model.timeline import Event, EventKind, Timeline
from sessiongen.settings import Settings
from sessiongen.timefmt import compact_duration as format_duration
from sessiongen.words import ENGLISH, Words, rate_for, words_of

DEFAULT_BED = "brown"
BREATHE_CUES = ENGLISH.breathe_cues  # each language's own: words.py
HEADPHONE_WORDS = ENGLISH.headphone
HEADPHONE_BEEP_S = 0.5
MONO_NOTICE = ENGLISH.mono_notice
MONO_CHECK = ENGLISH.mono_check
VOICED_ROUNDS = 2  # cues=both: spoken for the first rounds, tone only after
MAX_SESSION_S = 4 * 3600.0


def phrase_key(text: str, rate_wpm: int | None = None) -> str:
    """The clip a phrase needs: its text, and its own rate where pacing changed it."""
    return text if rate_wpm is None else f"{rate_wpm}\x1f{text}"


def texts_to_speak(script: Script, settings: Settings) -> dict[str, tuple[str, int]]:
    """Every phrase the voice will say (narration, breathing cues, headphone-check words), as
    clip key -> (text, rate in words per minute)."""
    phrases = {phrase_key(n.text, n.rate_wpm): (n.text, n.rate_wpm or settings.rate_wpm) for n in script.nodes if isinstance(n, Say)}
    words, texts = words_of(script.meta), breathing_words(script)
    if any(isinstance(n, HeadphoneCheck) for n in script.nodes):
        texts += [words.mono_check] if settings.mono else list(words.headphone)
    if settings.mono and settings.bls and any(isinstance(n, (Bls, BlsOn)) for n in script.nodes):
        texts.append(words.mono_notice)
    rate = rate_for(script.meta.language, settings.rate_wpm)
    return {**phrases, **{t: (t, rate) for t in texts}}


def breathing_words(script: Script) -> list[str]:
    """What the voice may say in the script's breathing exercises: each phase's cue, and in a
    language that counts, the numbers up to its longest phase."""
    voiced = [n for n in script.nodes if isinstance(n, Breathe) and n.cues != "tone"]
    if not voiced:
        return []
    words = words_of(script.meta)
    longest_s = max(max(n.in_s, n.hold_s, n.out_s, n.hold_out_s) for n in voiced)
    return [*words.breathe_cues.values(), *words.counts[: max(0, int(longest_s) - 1)]]


def plan(script: Script, clip_frames: dict[str, int], settings: Settings) -> Timeline:
    """Lay the script out in time. `clip_frames` maps each phrase to its length in frames."""
    rate = settings.sample_rate_hz
    steps = _steps(script, clip_frames, settings)
    fixed = sum(s.frames for s in steps if not s.elastic)
    lo = fixed + sum(s.frames for s in steps if s.elastic)
    hi = fixed + sum(s.max_frames for s in steps if s.elastic)
    target_s = settings.minutes * 60.0 if settings.minutes is not None else script.meta.duration_s
    if not target_s:  # a script without a duration is not fitted: every elastic pause at the middle of its range
        target_s = (lo + hi) / 2 / rate
    if settings.minutes is not None and not lo - rate // 2 <= round(target_s * rate) <= hi + rate // 2:
        raise SessiongenError(
            f"{settings.minutes:g} minutes is out of reach for this script: it can be from "
            f"{format_duration(lo / rate)} to {format_duration(hi / rate)} long at this voice and rate",
            option="minutes",
        )
    fraction = _fit(steps, round(target_s * rate), lo, hi)
    return _lay_out(script, steps, settings, fraction, (lo, hi))


@dataclass
class _Step:
    kind: str
    frames: int
    node: object = None
    max_frames: int = 0
    elastic: bool = False
    text: str = ""
    cues: tuple[tuple[int, str, float], ...] = ()
    beeps: tuple[tuple[int, float], ...] = ()
    clip: str = ""


def _headphone_step(node: HeadphoneCheck, clip_frames: dict[str, int], settings: Settings, words: Words) -> _Step:
    """A tone then "Left." in the left ear only, then the same on the right (in mono: a notice)."""
    rate = settings.sample_rate_hz
    if settings.mono:
        return _Step("speech", clip_frames[words.mono_check], text=words.mono_check)
    cues, beeps, clock = [], [], 0
    for word, pan in zip(words.headphone, (-1.0, 1.0)):
        beeps.append((clock, pan))
        clock += int(0.6 * rate)
        cues.append((clock, word, pan))
        clock += clip_frames[word] + int(0.9 * rate)
    return _Step("headphone-check", clock, node, cues=tuple(cues), beeps=tuple(beeps), text="left and right check")


def _steps(script: Script, clip_frames: dict[str, int], settings: Settings) -> list[_Step]:
    """The sequential steps, with automatic gaps between phrases and the lead-in and tail."""
    rate = settings.sample_rate_hz
    frames = lambda s: int(round(s * rate))  # noqa: E731
    steps = [_Step("pause", frames(settings.lead_in_s), text="lead-in")]
    last_say: Say | None = None
    notice_due = settings.mono and settings.bls
    words = words_of(script.meta)
    for node in script.nodes:
        if notice_due and isinstance(node, (Bls, BlsOn)):  # the speaker version says what it does
            if last_say is not None:
                steps.append(_Step("pause", frames(settings.paragraph_gap_s), text="gap"))
            steps += [
                _Step("speech", clip_frames[words.mono_notice], text=words.mono_notice),
                _Step("pause", frames(settings.paragraph_gap_s), text="gap"),
            ]
            notice_due, last_say = False, None
        if isinstance(node, Say):
            if last_say is not None:
                gap_s = settings.paragraph_gap_s if last_say.paragraph_end else settings.sentence_gap_s
                steps.append(_Step("pause", frames(gap_s * last_say.gap_scale), text="gap"))
            key = phrase_key(node.text, node.rate_wpm)
            steps.append(_Step("speech", clip_frames[key], node, text=node.text, clip=key))
            last_say = node
            continue
        if isinstance(node, (Chapter, BlsOn, BlsOff, Ambience)):
            steps.append(_Step("marker", 0, node))
            continue
        last_say = None
        if isinstance(node, Pause):
            steps.append(_Step("pause", frames(node.min_s), node, frames(node.max_s), node.elastic))
        elif isinstance(node, Bls):
            steps.append(_Step("bls", frames(node.duration_s), node))
        elif isinstance(node, Bell):
            steps.append(_Step("bell", frames(settings.bell_s), node, text="bell"))
        elif isinstance(node, HeadphoneCheck):
            steps.append(_headphone_step(node, clip_frames, settings, words))
        elif isinstance(node, Breathe):
            cues = _breathe_cues(node, clip_frames, rate, words)
            steps.append(_Step("breathe", frames(node.round_s * node.rounds), node, cues=cues))
    steps.append(_Step("pause", frames(settings.tail_s), text="tail"))
    return steps


def _fit(steps: list[_Step], target: int, lo: int, hi: int) -> float:
    """Stretch every elastic pause by one common fraction of its range; the last absorbs rounding."""
    elastic = [s for s in steps if s.elastic]
    if not elastic or hi == lo:
        return 0.0
    fraction = min(1.0, max(0.0, (target - lo) / (hi - lo)))
    for step in elastic:
        step.frames += int(round(fraction * (step.max_frames - step.frames)))
    if 0.0 < fraction < 1.0:
        elastic[-1].frames += target - sum(s.frames for s in steps)
    return fraction


def _lay_out(script: Script, steps: list[_Step], settings: Settings, fraction: float, range_frames) -> Timeline:
    events: list[Event] = []
    chapters: list[tuple[str, int]] = []
    bed = _initial_bed(script, settings)
    if bed is not None:
        events.append(Event(EventKind.AMBIENCE, 0, 0, bed=bed))
    under: tuple[int, Tone] | None = None
    clock, chapter = 0, 0

    def close_under(at: int) -> None:
        nonlocal under
        if under is not None and at > under[0] and settings.bls:
            events.append(
                Event(EventKind.BLS, under[0], at - under[0], chapter, tone=under[1], under=True, text="bilateral tones under narration")
            )
        under = None

    for step in steps:
        node = step.node
        if isinstance(node, Chapter):
            close_under(clock)
            at = 0 if not chapters and not any(e.kind == EventKind.SPEECH for e in events) else clock
            chapters.append((node.title, at))
            chapter = len(chapters) - 1
        elif isinstance(node, BlsOn):
            close_under(clock)
            under = (clock, tone_for(node.tone, settings))
        elif isinstance(node, BlsOff):
            close_under(clock)
        elif isinstance(node, Ambience):
            if settings.ambience is None:  # --ambience on the command line overrides the script
                events.append(Event(EventKind.AMBIENCE, clock, 0, chapter, bed=node.name))
        elif step.kind != "marker":
            if step.text == "tail":
                close_under(clock)
            events.append(_event_for(step, clock, chapter, settings))
            clock += step.frames
    close_under(clock)
    return _timeline(script, settings, events, chapters, clock, fraction, range_frames)


def _timeline(
    script: Script, settings: Settings, events: list[Event], chapters: list, frames: int, fraction: float, range_frames
) -> Timeline:
    """The laid-out events as a Timeline: within the length limit, opening with a chapter, in order."""
    if frames > MAX_SESSION_S * settings.sample_rate_hz:
        raise SessiongenError(f"the session would be {format_duration(frames / settings.sample_rate_hz)} long; the limit is 4 hours")
    if not chapters or chapters[0][1] > 0:
        chapters.insert(0, (script.meta.title or words_of(script.meta).opening_title, 0))
    events.sort(key=lambda e: (e.start, e.under))
    return Timeline(
        rate_hz=settings.sample_rate_hz,
        frames=frames,
        chapters=tuple(chapters),
        events=tuple(events),
        title=script.meta.title,
        seed=settings.seed,
        elastic_fraction=fraction,
        range_frames=range_frames,
        language=script.meta.language,
    )


def tone_for(tone: Tone, settings: Settings) -> Tone:
    """A script's tone with the session's overrides (a client's rate, timbre or depth) applied."""
    changes = {"rate_hz": settings.bls_rate_hz, "timbre": settings.bls_timbre, "depth_pct": settings.bls_depth_pct}
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes.get("timbre", "sine") != "sine" and tone.style == "sweep":
        changes["style"] = "alternate"  # a sweep glides a sine; another timbre alternates
    return replace(tone, **changes) if changes else tone


def _initial_bed(script: Script, settings: Settings) -> str | None:
    chosen = settings.ambience if settings.ambience is not None else (script.meta.ambience or DEFAULT_BED)
    return None if chosen == "none" else chosen


def _event_for(step: _Step, start: int, chapter: int, settings: Settings) -> Event:
    node = step.node
    if isinstance(node, Bls):
        if not settings.bls:
            return Event(EventKind.PAUSE, start, step.frames, chapter, text="bilateral set (tones off)")
        return Event(EventKind.BLS, start, step.frames, chapter, tone=tone_for(node.tone, settings), text="bilateral tones")
    if isinstance(node, Breathe):
        return Event(EventKind.BREATHE, start, step.frames, chapter, breathe=node, cues=step.cues, text="paced breathing")
    clip = step.clip if step.clip != step.text else ""
    return Event(step.kind, start, step.frames, chapter, text=step.text, elastic=step.elastic, cues=step.cues, beeps=step.beeps, clip=clip)


def _breathe_cues(node: Breathe, clip_frames: dict[str, int], rate: int, words: Words) -> tuple[tuple[int, str, float], ...]:
    """Spoken cues at the start of each phase, where the words fit inside the phase; in a
    language that counts (words.counts), its numbers on each following whole second that
    holds them ("Inhala", "dos", "tres", "cuatro")."""
    if node.cues == "tone":
        return ()
    rounds = node.rounds if node.cues == "voice" else min(node.rounds, VOICED_ROUNDS)
    phases = [("in", node.in_s), ("hold", node.hold_s), ("out", node.out_s), ("hold_out", node.hold_out_s)]
    cues, elapsed_s = [], 0.0
    for _ in range(rounds):
        for name, length_s in phases:
            text = words.breathe_cues[name]
            said_frames = clip_frames.get(text, 0)
            if length_s > 0 and said_frames <= length_s * rate:
                cues.append((int(round(elapsed_s * rate)), text, 0.0))
                cues += _counts(words.counts, elapsed_s, length_s, said_frames / rate, clip_frames, rate)
            elapsed_s += length_s
    return tuple(cues)


def _counts(
    counts: tuple[str, ...], start_s: float, length_s: float, cue_s: float, clip_frames: dict[str, int], rate: int
) -> list[tuple[int, str, float]]:
    """'dos' at one second into the phase, 'tres' at two, ...: each on its whole second once the
    phase's cue has been said, while each fits before the next second."""
    out = []
    for second, word in enumerate(counts[: max(0, int(length_s) - 1)], start=1):
        if second < cue_s:
            continue  # still saying the cue: this second goes unspoken
        if clip_frames.get(word, 0) > min(1.0, length_s - second) * rate:
            break
        out.append((int(round((start_s + second) * rate)), word, 0.0))
    return out


def duration_note(script: Script, timeline: Timeline, settings: Settings) -> str | None:
    """One line when a script cannot meet its own `duration` (no --minutes given): a warning, as
    the session is still laid out as near to it as the script allows."""
    wanted_s, rate = script.meta.duration_s, timeline.rate_hz
    lo, hi = timeline.range_frames
    if settings.minutes is not None or not wanted_s or lo - rate // 2 <= round(wanted_s * rate) <= hi + rate // 2:
        return None
    return (
        f"{script.meta.title}: its duration {format_duration(wanted_s)} is out of reach at this voice and rate "
        f"(it can be {format_duration(lo / rate)} to {format_duration(hi / rate)}), so it is "
        f"{format_duration(timeline.duration_s)}: change `duration` or the pauses' ranges, or give --minutes"
    )
