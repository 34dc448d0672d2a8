"""Timeline arithmetic: the plan is exact, in frames, and elastic pauses fit a target fairly."""

from __future__ import annotations

import json

import pytest
from helpers import prepared

from sessiongen.errors import SessiongenError
from sessiongen.plan import BREATHE_CUES
from sessiongen.settings import Settings

RATE = 44_100
SEQUENTIAL = {"speech", "pause", "bls", "bell", "breathe"}


def sequential(tl):
    return [e for e in tl.events if e.kind in SEQUENTIAL and not e.under]


def test_length_is_exactly_the_sum_of_the_sequential_events():
    tl = prepared("# A\nHello there. How are you?\n\nWell.\n[pause 5s]\n[bls 10s]\n[bell]\n[breathe in=4 out=6 rounds=2]\n").timeline
    events = sequential(tl)
    assert tl.frames == sum(e.frames for e in events)
    position = 0
    for event in events:  # back to back, no gaps and no overlaps
        assert event.start == position
        position = event.end


def test_gaps_between_sentences_and_paragraphs():
    s = Settings(engine="fake", sentence_gap_s=1.0, paragraph_gap_s=2.5)
    tl = prepared("One. Two.\n\nThree.\n[pause 4s]\nFour.\n", s).timeline
    kinds = [(e.kind, round(e.frames / RATE, 3)) for e in sequential(tl) if e.kind == "pause"]
    # lead-in, sentence gap, paragraph gap, the written pause (no automatic gap beside it), tail
    assert kinds == [("pause", s.lead_in_s), ("pause", 1.0), ("pause", 2.5), ("pause", 4.0), ("pause", s.tail_s)]


def test_speech_events_last_as_long_as_their_clips():
    p = prepared("A short phrase. And a rather longer phrase than that one.\n")
    for event in p.timeline.events:
        if event.kind == "speech":
            assert event.frames == p.clips[event.text].frames


def test_elastic_pauses_stretch_by_one_common_fraction_to_hit_the_target():
    body = "Hello.\n[pause 10s..30s]\nThere.\n[pause 20s..60s]\nEnd.\n"
    shortest = prepared(body, Settings(engine="fake", minutes=0.1), duration="10s").timeline if False else None
    tl = prepared(body, Settings(engine="fake", minutes=1.0)).timeline
    assert tl.frames == 60 * RATE
    elastic = [e for e in tl.events if e.elastic]
    stretch = [(e.frames / RATE - lo) / (hi - lo) for e, (lo, hi) in zip(elastic, [(10, 30), (20, 60)])]
    assert stretch[0] == pytest.approx(stretch[1], abs=1e-3)
    assert shortest is None


@pytest.mark.parametrize("minutes", [0.9, 1.0, 1.25, 1.5])
def test_fitting_is_exact_to_the_frame(minutes):
    body = "Hello.\n[pause 10s..40s]\nThere.\n[pause 20s..60s]\nEnd.\n"
    tl = prepared(body, Settings(engine="fake", minutes=minutes)).timeline
    assert tl.frames == round(minutes * 60 * RATE)


def test_without_minutes_the_nominal_duration_is_the_target():
    tl = prepared("Hello.\n[pause 10s..60s]\nEnd.\n", duration="40s").timeline
    assert tl.frames == 40 * RATE


def test_an_unreachable_length_names_the_shortest_and_longest():
    with pytest.raises(SessiongenError, match=r"out of reach.*from \d+s to 1m\d+s long"):
        prepared("Hello.\n[pause 10s..60s]\nEnd.\n", Settings(engine="fake", minutes=10))


def test_an_unreachable_nominal_duration_clamps_instead_of_failing():
    tl = prepared("Hello.\n[pause 10s..20s]\nEnd.\n", duration="10m").timeline
    assert tl.frames == tl.range_frames[1]


def test_chapters_start_where_their_first_event_starts():
    tl = prepared("# One\nHello.\n# Two\nAgain.\n").timeline
    assert [t for t, _ in tl.chapters] == ["One", "Two"]
    assert tl.chapters[0][1] == 0  # the first chapter includes the lead-in
    second_speech = [e for e in tl.events if e.kind == "speech"][1]
    gap_before = [e for e in tl.events if e.end == second_speech.start][0]
    assert tl.chapters[1][1] == gap_before.start


def test_text_before_the_first_heading_gets_an_opening_chapter_named_after_the_title():
    tl = prepared("Hello.\n# Later\nAgain.\n").timeline
    assert tl.chapters[0] == ("Test Session", 0)


def test_bilateral_underlay_spans_the_narration_and_adds_no_length():
    with_tones = prepared("Before.\n[bls on rate=1.5]\nUnder one. Under two.\n[bls off]\nAfter.\n", duration="20s").timeline
    under = [e for e in with_tones.events if e.under]
    assert len(under) == 1 and under[0].tone.rate_hz == 1.5
    spoken = [e for e in with_tones.events if e.kind == "speech" and under[0].start <= e.start < under[0].end]
    assert [e.text for e in spoken] == ["Under one.", "Under two."]
    assert with_tones.frames == sum(e.frames for e in sequential(with_tones))


def test_no_bls_turns_sets_into_silence_of_the_same_length():
    body = "[bls 12s]\n[bls on]\nWords.\n[bls off]\n"
    on = prepared(body).timeline
    off = prepared(body, Settings(engine="fake", bls=False)).timeline
    assert on.frames == off.frames
    assert not [e for e in off.events if e.kind == "bls"]


def test_breathing_cues_are_spoken_for_the_first_rounds_where_they_fit():
    tl = prepared("[breathe in=4 hold=2 out=6 rounds=4]\n").timeline
    event = next(e for e in tl.events if e.kind == "breathe")
    assert event.frames == round(4 * 12 * RATE)
    texts = [text for _, text, _ in event.cues]
    assert texts == [BREATHE_CUES["in"], BREATHE_CUES["hold"], BREATHE_CUES["out"]] * 2  # cues=both: two rounds
    assert [offset for offset, _, _ in event.cues][:4] == [0, 4 * RATE, 6 * RATE, 12 * RATE]


def test_plan_json_has_the_documented_shape():
    tl = prepared("# A\nHello.\n[pause 2s]\n[bls 4s]\n[bell]\n").timeline
    data = json.loads(json.dumps(tl.to_json()))
    assert set(data) >= {"duration_s", "chapters", "events"}
    assert data["chapters"][0] == {"title": "A", "start_s": 0.0}
    kinds = {e["kind"] for e in data["events"]}
    assert kinds >= {"speech", "pause", "bls", "bell"}
    assert all({"start_s", "duration_s", "kind"} <= set(e) for e in data["events"])
    assert next(e for e in data["events"] if e["kind"] == "speech")["text"] == "Hello."


def test_ambience_changes_are_events_and_the_command_line_overrides_them():
    tl = prepared("Hello.\n[ambience pink]\nThere.\n[ambience off]\nEnd.\n").timeline
    assert [e.bed for e in tl.events if e.kind == "ambience"] == ["brown", "pink", None]
    forced = prepared("Hello.\n[ambience pink]\nThere.\n", Settings(engine="fake", ambience="white")).timeline
    assert [e.bed for e in forced.events if e.kind == "ambience"] == ["white"]
