"""The review page beside a recording: player, chapters, a transcript that follows the audio, the
timeline image and how the recording was made, in one self-contained file.

Everything is made offline: the page carries its styles, its script, its transcript and its image
(a data URI) inside it, and names the audio beside it by a relative link, so a folder of
recordings works from a USB stick. Nothing is ever fetched from a network.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from sessiongen.model.timeline import Timeline
from sessiongen.options import OPTIONS
from sessiongen.output.files import write_text_atomic
from sessiongen.output.formats import FORMATS
from sessiongen.output.manifest import comment
from sessiongen.output.markup import asset, document, escape, href, json_script
from sessiongen.output.sidecars import sidecar_path
from sessiongen.output.sidecars import vtt as vtt_of
from sessiongen.review.timeline_image import IMAGE_PX, bed_spans, timeline_png
from sessiongen.settings import Settings
from sessiongen.timefmt import clock

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})")


def _vtt_seconds(text: str) -> float:
    match = _TIME.fullmatch(text.strip().split()[0])
    if not match:
        raise ValueError(f"not a WebVTT time: {text!r}")
    hours, minutes, seconds, ms = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(ms) / 1000


def vtt_cues(vtt_text: str) -> list[dict]:
    """The cues of a WebVTT text as {'start', 'end', 'text'} (seconds; plain text, lines joined
    by newlines). Header, NOTE, STYLE and REGION blocks are skipped; cue tags are dropped."""
    out = []
    for block in re.split(r"\n[ \t]*\n", vtt_text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        if "-->" not in lines[0]:
            lines = lines[1:]  # a header, a note, or a cue's identifier
        if not lines or "-->" not in lines[0] or block.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        start, end = lines[0].split("-->", 1)
        text = html.unescape(re.sub(r"<[^>]*>", "", "\n".join(lines[1:])))
        out.append({"start": round(_vtt_seconds(start), 3), "end": round(_vtt_seconds(end), 3), "text": text})
    return out


def _seek_link(audio_href: str, start_s: float, inner: str, css: str = "seek") -> str:
    """A link that plays from `start_s`: in the page's player with script, otherwise the audio
    file itself at that time (a media fragment)."""
    return f'<a class="{css}" href="{escape(audio_href)}#t={start_s:.3f}" data-start="{start_s:.3f}"><span class="vh">Play from </span>{inner}</a>'


def _facts(title: str, client_id: str, techniques: list[str], timeline: Timeline) -> str:
    items = [
        ("Client", client_id or "—"),
        ("Technique" + "s" * (len(techniques) > 1), ", ".join(techniques) or "—"),
        ("Length", clock(timeline.duration_s)),
    ]
    rows = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in items)
    return f'<header>\n<p class="kicker">Review before sending</p>\n<h1>{escape(title)}</h1>\n<dl class="facts">{rows}</dl>\n</header>'


_SPOKEN = Settings()  # the disclaimer as the stereo recording's tags carry it


def _cautions(cautions: list[str], language: str) -> str:
    items = "".join(f"<li>{escape(c)}</li>" for c in cautions) or "<li>None listed for this technique.</li>"
    return (
        f'<section class="cautions" aria-labelledby="cautions-h">\n<h2 id="cautions-h">Cautions</h2>\n<ul>{items}</ul>\n'
        f'<p class="disclaimer">The recording itself says: {escape(comment(_SPOKEN, language))}</p>\n</section>'
    )


def _player(audio_href: str, name: str) -> str:
    """The player, told the file's type (from the format registry) so that a browser that cannot
    play it (Opus in older Safari, say) shows how to open the file instead of a dead control."""
    link = f'<a href="{escape(audio_href)}">{escape(name)}</a>'
    kind = Path(name).suffix.lstrip(".").lower()
    typed = f' data-type="{escape(FORMATS[kind].mime)}"' if kind in FORMATS else ""
    return (
        '<section class="player" aria-label="Player">\n'
        f'<audio id="player" controls preload="metadata" src="{escape(audio_href)}" aria-label="Recording: {escape(name)}"'
        f"{typed}>"
        f"<p>This browser cannot play the recording here: open {link} instead.</p></audio>\n"
        f'<p id="cannot-play" hidden>This browser cannot play {escape(kind.upper())} files: open {link} in a player app instead.</p>\n'
        f'<p class="file">Audio file: {link} (beside this page; keep them in the same folder)</p>\n</section>'
    )


def _chapters(timeline: Timeline, audio_href: str) -> str:
    ends = [start for _, start in timeline.chapters[1:]] + [timeline.frames]
    items = []
    for (title, start), end in zip(timeline.chapters, ends):
        start_s = timeline.seconds(start)
        inner = f'<span class="time">{clock(start_s)}</span> <span class="title">{escape(title)}</span>'
        length = f'<span class="length">{clock(timeline.seconds(end - start))}</span>'
        items.append(f"<li>{_seek_link(audio_href, start_s, inner, 'seek chapter')} {length}</li>")
    return (
        f'<section class="chapters" aria-labelledby="chapters-h">\n<h2 id="chapters-h">Chapters</h2>\n'
        f'<ol id="chapters">\n{chr(10).join(items)}\n</ol>\n</section>'
    )


def _transcript(cues: list[dict], audio_href: str) -> str:
    items = []
    for i, cue in enumerate(cues):
        kind = "sound" if cue["text"].startswith("[") else "speech"
        text = "<br>".join(escape(line) for line in cue["text"].split("\n"))
        time = _seek_link(audio_href, cue["start"], f'<span class="time">{clock(cue["start"])}</span>', "seek cue-time")
        items.append(
            f'<li class="cue {kind}" id="cue-{i}" data-start="{cue["start"]:.3f}" data-end="{cue["end"]:.3f}">{time} <span class="text">{text}</span></li>'
        )
    return (
        '<section class="transcript">\n<h2 id="transcript-h">Transcript</h2>\n'
        '<p class="js-only"><label><input type="checkbox" id="follow" checked> Follow the recording</label></p>\n'
        f'<div class="scroll" tabindex="0" role="region" aria-labelledby="transcript-h">\n'
        f'<ol id="transcript">\n{chr(10).join(items)}\n</ol>\n</div>\n</section>'
    )


def alt_text(timeline: Timeline, has_curve: bool) -> str:
    """A short description of the timeline image."""
    count = lambda kind, under=False: sum(1 for e in timeline.events if e.kind == kind and e.under == under)  # noqa: E731
    beds = sorted({name for _, _, name in bed_spans(timeline)})
    parts = [
        f"{len(timeline.chapters)} chapters",
        f"{count('bls')} bilateral sets",
        f"{count('bls', True)} underlays",
        f"{count('bell')} bells",
        f"{count('breathe')} breathing exercises",
        "ambience: " + (", ".join(beds) or "none"),
    ]
    curve = ", with the loudness curve below" if has_curve else ""
    return f"Timeline of the session, {clock(timeline.duration_s)} long: " + ", ".join(parts) + curve + "."


def _figure(png_file: Path | None, timeline: Timeline, has_curve: bool) -> str:
    if png_file is None:
        return ""
    data = base64.b64encode(Path(png_file).read_bytes()).decode("ascii")
    return (
        '<section class="timeline" aria-labelledby="timeline-h">\n<h2 id="timeline-h">Timeline</h2>\n<figure>\n'
        f'<img src="data:image/png;base64,{data}" width="{IMAGE_PX[0]}" height="{IMAGE_PX[1]}" alt="{escape(alt_text(timeline, has_curve))}">\n'
        "<figcaption>Chapters, voice, bilateral tones (labelled with their rate; lighter under the voice), bells, "
        "paced breathing and the ambience bed over time; below, the loudness of the delivered file.</figcaption>\n</figure>\n</section>"
    )


FIELD_LABELS = {
    **{option.name: option.label for option in OPTIONS},
    "generator": "Made by",
    "script": "Script",
    "source": "Script as named",
    "script_version": "Script version",
    "variables": "Variables (names only)",
    "script_language": "Spoken in",
    "tones": "Tone settings (the script's sets)",
    "mode": "Anchored on",
    "method": "Method",
    "voice_lufs": "Voice, speech-gated (LUFS)",
    "integrated_lufs": "Programme, integrated (LUFS)",
    "max_momentary_lufs": "Loudest moment (LUFS, 400 ms)",
    "true_peak_dbtp": "True peak (dBTP)",
    "target_lufs": "Target (LUFS)",
    "mix_lufs_before_mastering": "Mix before mastering (LUFS)",
    "gain_db": "Gain applied (dB)",
    "limiter_db": "Limiting (dB)",
    "limiter_on_speech_db": "Limiting on speech (dB)",
    "against_voice_lu": "Against the voice (LU)",
    "mix_lufs_predicted": "Mix predicted (LUFS)",
    "mastering_passes": "Mastering passes",
    "file": "File",
    "format": "Format",
    "channels": "Channels",
    "sample_rate_hz": "Sample rate (Hz)",
    "duration_s": "Length (s)",
}


def _value(value) -> str:
    """A manifest value as escaped HTML: lists one item a line, booleans in words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, (list, tuple)):
        return "<br>".join(_value(item) for item in value)
    if isinstance(value, dict):  # a tone set, the limiting on speech: "mean -0.01, worst -0.4"
        return escape(", ".join(f"{str(k).replace('_', ' ')} {v}" for k, v in value.items()))
    return escape(value)


def _table(caption: str, data: dict) -> str:
    label = lambda key: FIELD_LABELS.get(key, str(key).replace("_", " "))  # noqa: E731
    rows = "".join(f'<tr><th scope="row">{escape(label(k))}</th><td>{_value(v)}</td></tr>' for k, v in data.items())
    return f"<table>\n<caption>{escape(caption)}</caption>\n<tbody>{rows}</tbody>\n</table>"


def _parameters(manifest: dict) -> str:
    output = {k: v for k, v in (manifest.get("output") or {}).items() if k != "sha256"}  # the resume's check, not a reader's
    tables = [
        _table("Render parameters", manifest.get("parameters") or {}),
        _table("Loudness", manifest.get("loudness") or {}),
        _table("Output", output),
    ]
    return (
        f'<section class="parameters" aria-labelledby="parameters-h">\n<h2 id="parameters-h">How it was made</h2>\n'
        f'<div class="tables">\n{chr(10).join(tables)}\n</div>\n</section>'
    )


def report_html(
    path: Path,
    *,
    audio_file: Path,
    timeline: Timeline,
    manifest: dict,
    vtt_text: str,
    png_file: Path | None,
    client_id: str = "",
    techniques: list[str],
    cautions: list[str],
) -> Path:
    """One self-contained page to check a recording before it is sent: player, chapters,
    transcript following the audio, timeline image and render parameters. The audio is linked
    by its relative name (keep the page beside it), never embedded. Written atomically."""
    path = Path(path)
    audio_href = href(Path(audio_file), path.parent)
    title = timeline.title or (manifest.get("script") or {}).get("title") or Path(audio_file).stem
    cues = vtt_cues(vtt_text)
    body = "\n".join(
        [
            '<a class="skip" href="#player">Skip to the player</a>\n<main>',
            _facts(title, client_id, techniques, timeline),
            _cautions(cautions, timeline.language),
            _player(audio_href, Path(audio_file).name),
            f'<div class="columns">\n{_chapters(timeline, audio_href)}\n{_transcript(cues, audio_href)}\n</div>',
            _figure(png_file, timeline, bool(manifest.get("loudness"))),
            _parameters(manifest),
            "</main>",
        ]
    )
    script = json_script("cue-data", cues) + f"\n<script>\n{asset('review.js')}</script>\n"
    write_text_atomic(path, document(f"{title} — review", body, script))
    return path


def review_paths(audio_file: Path) -> tuple[Path, Path]:
    """Where the review of NAME.mp3 goes: NAME.html and NAME.timeline.png, beside it."""
    audio_file = Path(audio_file)
    return audio_file.with_suffix(".html"), audio_file.with_name(audio_file.stem + ".timeline.png")


def write_review(result, *, client_id: str = "", techniques: list[str], cautions: list[str]) -> list[Path]:
    """The image and the page for a pipeline.Delivery, beside its audio; returns their paths."""
    rendered = result.rendered
    page, png = review_paths(rendered.path)
    loudness = result.manifest.get("loudness") or {}
    timeline_png(
        rendered.timeline,
        png,
        rendered.delivered.momentary_lufs,
        target_lufs=loudness.get("target_lufs"),
        voice_lufs=loudness.get("voice_lufs"),
    )
    vtt_file = sidecar_path(rendered.path, "vtt")
    vtt_text = vtt_file.read_text(encoding="utf-8") if vtt_file in result.sidecars else vtt_of(rendered.timeline)
    report_html(
        page,
        audio_file=rendered.path,
        timeline=rendered.timeline,
        manifest=result.manifest,
        vtt_text=vtt_text,
        png_file=png,
        client_id=client_id,
        techniques=techniques,
        cautions=cautions,
    )
    return [png, page]
