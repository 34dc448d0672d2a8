"""Sidecars: the transcript as a full text alternative, in VTT, SRT and LRC, plus chapters and manifest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from helpers import prepared
from hypothesis import given, settings
from hypothesis import strategies as st

from sessiongen.model.script import Breathe, Tone
from sessiongen.output import sidecars
from sessiongen.plan import Event, Timeline

RATE_HZ = 44100
LONG_PHRASE = (
    "Let your attention settle on the feeling of your breath as it moves in and out, without changing it, "
    "noticing the cool air at the nostrils, the gentle rise of the chest and belly, and the small pause "
    "before each new breath begins, and whenever the mind wanders simply notice where it went and come back."
)
ESCAPED = "Salt & pepper <now>."


def frames(seconds: float) -> int:
    return round(seconds * RATE_HZ)


def ms(frame: int) -> int:
    return round(frame / RATE_HZ * 1000)


class Clock:
    """Lays sequential events end to end, like the planner."""

    def __init__(self) -> None:
        self.at = 0
        self.events: list[Event] = []

    def add(self, kind: str, seconds: float, **fields) -> Event:
        event = Event(kind, self.at, frames(seconds), **fields)
        self.events.append(event)
        self.at += event.frames
        return event

    def mark(self, **fields) -> Event:
        event = Event("ambience", self.at, 0, **fields)
        self.events.append(event)
        return event


def headphone_fields() -> dict:
    beeps = ((0, -1.0), (frames(2.0), 1.0))
    words = ((frames(0.6), "Left.", -1.0), (frames(2.6), "Right.", 1.0))
    return dict(cues=words, beeps=beeps, text="left and right check")


def breathe_fields() -> dict:
    exercise = Breathe(in_s=4.0, hold_s=4.0, out_s=6.0, rounds=5)
    words = []
    for round_index in range(2):  # voiced for two rounds, the tone alone after
        base_s = round_index * exercise.round_s
        words += [(frames(base_s), "Breathe in.", 0.0), (frames(base_s + 4), "Hold.", 0.0), (frames(base_s + 8), "Breathe out.", 0.0)]
    return dict(breathe=exercise, cues=tuple(words), text="paced breathing")


@dataclass
class Sample:
    timeline: Timeline
    ev: dict[str, Event]


def sample() -> Sample:
    clock, ev = Clock(), {}
    ev["amb_brown"] = clock.mark(bed="brown")
    ev["lead"] = clock.add("pause", 2.0, text="lead-in")
    ev["welcome"] = clock.add("speech", 3.0, text="Welcome. Find a comfortable position.")
    ev["gap"] = clock.add("pause", 1.2, text="gap")
    ev["long"] = clock.add("speech", 20.0, text=LONG_PHRASE)
    ev["gap_under"] = clock.add("pause", 6.0, text="gap")
    ev["escaped"] = clock.add("speech", 2.0, text=ESCAPED)
    under_frames = clock.at - ev["gap"].start
    ev["under"] = Event("bls", ev["gap"].start, under_frames, tone=Tone(), under=True, text="bilateral tones under narration")
    clock.events.append(ev["under"])
    ev["pause20"] = clock.add("pause", 20.0)
    ev["set"] = clock.add("bls", 90.0, tone=Tone(), text="bilateral tones")
    chapter2 = clock.at
    ev["amb_rain"] = clock.mark(bed="rain", chapter=1)
    ev["bell"] = clock.add("bell", 5.0, chapter=1, text="bell")
    ev["check"] = clock.add("headphone-check", 4.0, chapter=1, **headphone_fields())
    ev["breathe"] = clock.add("breathe", 70.0, chapter=1, **breathe_fields())
    ev["amb_off"] = clock.mark(bed=None, chapter=1)
    ev["bye"] = clock.add("speech", 1.5, chapter=1, text="Goodbye.")
    ev["tail"] = clock.add("pause", 6.0, chapter=1, text="tail")
    events = tuple(sorted(clock.events, key=lambda e: (e.start, e.under)))
    timeline = Timeline(RATE_HZ, clock.at, (("Arriving", 0), ("Part two", chapter2)), events, title="Café session")
    return Sample(timeline, ev)


# --- small parsers ----------------------------------------------------------------------------------


@dataclass
class Parsed:
    start_ms: int
    end_ms: int
    lines: list[str]

    @property
    def spoken(self) -> list[str]:
        return [line for line in self.lines if not line.startswith("[")]


def _to_ms(h: str, m: str, s: str, milli: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(milli)


def parse_cues(text: str, mark: str) -> list[Parsed]:
    stamp = rf"(\d\d):(\d\d):(\d\d){re.escape(mark)}(\d{{3}})"
    timing = re.compile(rf"^{stamp} --> {stamp}$")
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        for i, line in enumerate(lines):
            match = timing.match(line)
            if match:
                g = match.groups()
                out.append(Parsed(_to_ms(*g[:4]), _to_ms(*g[4:]), lines[i + 1 :]))
                break
    return out


def parse_vtt(text: str) -> list[Parsed]:
    return parse_cues(text, ".")


def parse_srt(text: str) -> list[Parsed]:
    return parse_cues(text, ",")


def parse_lrc(text: str) -> list[tuple[int, str]]:
    """(centiseconds, text) for every timed line."""
    out = []
    for line in text.splitlines():
        match = re.match(r"^\[(\d+):(\d\d)\.(\d\d)\](.*)$", line)
        if match:
            minutes, secs, cs, rest = match.groups()
            out.append(((int(minutes) * 60 + int(secs)) * 100 + int(cs), rest))
    return out


def unescape(line: str) -> str:
    return line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def find(parsed: list[Parsed], wanted: str) -> Parsed:
    """The cue showing `wanted` as one of its lines (or part of one)."""
    hits = [p for p in parsed if any(wanted in line for line in p.lines)]
    assert hits, f"{wanted!r} not found"
    return hits[0]


def speech_pieces(parsed: list[Parsed], event: Event) -> list[Parsed]:
    return [p for p in parsed if ms(event.start) <= p.start_ms < ms(event.end) and p.spoken]


def check_speech(parsed: list[Parsed], timeline: Timeline) -> None:
    """Each phrase: its pieces say the whole phrase and tile its span exactly, to the millisecond."""
    for event in (e for e in timeline.events if e.kind == "speech"):
        pieces = speech_pieces(parsed, event)
        said = " ".join(unescape(line) for p in pieces for line in p.spoken)
        assert said == event.text
        assert pieces[0].start_ms == ms(event.start)
        assert pieces[-1].end_ms == ms(event.end)
        assert all(a.end_ms == b.start_ms for a, b in zip(pieces, pieces[1:]))


# --- the cues ---------------------------------------------------------------------------------------


def test_vtt_times_speech_exactly_and_wraps_lines():
    s = sample()
    text = sidecars.vtt(s.timeline)
    assert text.startswith("WEBVTT\n\n")
    parsed = parse_vtt(text)
    starts = [p.start_ms for p in parsed]
    assert starts == sorted(starts)
    assert all(p.end_ms >= p.start_ms for p in parsed)
    assert all(len(line) <= 70 for p in parsed for line in p.lines)
    assert all(len(p.lines) <= 2 for p in parsed)
    check_speech(parsed, s.timeline)


def test_long_phrase_splits_into_cues_in_proportion_to_characters():
    s = sample()
    pieces = speech_pieces(parse_vtt(sidecars.vtt(s.timeline)), s.ev["long"])
    assert len(pieces) >= 2
    chars = [sum(len(line) for line in p.lines) for p in pieces]
    total_ms = ms(s.ev["long"].end) - ms(s.ev["long"].start)
    for piece, size in zip(pieces, chars):
        assert abs((piece.end_ms - piece.start_ms) - total_ms * size / sum(chars)) <= 2


def test_vtt_escapes_markup_characters():
    text = sidecars.vtt(sample().timeline)
    assert "Salt &amp; pepper &lt;now&gt;." in text
    assert "<" not in text and ESCAPED not in text


def test_vtt_describes_what_is_heard_without_words():
    s = sample()
    parsed = parse_vtt(sidecars.vtt(s.timeline))

    def spans(wanted: str, event: Event) -> None:
        cue = find(parsed, wanted)
        assert (cue.start_ms, cue.end_ms) == (ms(event.start), ms(event.end)), wanted

    spans("[silence, 20 seconds]", s.ev["pause20"])
    spans("[silence, 6 seconds]", s.ev["tail"])
    spans("[bilateral tones only, 6 seconds]", s.ev["gap_under"])
    spans("[bilateral tones, 1 minute 30 seconds]", s.ev["set"])
    spans("[bilateral tones begin under the voice]", s.ev["under"])
    spans("[bell]", s.ev["bell"])
    spans("[paced breathing: in 4, hold 4, out 6 seconds, 5 rounds]", s.ev["breathe"])
    spans("[a tone in the left ear, then the right]", s.ev["check"])
    assert find(parsed, "[bilateral tones end]").start_ms == ms(s.ev["under"].end)
    assert find(parsed, "[ambience: brown noise]").start_ms == 0
    assert find(parsed, "[ambience: steady rain]").start_ms == ms(s.ev["amb_rain"].start)
    assert find(parsed, "[ambience fades out]").start_ms == ms(s.ev["amb_off"].start)
    rest = find(parsed, "[breathing continues, paced by the tone alone, 3 more rounds]")
    assert rest.end_ms == ms(s.ev["breathe"].end)
    silences = [line for p in parsed for line in p.lines if "silence" in line]
    assert silences == ["[silence, 20 seconds]", "[silence, 6 seconds]"]  # not the 2 s lead-in nor the 1.2 s gap


def test_spoken_cues_inside_breathing_and_headphone_check():
    s = sample()
    parsed = parse_vtt(sidecars.vtt(s.timeline))
    breathe_in = [p for p in parsed if p.lines == ["Breathe in."]]
    assert [p.start_ms for p in breathe_in] == [ms(s.ev["breathe"].start), ms(s.ev["breathe"].start + frames(14))]
    assert all(p.end_ms - p.start_ms == 4000 for p in breathe_in)
    left, right = find(parsed, "Left."), find(parsed, "Right.")
    assert left.start_ms == ms(s.ev["check"].start + frames(0.6))
    assert right.start_ms == ms(s.ev["check"].start + frames(2.6))
    assert left.end_ms <= right.start_ms and right.end_ms == ms(s.ev["check"].end)


def test_vtt_marks_chapter_starts_with_notes():
    text = sidecars.vtt(sample().timeline)
    notes = re.findall(r"^NOTE .*$", text, re.M)
    assert len(notes) == 2 and notes[0].endswith(": Arriving") and notes[1].endswith(": Part two")


def test_srt_is_one_sequence_without_overlaps():
    s = sample()
    text = sidecars.srt(s.timeline)
    numbers = [int(block.split("\n")[0]) for block in text.strip().split("\n\n")]
    assert numbers == list(range(1, len(numbers) + 1))
    parsed = parse_srt(text)
    assert all(a.end_ms <= b.start_ms for a, b in zip(parsed, parsed[1:]))
    assert all(p.end_ms > p.start_ms for p in parsed)
    assert all(len(line) <= 70 for p in parsed for line in p.lines)
    check_speech(parsed, s.timeline)
    for wanted in (
        "[silence, 20 seconds]",
        "[bilateral tones, 1 minute 30 seconds]",
        "[bell]",
        "[ambience: steady rain]",
        "[bilateral tones begin under the voice]",
        "[paced breathing: in 4, hold 4, out 6 seconds, 5 rounds]",
        "[a tone in the left ear, then the right]",
        "[ambience fades out]",
    ):
        find(parsed, wanted)
    tones_set = find(parsed, "[bilateral tones, 1 minute 30 seconds]")
    assert (tones_set.start_ms, tones_set.end_ms) == (ms(s.ev["set"].start), ms(s.ev["set"].end))


def test_srt_puts_a_note_with_no_room_on_the_next_cue():
    s = sample()
    parsed = parse_srt(sidecars.srt(s.timeline))
    first_breath = find(parsed, "[paced breathing")
    assert first_breath.lines == ["[paced breathing: in 4, hold 4, out 6 seconds, 5 rounds]", "Breathe in."]
    assert first_breath.start_ms == ms(s.ev["breathe"].start)
    underlay = find(parsed, "[bilateral tones begin under the voice]")  # in the 1.2 s gap before the phrase
    assert (underlay.start_ms, underlay.end_ms) == (ms(s.ev["gap"].start), ms(s.ev["gap"].end))


def test_lrc_lines_are_monotonic_and_cover_the_transcript():
    s = sample()
    text = sidecars.lrc(s.timeline)
    assert "[ti:Café session]" in text.splitlines()
    assert sidecars.lrc(s.timeline, title="Other").splitlines()[0] == "[ti:Other]"
    timed = parse_lrc(text)
    times = [t for t, _ in timed]
    assert times == sorted(times)
    shown = " ".join(line for _, line in timed)
    for event in (e for e in s.timeline.events if e.kind == "speech"):
        assert event.text in shown
    assert "[bell]" in shown and "[silence, 20 seconds]" in shown
    assert (round(s.ev["welcome"].start / RATE_HZ * 100), "Welcome. Find a comfortable position.") in timed


def test_lrc_never_shows_two_lines_at_once():
    timed = parse_lrc(sidecars.lrc(sample().timeline))
    stamps = [t for t, _ in timed]
    assert len(stamps) == len(set(stamps))


def test_cues_come_in_time_order():
    found = sidecars.cues(sample().timeline)
    assert [c.start_s for c in found] == sorted(c.start_s for c in found)
    assert all(c.end_s > c.start_s for c in found)


# --- chapters (choosing and writing sidecars: test_sidecar_kinds.py) ----------------------------


def test_chapters_json_matches_timeline():
    s = sample()
    data = sidecars.chapters_json(s.timeline)
    assert data["version"] == "1.2.0"
    expected = [{"startTime": round(start / RATE_HZ, 3), "title": title} for title, start in s.timeline.chapters]
    assert data["chapters"] == expected
    assert data["chapters"][0]["startTime"] == 0


# --- any layout ------------------------------------------------------------------------------------

WORDS = st.lists(
    st.sampled_from(["calm", "breathe", "slowly", "notice", "the", "gentle", "warmth", "of", "your", "hands"]), min_size=1, max_size=60
)
STEP = st.one_of(
    st.tuples(st.just("speech"), st.floats(0.3, 30.0), WORDS.map(" ".join)),
    st.tuples(st.sampled_from(["pause", "bls", "bell"]), st.floats(0.2, 40.0), st.just("")),
    st.tuples(st.sampled_from(["under-on", "under-off", "rain", "off"]), st.just(0.0), st.just("")),
)


def layout(steps) -> Timeline:
    """Sequential events from `steps`, with underlays and ambience changes at their markers."""
    clock, under_from = Clock(), None
    for kind, seconds, text in steps:
        if kind in ("rain", "off"):
            clock.mark(bed=None if kind == "off" else kind)
        elif kind.startswith("under"):
            if under_from is not None and clock.at > under_from:
                clock.events.append(Event("bls", under_from, clock.at - under_from, tone=Tone(), under=True))
            under_from = clock.at if kind == "under-on" else None
        else:
            clock.add(kind, seconds, text=text, tone=Tone() if kind == "bls" else None)
    if under_from is not None and clock.at > under_from:
        clock.events.append(Event("bls", under_from, clock.at - under_from, tone=Tone(), under=True))
    events = tuple(sorted(clock.events, key=lambda e: (e.start, e.under)))
    return Timeline(RATE_HZ, clock.at, (("Only", 0),), events)


@settings(max_examples=60, deadline=None)
@given(st.lists(STEP, max_size=25))
def test_any_layout_keeps_the_rules(steps):
    timeline = layout(steps)
    vtt_cues, srt_cues = parse_vtt(sidecars.vtt(timeline)), parse_srt(sidecars.srt(timeline))
    for parsed in (vtt_cues, srt_cues):
        assert [p.start_ms for p in parsed] == sorted(p.start_ms for p in parsed)
        assert all(len(line) <= 70 for p in parsed for line in p.lines)
        check_speech(parsed, timeline)
    assert all(a.end_ms <= b.start_ms for a, b in zip(srt_cues, srt_cues[1:]))
    stamps = [t for t, _ in parse_lrc(sidecars.lrc(timeline))]
    assert stamps == sorted(stamps)


# --- a real plan ------------------------------------------------------------------------------------


def test_sidecars_for_a_real_plan():
    timeline = prepared("# A\nHello there. [pause 6s]\n[bls 4s]\n[bell]\nBye.\n", duration="40s").timeline
    vtt_cues, srt_cues = parse_vtt(sidecars.vtt(timeline)), parse_srt(sidecars.srt(timeline))
    for parsed in (vtt_cues, srt_cues):
        check_speech(parsed, timeline)
        assert [p.start_ms for p in parsed] == sorted(p.start_ms for p in parsed)
        find(parsed, "[bell]")
        find(parsed, "[bilateral tones, 4 seconds]")
        assert any(re.fullmatch(r"\[silence, \d+ seconds?\]", line) for p in parsed for line in p.lines)
        find(parsed, "[ambience: brown noise]")
    assert all(a.end_ms <= b.start_ms for a, b in zip(srt_cues, srt_cues[1:]))
    assert [c["title"] for c in sidecars.chapters_json(timeline)["chapters"]] == ["A"]
