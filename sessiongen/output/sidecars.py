"""Text sidecars beside the audio: captions (VTT, SRT, LRC), chapters and the manifest.

The transcript is a full text alternative of what is heard (WCAG 1.2.1): every phrase where it
sits in the mix, and the sounds without words described in square brackets.

Cues come in four kinds: `speech` (a phrase of narration), `words` (the spoken cues inside a
breathing exercise or headphone check), `sound` (a described sound in the sequence: a bilateral
set, a bell, a long silence) and `note` (a description riding on top of the rest: an underlay
starting, ambience changing, what a breathing exercise or headphone check is).
VTT keeps notes where they happen, overlapping; SRT and LRC need one sequence without overlaps,
so a note gets its own short cue where there is room, or becomes the first line of the next cue.

Adding a sidecar kind is one entry in SIDECARS (at the end): its suffix, the function making its
text and a description. `--sidecars json` means every kind written as JSON.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.model.timeline import Event, Timeline
from sessiongen.output.files import atomic_path
from sessiongen.output.jsontext import json_text
from sessiongen.sound.catalog import BEDS
from sessiongen.timefmt import lrc_timestamp, mmss, srt_timestamp, vtt_timestamp
from sessiongen.words import plural, spoken_duration, words_for

LINE_CHARS = 65  # wrap caption lines at about this width
CUE_LINES = 2  # a phrase needing more lines is split into consecutive cues
SILENCE_MIN_S = 5.0  # shorter pauses are not described
NOTE_S = 4.0  # how long a note about an instant (ambience change, tones ending) stays up
NOTE_ROOM_S = 1.0  # in SRT/LRC a note needs this much free time for a cue of its own


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str  # one line, or lines joined by "\n"
    kind: str = "speech"  # speech | words | sound | note


# --- choosing sidecars ----------------------------------------------------------------------------


def parse_kinds(text: str) -> tuple[str, ...]:
    """'vtt,srt,json' -> ('vtt', 'srt', 'chapters', 'manifest'); 'all'; 'none'. In KINDS order."""
    chosen: set[str] = set()
    for name in (part.strip().lower() for part in text.split(",")):
        if name in SIDECARS:
            chosen.add(name)
        elif name in ALIASES:
            chosen.update(ALIASES[name])
        elif name:
            raise SessiongenError(f"unknown sidecar '{name}'{suggest(name, (*KINDS, *ALIASES))}: use {choices_text()}")
    return tuple(k for k in KINDS if k in chosen)


def choices_text() -> str:
    """'vtt, srt, lrc, json, chapters, manifest, all or none': the text kinds, then 'json' and the
    kinds it stands for, then 'all' and 'none'."""
    json_kinds = ALIASES["json"]
    names = [k for k in KINDS if k not in json_kinds] + ["json", *json_kinds, "all", "none"]
    return ", ".join(names[:-1]) + " or " + names[-1]


def sidecar_path(audio_path: Path | str, kind: str) -> Path:
    """NAME.vtt, NAME.chapters.json, ... beside NAME.mp3."""
    audio_path = Path(audio_path)
    return audio_path.with_name(audio_path.stem + SIDECARS[kind].suffix)


# --- words for humans -----------------------------------------------------------------------------


def breathe_note(event: Event, language: str = "en") -> str:
    """'[paced breathing: in 4, hold 4, out 6 seconds, 5 rounds]' (in the session's language)."""
    b, said = event.breathe, words_for(language).transcript
    phases = zip(said["phases"].split("|"), (b.in_s, b.hold_s, b.out_s, b.hold_out_s))
    timing = ", ".join(f"{name} {length_s:g}" for name, length_s in phases if length_s > 0)
    return said["breathing"].format(timing=timing, rounds=plural(said["rounds"], b.rounds))


def _said(timeline: Timeline, key: str) -> str:
    """A description of the transcript in the timeline's language (words.py)."""
    return words_for(timeline.language).transcript[key]


def bed_name(bed: str, language: str | None = None) -> str:
    """'brown' -> 'brown noise' ('ruido marrón' in Spanish: words.py); a user's file -> its name
    without folder or extension."""
    if bed in BEDS:
        return words_for(language).bed_names.get(bed) or BEDS[bed].split(":")[0]
    return Path(bed).stem.replace("_", " ")


def wrap_lines(text: str) -> list[str]:
    """Caption lines of at most LINE_CHARS, broken at word boundaries."""
    return textwrap.wrap(" ".join(text.split()), LINE_CHARS, break_on_hyphens=False)


# --- the transcript's cues ------------------------------------------------------------------------


def cues(timeline: Timeline) -> list[Cue]:
    """Every cue, in time order (notes first at equal times); notes may overlap other cues."""
    found: list[Cue] = []
    for event in timeline.events:
        maker = _MAKERS.get(event.kind)
        if maker is not None:
            found += maker(timeline, event)
    rank = {"note": 0, "sound": 1, "words": 2, "speech": 2}
    kept = [c for c in found if c.end_s > c.start_s]
    return sorted(kept, key=lambda c: (c.start_s, rank[c.kind]))


def _cue(timeline: Timeline, start: int, end: int, text: str, kind: str) -> Cue:
    """A cue from frames, its text wrapped into lines."""
    return Cue(timeline.seconds(start), timeline.seconds(end), "\n".join(wrap_lines(text)), kind)


def _speech_cues(timeline: Timeline, event: Event) -> list[Cue]:
    """One phrase: up to two lines per cue, its time shared out in proportion to characters."""
    lines = wrap_lines(event.text)
    groups = [lines[i : i + CUE_LINES] for i in range(0, len(lines), CUE_LINES)]
    sizes = [sum(len(line) for line in group) for group in groups]
    total, done, start, out = sum(sizes), 0, event.start, []
    for group, size in zip(groups, sizes):
        done += size
        end = event.start + (event.frames * done + total // 2) // total  # exact: the last piece ends at event.end
        out.append(Cue(timeline.seconds(start), timeline.seconds(end), "\n".join(group)))
        start = end
    return out


def _pause_cues(timeline: Timeline, event: Event) -> list[Cue]:
    if event.frames < SILENCE_MIN_S * timeline.rate_hz:
        return []
    heard = _said(timeline, "tones_only" if _under_tones(timeline, event) else "silence")
    text = f"[{heard}, {spoken_duration(timeline.seconds(event.frames), timeline.language)}]"
    return [_cue(timeline, event.start, event.end, text, "sound")]


def _under_tones(timeline: Timeline, event: Event) -> bool:
    """Whether an underlay plays through this event."""
    return any(e.under and e.start <= event.start and event.end <= e.end for e in timeline.events)


def _bls_cues(timeline: Timeline, event: Event) -> list[Cue]:
    if not event.under:
        text = f"[{_said(timeline, 'tones')}, {spoken_duration(timeline.seconds(event.frames), timeline.language)}]"
        return [_cue(timeline, event.start, event.end, text, "sound")]
    begin = _cue(timeline, event.start, event.end, _said(timeline, "underlay_begin"), "note")
    return [begin, _instant_note(timeline, event.end, _said(timeline, "underlay_end"))]


def _instant_note(timeline: Timeline, at: int, text: str) -> Cue:
    """A note about a moment, shown for NOTE_S (less at the very end)."""
    end = min(timeline.frames, at + round(NOTE_S * timeline.rate_hz))
    return _cue(timeline, at, end, text, "note")


def _bell_cues(timeline: Timeline, event: Event) -> list[Cue]:
    return [_cue(timeline, event.start, event.end, _said(timeline, "bell"), "sound")]


def _ambience_cues(timeline: Timeline, event: Event) -> list[Cue]:
    text = _said(timeline, "ambience").format(name=bed_name(event.bed, timeline.language)) if event.bed else _said(timeline, "ambience_off")
    return [_instant_note(timeline, event.start, text)]


def _breathe_cues(timeline: Timeline, event: Event) -> list[Cue]:
    """The exercise described over its span; each spoken cue shown for its phase."""
    out = [_cue(timeline, event.start, event.end, breathe_note(event, timeline.language), "note")]
    offsets = [offset for offset, _, _ in event.cues] + [event.frames]
    for (offset, text, _), next_offset in zip(event.cues, offsets[1:]):
        length = min(next_offset - offset, _phase_frames(timeline, event, text) or next_offset - offset)
        out.append(_cue(timeline, event.start + offset, event.start + offset + length, text, "words"))
    return out + _tone_only_rounds(timeline, event, out[-1].end_s)


def _phase_frames(timeline: Timeline, event: Event, cue_text: str) -> int:
    """How long the breathing phase a spoken cue announces lasts (0 if unknown)."""
    words = words_for(timeline.language)
    if cue_text in words.counts:  # "dos", "tres": each number stands for its second
        return timeline.rate_hz
    phase = {text: phase for phase, text in words.breathe_cues.items()}.get(cue_text)
    return round(getattr(event.breathe, f"{phase}_s") * timeline.rate_hz) if phase else 0


def _tone_only_rounds(timeline: Timeline, event: Event, voiced_end_s: float) -> list[Cue]:
    """After the voiced rounds, the tone alone paces the rest: say so."""
    rest_s = timeline.seconds(event.end) - voiced_end_s
    rounds = round(rest_s / event.breathe.round_s) if event.cues and event.breathe.round_s > 0 else 0
    if rounds < 1:
        return []
    text = plural(_said(timeline, "tone_alone"), rounds)
    return [Cue(voiced_end_s, timeline.seconds(event.end), "\n".join(wrap_lines(text)), "sound")]


def _headphone_cues(timeline: Timeline, event: Event) -> list[Cue]:
    """The check described over its span; each word shown until the next tone."""
    out = [_cue(timeline, event.start, event.end, _said(timeline, "headphone"), "note")]
    marks = sorted([offset for offset, _ in event.beeps] + [offset for offset, _, _ in event.cues] + [event.frames])
    for offset, text, _ in event.cues:
        following = next(m for m in marks if m > offset) if offset < event.frames else offset
        out.append(_cue(timeline, event.start + offset, event.start + following, text, "words"))
    return out


_MAKERS = {
    "speech": _speech_cues,
    "pause": _pause_cues,
    "bls": _bls_cues,
    "bell": _bell_cues,
    "ambience": _ambience_cues,
    "breathe": _breathe_cues,
    "headphone-check": _headphone_cues,
}


def sequence(all_cues: list[Cue]) -> list[Cue]:
    """One sequence without overlaps for SRT and LRC: each note gets a cue of its own where there
    is room before the next cue, or joins the cue it falls on as its first line (a phrase of
    narration keeps its own times; other cues then start with the note)."""
    seq = [c for c in all_cues if c.kind != "note"]
    for note in reversed([c for c in all_cues if c.kind == "note"]):  # reversed: earlier notes end up first
        i = next((k for k, c in enumerate(seq) if c.end_s > note.start_s), len(seq))
        room_end_s = seq[i].start_s if i < len(seq) else note.end_s
        if room_end_s - note.start_s >= min(NOTE_ROOM_S, note.end_s - note.start_s):
            seq.insert(i, replace(note, end_s=min(note.end_s, room_end_s)))
        else:
            start_s = seq[i].start_s if seq[i].kind == "speech" else min(note.start_s, seq[i].start_s)
            seq[i] = replace(seq[i], start_s=start_s, text=_prepend(note.text, seq[i].text))
    return seq


def _prepend(note_text: str, text: str) -> str:
    """The note as the first line(s) of `text`, sharing a line with a note already there if it fits."""
    first, _, rest = text.partition("\n")
    joined = f"{note_text} {first}"
    if first.startswith("[") and "\n" not in note_text and len(joined) <= LINE_CHARS:
        return joined + ("\n" + rest if rest else "")
    return note_text + "\n" + text


# --- formats --------------------------------------------------------------------------------------


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt(timeline: Timeline) -> str:
    """WebVTT: every cue where it happens (notes overlap), chapter starts as NOTE blocks."""
    blocks = ["WEBVTT"]
    chapters = sorted(timeline.chapters, key=lambda ch: ch[1])
    for cue in cues(timeline):
        while chapters and timeline.seconds(chapters[0][1]) <= cue.start_s:
            blocks.append(_vtt_chapter(timeline, *chapters.pop(0)))
        blocks.append(f"{vtt_timestamp(cue.start_s)} --> {vtt_timestamp(cue.end_s)}\n{_vtt_escape(cue.text)}")
    blocks += [_vtt_chapter(timeline, *chapter) for chapter in chapters]
    return "\n\n".join(blocks) + "\n"


def _vtt_chapter(timeline: Timeline, title: str, start: int) -> str:
    title = " ".join(title.split()).replace("-->", "->")
    return f"NOTE chapter at {vtt_timestamp(timeline.seconds(start))}: {title}"


def srt(timeline: Timeline) -> str:
    """SubRip: numbered cues in one sequence without overlaps."""
    blocks = [
        f"{n}\n{srt_timestamp(c.start_s)} --> {srt_timestamp(c.end_s)}\n{c.text}" for n, c in enumerate(sequence(cues(timeline)), start=1)
    ]
    return "\n\n".join(blocks) + "\n"


def lrc(timeline: Timeline, title: str = "") -> str:
    """LRC: one line per cue; an empty timed line clears the text where a gap follows."""
    title = title or timeline.title
    lines = [f"[ti:{title}]"] if title else []
    lines.append(f"[length:{mmss(timeline.duration_s)}]")
    seq = sequence(cues(timeline))
    for cue, following in zip(seq, [*seq[1:], None]):
        lines.append(lrc_timestamp(cue.start_s) + " ".join(cue.text.split("\n")))
        if following is None or lrc_timestamp(following.start_s) != lrc_timestamp(cue.end_s):
            lines.append(lrc_timestamp(cue.end_s))
    return "\n".join(lines) + "\n"


def chapters_json(timeline: Timeline) -> dict:
    """Podcasting 2.0 JSON chapters."""
    chapters = [{"startTime": round(timeline.seconds(start), 3), "title": title} for title, start in timeline.chapters]
    return {"version": "1.2.0", "chapters": chapters}


# --- writing --------------------------------------------------------------------------------------


def _json_text(data: dict) -> str:
    return json_text(data, "a JSON sidecar", indent=2, ensure_ascii=False) + "\n"


def _manifest_text(timeline: Timeline, manifest: dict) -> str:
    return _json_text(manifest)


def _chapters_text(timeline: Timeline, manifest: dict) -> str:
    return _json_text(chapters_json(timeline))


@dataclass(frozen=True)
class SidecarKind:
    suffix: str  # after the audio's stem: NAME.vtt, NAME.chapters.json
    text: Callable[[Timeline, dict], str]  # (timeline, manifest) -> the file's text
    description: str


SIDECARS: dict[str, SidecarKind] = {  # the one place to add a kind; written in this order
    "vtt": SidecarKind(".vtt", lambda timeline, _: vtt(timeline), "WebVTT transcript: every cue where it is heard, chapters as notes"),
    "srt": SidecarKind(".srt", lambda timeline, _: srt(timeline), "SubRip transcript: one sequence of numbered cues"),
    "lrc": SidecarKind(".lrc", lambda timeline, _: lrc(timeline), "LRC lyrics: one timed line per cue"),
    "chapters": SidecarKind(".chapters.json", _chapters_text, "Podcasting 2.0 JSON chapters"),
    "manifest": SidecarKind(
        ".manifest.json", _manifest_text, "the manifest: what was rendered and how (script, parameters, loudness, files)"
    ),
}
KINDS = tuple(SIDECARS)
DEFAULT_KINDS = ("vtt", "srt", "chapters", "manifest")
ALIASES = {"json": tuple(k for k in KINDS if SIDECARS[k].suffix.endswith(".json")), "all": KINDS, "none": ()}


def _known(kind: str) -> SidecarKind:
    if kind not in SIDECARS:
        raise SessiongenError(f"unknown sidecar '{kind}'{suggest(kind, KINDS)}")
    return SIDECARS[kind]


def render(kind: str, timeline: Timeline, manifest: dict) -> str:
    """The text of one sidecar."""
    return _known(kind).text(timeline, manifest)


def write(audio_path: Path | str, timeline: Timeline, kinds, manifest: dict) -> list[Path]:
    """Write the chosen sidecars beside the audio (same stem), each atomically; return their paths."""
    for kind in kinds:  # all checked before any is written
        _known(kind)
    written = []
    texts = {kind: render(kind, timeline, manifest) for kind in KINDS if kind in kinds}  # all made before any is written
    for kind, text in texts.items():
        path = sidecar_path(audio_path, kind)
        with atomic_path(path) as temp:
            temp.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written
