"""Review before sending: a timeline image, a report page beside the audio, a batch index.

Everything is made offline and is self-contained: a page carries its styles, its script, its
transcript and its image (a data URI) inside it, and names the audio beside it by a relative
link, so a folder of recordings works from a USB stick. Nothing is ever fetched from a network.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import numpy as np

from sessiongen import __version__
from sessiongen.output.manifest import DISCLAIMER
from sessiongen.script.durations import format_clock
from sessiongen.output.files import atomic_path, write_text_atomic
from sessiongen.output.sidecars import bed_name, sidecar_path
from sessiongen.output.sidecars import vtt as vtt_of
from sessiongen.plan import Event, Timeline

# --- the timeline image ---------------------------------------------------------------------------

IMAGE_PX = (1600, 700)
DPI = 100
LANES = ("chapters", "voice", "bilateral", "bells", "breathing", "ambience")  # top to bottom
LANE_LABELS = {"chapters": "Chapters", "voice": "Voice", "bilateral": "Bilateral", "bells": "Bells", "breathing": "Breathing", "ambience": "Ambience"}
LANE_HEIGHT = 0.7  # of a lane's slot
LANES_RECT = (0.085, 0.37, 0.895, 0.50)  # left, bottom, width, height (figure fractions) above the loudness curve
LOUDNESS_RECT = (0.085, 0.075, 0.895, 0.24)
LANES_RECT_ALONE = (0.085, 0.09, 0.895, 0.78)  # without a loudness curve
COLOURS = {  # Okabe–Ito, colour-blind safe; hatching and markers keep the lanes apart in greyscale
    "voice": "#E69F00",
    "bilateral": "#0072B2",
    "underlay": "#99C7E0",  # the bilateral blue, 40 % strength: lighter, as an underlay is quieter
    "bells": "#D55E00",
    "breathing": "#009E73",
    "ambience": "#F0E442",
    "chapter": ("#ECECEC", "#D6D6D6"),
}
HATCHES = {"voice": "", "check": "\\\\\\", "bilateral": "///", "underlay": "..", "breathing": "xx", "ambience": ".."}
TICK_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_TICKS = 14
CHAR_PX = 6.8  # about one character of the 9-point labels
TITLE_CHARS = 120
MOMENTARY_HOP_S = 0.1  # one momentary value per 100 ms (EBU R128 'M')
LOUDNESS_FLOOR_LUFS = -50.0
STARTLE_LU = 8.0  # no 400 ms moment should be more than this above the integrated loudness
CURVE_POINTS_MAX = 4000  # a longer curve is drawn as its maxima, a few per pixel


def timeline_png(timeline: Timeline, path: Path, momentary_lufs: np.ndarray | None = None, title: str = "", target_lufs: float | None = None) -> Path:
    """The session at a glance, about 1600x700 px: chapters, voice, bilateral sets (labelled
    with their rate; underlays lighter), bells, breathing and the bed, over the loudness curve
    (with the integrated loudness, the target and the startle limit) when it is given."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(IMAGE_PX[0] / DPI, IMAGE_PX[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    has_curve = momentary_lufs is not None and len(momentary_lufs) > 0
    lanes = fig.add_axes(LANES_RECT if has_curve else LANES_RECT_ALONE)
    _draw_lanes(lanes, timeline)
    bottom = lanes
    if has_curve:
        bottom = fig.add_axes(LOUDNESS_RECT, sharex=lanes)
        _draw_loudness(bottom, np.asarray(momentary_lufs, dtype=float), target_lufs, timeline)
        lanes.tick_params(labelbottom=False)
    _time_axis(bottom, timeline.duration_s)
    _heading(fig, timeline, title or timeline.title, has_curve)
    path = Path(path)
    with atomic_path(path) as temp:
        fig.savefig(temp, format="png", dpi=DPI, facecolor="white")
    return path


def lane_y(lane: str) -> int:
    """A lane's row in data units (the top lane has the largest)."""
    return len(LANES) - 1 - LANES.index(lane)


def _axes_px(ax) -> float:
    return ax.get_position().width * IMAGE_PX[0]


def _draw_lanes(ax, tl: Timeline) -> None:
    duration_s = max(tl.duration_s, 1e-3)
    ax.set_xlim(0, duration_s)
    ax.set_ylim(-0.5, len(LANES) - 0.5)
    ax.set_yticks([lane_y(lane) for lane in LANES], [LANE_LABELS[lane] for lane in LANES], fontsize=10)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#E4E4E4", linewidth=0.6)
    ax.set_axisbelow(True)
    px_per_s = _axes_px(ax) / duration_s
    labels = _Labels(ax, px_per_s)
    _chapter_lane(ax, tl, px_per_s)
    _voice_lane(ax, tl, labels)
    _bilateral_lane(ax, tl, labels)
    _bell_lane(ax, tl)
    _breathing_lane(ax, tl, labels)
    _ambience_lane(ax, tl, labels)
    labels.draw()


def _span(tl: Timeline, event: Event) -> tuple[float, float]:
    return tl.seconds(event.start), tl.seconds(event.frames)


def _darker(colour: str, factor: float = 0.55) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return tuple(c * factor for c in to_rgb(colour))


def _bars(ax, lane: str, spans: list[tuple[float, float]], colour: str, hatch: str = "") -> None:
    if spans:
        y = lane_y(lane)
        ax.broken_barh(spans, (y - LANE_HEIGHT / 2, LANE_HEIGHT), facecolors=colour, edgecolors=[_darker(colour)], hatch=hatch or None, linewidth=0.6)


class _Labels:
    """Labels for bars: inside a bar where they fit, else just after it, never over another
    label of the same lane; those inside bars are placed first."""

    def __init__(self, ax, px_per_s: float):
        self.ax, self.px_per_s, self.width_px = ax, px_per_s, _axes_px(ax)
        self.wanted: list[tuple[bool, str, float, float, str]] = []  # (outside, lane, left px, width px, text)

    def add(self, lane: str, start_s: float, length_s: float, text: str) -> None:
        width_px = len(text) * CHAR_PX + 6
        start_px, length_px = start_s * self.px_per_s, length_s * self.px_per_s
        inside = width_px <= length_px
        left_px = start_px + (length_px - width_px) / 2 if inside else start_px + length_px + 3
        self.wanted.append((not inside, lane, left_px, width_px, text))

    def draw(self) -> None:
        placed: dict[str, list[tuple[float, float]]] = {}
        box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
        for _, lane, left_px, width_px, text in sorted(self.wanted, key=lambda w: w[:3]):
            taken = placed.setdefault(lane, [])
            if left_px + width_px > self.width_px or any(left_px < b + 4 and a < left_px + width_px + 4 for a, b in taken):
                continue
            taken.append((left_px, left_px + width_px))
            x = (left_px + width_px / 2) / self.px_per_s
            self.ax.text(x, lane_y(lane), text, ha="center", va="center", fontsize=9, bbox=box, clip_on=True)


def fitted(text: str, width_px: float) -> str:
    """`text` cut to fit `width_px` (at the labels' size) with an ellipsis; '' when not even a few letters fit."""
    return clipped(text, int(width_px / CHAR_PX) - 1)


def clipped(text: str, chars: int) -> str:
    if len(text) <= chars:
        return text
    return text[: chars - 1].rstrip() + "…" if chars >= 4 else ""


def _chapter_lane(ax, tl: Timeline, px_per_s: float) -> None:
    starts = [tl.seconds(start) for _, start in tl.chapters] + [tl.duration_s]
    y = lane_y("chapters")
    for i, (title, _) in enumerate(tl.chapters):
        begin, length = starts[i], starts[i + 1] - starts[i]
        ax.broken_barh([(begin, length)], (y - LANE_HEIGHT / 2, LANE_HEIGHT), facecolors=COLOURS["chapter"][i % 2], edgecolors="white", linewidth=1.5)
        text = fitted(f"{i + 1}. {' '.join(title.split())}", length * px_per_s) or fitted(str(i + 1), length * px_per_s)
        if text:
            ax.text(begin + 4 / px_per_s, y, text, ha="left", va="center", fontsize=9, clip_on=True)
        if i:
            ax.axvline(begin, color="#9A9A9A", linewidth=0.7, linestyle=(0, (4, 3)), zorder=0.5)


def _voice_lane(ax, tl: Timeline, labels: _Labels) -> None:
    _bars(ax, "voice", [_span(tl, e) for e in tl.events if e.kind == "speech"], COLOURS["voice"])
    checks = [_span(tl, e) for e in tl.events if e.kind == "headphone-check"]
    _bars(ax, "voice", checks, COLOURS["voice"], HATCHES["check"])
    for start_s, length_s in checks:
        labels.add("voice", start_s, length_s, "L/R check")


def rate_label(rate_hz: float) -> str:
    """'1.0/s', '0.8/s', '1.25/s': cycles per second."""
    text = f"{rate_hz:.2f}".rstrip("0")
    return (text + "0" if text.endswith(".") else text) + "/s"


def _bilateral_lane(ax, tl: Timeline, labels: _Labels) -> None:
    for under in (True, False):  # underlays first, so a set is drawn over one
        kind = "underlay" if under else "bilateral"
        _bars(ax, "bilateral", [_span(tl, e) for e in tl.events if e.kind == "bls" and e.under == under], COLOURS[kind], HATCHES[kind])
    for event in sorted((e for e in tl.events if e.kind == "bls"), key=lambda e: e.start):
        labels.add("bilateral", *_span(tl, event), rate_label(event.tone.rate_hz))


def _bell_lane(ax, tl: Timeline) -> None:
    times = [tl.seconds(e.start) for e in tl.events if e.kind == "bell"]
    if times:
        y = lane_y("bells")
        ax.vlines(times, y - LANE_HEIGHT / 2, y + LANE_HEIGHT / 2, colors=COLOURS["bells"], linewidth=1.5)
        ax.plot(times, [y] * len(times), linestyle="none", marker="v", markersize=11, color=COLOURS["bells"], markeredgecolor="black", markeredgewidth=0.7)


def breathe_label(event: Event) -> str:
    """'4-7-8 ×4': the phase lengths in seconds, and the rounds."""
    b = event.breathe
    phases = "-".join(f"{s:g}" for s in (b.in_s, b.hold_s, b.out_s, b.hold_out_s) if s > 0)
    return f"{phases} ×{b.rounds}"


def _breathing_lane(ax, tl: Timeline, labels: _Labels) -> None:
    events = [e for e in tl.events if e.kind == "breathe"]
    _bars(ax, "breathing", [_span(tl, e) for e in events], COLOURS["breathing"], HATCHES["breathing"])
    for event in events:
        labels.add("breathing", *_span(tl, event), breathe_label(event))


def bed_spans(tl: Timeline) -> list[tuple[float, float, str]]:
    """(start s, length s, bed name) for each stretch with a bed; silence leaves a gap."""
    marks = [(e.start, e.bed) for e in tl.events if e.kind == "ambience"]
    spans = []
    for (start, bed), (end, _) in zip(marks, [*marks[1:], (tl.frames, None)]):
        if bed and end > start:
            spans.append((tl.seconds(start), tl.seconds(end - start), bed_name(bed)))
    return spans


def _ambience_lane(ax, tl: Timeline, labels: _Labels) -> None:
    spans = bed_spans(tl)
    _bars(ax, "ambience", [(s, n) for s, n, _ in spans], COLOURS["ambience"], HATCHES["ambience"])
    for start_s, length_s, name in spans:
        labels.add("ambience", start_s, length_s, name)


def integrated_lufs(momentary_lufs: np.ndarray) -> float:
    """Integrated loudness from the momentary curve (its values are the gating blocks of EBU
    R128: 400 ms every 100 ms), with the absolute (-70) and relative (-10 LU) gates."""
    values = np.asarray(momentary_lufs, dtype=float)
    values = values[np.isfinite(values) & (values > -70.0)]
    if not len(values):
        return -math.inf
    energy = 10.0 ** ((values + 0.691) / 10.0)
    relative_gate = -0.691 + 10.0 * math.log10(energy.mean()) - 10.0
    kept = energy[values > relative_gate]
    return -0.691 + 10.0 * math.log10(kept.mean())


def _curve(momentary_lufs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times and values to draw, floored; a long curve keeps the maximum of each few values."""
    values = np.nan_to_num(momentary_lufs, nan=LOUDNESS_FLOOR_LUFS, neginf=LOUDNESS_FLOOR_LUFS, posinf=0.0)
    values = np.maximum(values, LOUDNESS_FLOOR_LUFS)
    times = (np.arange(len(values)) + 1) * MOMENTARY_HOP_S
    step = math.ceil(len(values) / CURVE_POINTS_MAX)
    if step > 1:
        whole = len(values) // step * step
        values, times = values[:whole].reshape(-1, step).max(axis=1), times[step - 1 : whole : step]
    return times, values


def _draw_loudness(ax, momentary_lufs: np.ndarray, target_lufs: float | None, tl: Timeline) -> None:
    times, values = _curve(momentary_lufs)
    ax.fill_between(times, LOUDNESS_FLOOR_LUFS, values, color="#C8C8C8", linewidth=0)
    ax.plot(times, values, color="#333333", linewidth=0.7, label="momentary loudness (400 ms)")
    top = float(values.max())
    integrated = integrated_lufs(momentary_lufs)
    if math.isfinite(integrated):
        ax.axhline(integrated, color=COLOURS["bilateral"], linewidth=1.6, label=f"integrated {integrated:.1f} LUFS")
        ax.axhline(integrated + STARTLE_LU, color=COLOURS["bells"], linewidth=1.3, linestyle=":", label=f"startle limit (+{STARTLE_LU:g} LU)")
        top = max(top, integrated + STARTLE_LU)
    if target_lufs is not None:
        ax.axhline(target_lufs, color="black", linewidth=1.0, linestyle="--", label=f"target {target_lufs:g} LUFS")
    for _, start in tl.chapters[1:]:
        ax.axvline(tl.seconds(start), color="#9A9A9A", linewidth=0.7, linestyle=(0, (4, 3)), zorder=0.5)
    ax.set_ylim(LOUDNESS_FLOOR_LUFS, top + 4.0)
    ax.set_ylabel("loudness (LUFS)", fontsize=10)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8.5, ncol=4, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def mmss(seconds: float) -> str:
    """'00:00', '12:30', '75:00': minutes and seconds."""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"


def _time_axis(ax, duration_s: float) -> None:
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    step_s = next((s for s in TICK_STEPS_S if duration_s / s <= MAX_TICKS), TICK_STEPS_S[-1])
    ax.xaxis.set_major_locator(MultipleLocator(step_s))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda s, _: mmss(s)))
    ax.set_xlabel("time (mm:ss)", fontsize=10)


def _legend_handles() -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    patch = lambda kind, label, hatch=None: Patch(facecolor=COLOURS[kind], edgecolor=_darker(COLOURS[kind]), hatch=hatch, label=label)  # noqa: E731
    return [
        patch("voice", "voice"),
        patch("bilateral", "bilateral set", HATCHES["bilateral"]),
        patch("underlay", "tones under the voice", HATCHES["underlay"]),
        Line2D([], [], linestyle="none", marker="v", markersize=9, color=COLOURS["bells"], markeredgecolor="black", label="bell"),
        patch("breathing", "paced breathing", HATCHES["breathing"]),
        patch("ambience", "ambience bed", HATCHES["ambience"]),
    ]


def _count(n: int, noun: str, plural: str = "s") -> str:
    return f"{n} {noun}{plural * (n != 1)}"


def _heading(fig, tl: Timeline, title: str, has_curve: bool) -> None:
    left, _, width, _ = LANES_RECT if has_curve else LANES_RECT_ALONE
    facts = [mmss(tl.duration_s), _count(len(tl.chapters), "chapter"), _count(sum(1 for e in tl.events if e.kind == "bls" and not e.under), "bilateral set")]
    underlays = sum(1 for e in tl.events if e.kind == "bls" and e.under)
    if underlays:
        facts.append(_count(underlays, "stretch", "es") + " of tones under the voice")
    fig.text(left, 0.955, clipped(" ".join(title.split()) or "Session", TITLE_CHARS), fontsize=15, fontweight="bold", va="center")
    fig.text(left, 0.912, " · ".join(facts), fontsize=10, color="#444444", va="center")
    fig.legend(handles=_legend_handles(), loc="center right", bbox_to_anchor=(left + width, 0.912), ncol=6, fontsize=9, frameon=False, handlelength=2.2)


# --- the report page ------------------------------------------------------------------------------

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


def _asset(name: str) -> str:
    return resources.files("sessiongen").joinpath("review_assets", name).read_text(encoding="utf-8")


def href(target: Path, page_folder: Path) -> str:
    """A relative, percent-encoded link from a page in `page_folder` to `target` (both paths as
    you would open them: absolute, or relative to the current folder)."""
    try:
        relative = os.path.relpath(Path(target).resolve(), Path(page_folder).resolve())
    except ValueError:  # another drive on Windows: the name alone, as the file sits beside the page
        relative = Path(target).name
    return quote(Path(relative).as_posix(), safe="/")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _json_script(element_id: str, data) -> str:
    """JSON inside a <script> element that no text can break out of."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


CSP = "default-src 'none'; img-src data:; media-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _page(title: str, body: str, script: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n<meta name="color-scheme" content="light dark">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_asset('review.css')}</style>\n</head>\n<body>\n"
        f"{body}\n<footer><p>Made offline by sessiongen {_e(__version__)}. This page loads nothing from the network.</p></footer>\n"
        f"{script}</body>\n</html>\n"
    )


def _seek_link(audio_href: str, start_s: float, inner: str, css: str = "seek") -> str:
    """A link that plays from `start_s`: in the page's player with script, otherwise the audio
    file itself at that time (a media fragment)."""
    return f'<a class="{css}" href="{_e(audio_href)}#t={start_s:.3f}" data-start="{start_s:.3f}"><span class="vh">Play from </span>{inner}</a>'


def _facts(title: str, client_id: str, techniques: list[str], timeline: Timeline) -> str:
    items = [("Client", client_id or "—"), ("Technique" + "s" * (len(techniques) > 1), ", ".join(techniques) or "—"), ("Length", format_clock(timeline.duration_s))]
    rows = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in items)
    return f'<header>\n<p class="kicker">Review before sending</p>\n<h1>{_e(title)}</h1>\n<dl class="facts">{rows}</dl>\n</header>'


def _cautions(cautions: list[str]) -> str:
    items = "".join(f"<li>{_e(c)}</li>" for c in cautions) or "<li>None listed for this technique.</li>"
    return (
        f'<section class="cautions" aria-labelledby="cautions-h">\n<h2 id="cautions-h">Cautions</h2>\n<ul>{items}</ul>\n'
        f'<p class="disclaimer">The recording itself says: {_e(DISCLAIMER)}</p>\n</section>'
    )


def _player(audio_href: str, name: str) -> str:
    link = f'<a href="{_e(audio_href)}">{_e(name)}</a>'
    return (
        '<section class="player" aria-label="Player">\n'
        f'<audio id="player" controls preload="metadata" src="{_e(audio_href)}" aria-label="Recording: {_e(name)}">'
        f"<p>This browser cannot play the recording here: open {link} instead.</p></audio>\n"
        f'<p class="file">Audio file: {link} (beside this page; keep them in the same folder)</p>\n</section>'
    )


def _chapters(timeline: Timeline, audio_href: str) -> str:
    ends = [start for _, start in timeline.chapters[1:]] + [timeline.frames]
    items = []
    for (title, start), end in zip(timeline.chapters, ends):
        start_s = timeline.seconds(start)
        inner = f'<span class="time">{format_clock(start_s)}</span> <span class="title">{_e(title)}</span>'
        length = f'<span class="length">{format_clock(timeline.seconds(end - start))}</span>'
        items.append(f"<li>{_seek_link(audio_href, start_s, inner, 'seek chapter')} {length}</li>")
    return f'<section class="chapters" aria-labelledby="chapters-h">\n<h2 id="chapters-h">Chapters</h2>\n<ol id="chapters">\n{chr(10).join(items)}\n</ol>\n</section>'


def _transcript(cues: list[dict], audio_href: str) -> str:
    items = []
    for i, cue in enumerate(cues):
        kind = "sound" if cue["text"].startswith("[") else "speech"
        text = "<br>".join(_e(line) for line in cue["text"].split("\n"))
        time = _seek_link(audio_href, cue["start"], f'<span class="time">{format_clock(cue["start"])}</span>', "seek cue-time")
        items.append(f'<li class="cue {kind}" id="cue-{i}" data-start="{cue["start"]:.3f}" data-end="{cue["end"]:.3f}">{time} <span class="text">{text}</span></li>')
    return (
        '<section class="transcript" aria-labelledby="transcript-h">\n<h2 id="transcript-h">Transcript</h2>\n'
        '<p class="js-only"><label><input type="checkbox" id="follow" checked> Follow the recording</label></p>\n'
        f'<div class="scroll" tabindex="0" role="region" aria-labelledby="transcript-h">\n<ol id="transcript">\n{chr(10).join(items)}\n</ol>\n</div>\n</section>'
    )


def alt_text(timeline: Timeline, has_curve: bool) -> str:
    """A short description of the timeline image."""
    count = lambda kind, under=False: sum(1 for e in timeline.events if e.kind == kind and e.under == under)  # noqa: E731
    beds = sorted({name for _, _, name in bed_spans(timeline)})
    parts = [
        f"{len(timeline.chapters)} chapters", f"{count('bls')} bilateral sets", f"{count('bls', True)} underlays",
        f"{count('bell')} bells", f"{count('breathe')} breathing exercises", "ambience: " + (", ".join(beds) or "none"),
    ]
    curve = ", with the loudness curve below" if has_curve else ""
    return f"Timeline of the session, {format_clock(timeline.duration_s)} long: " + ", ".join(parts) + curve + "."


def _figure(png_file: Path | None, timeline: Timeline, has_curve: bool) -> str:
    if png_file is None:
        return ""
    data = base64.b64encode(Path(png_file).read_bytes()).decode("ascii")
    return (
        '<section class="timeline" aria-labelledby="timeline-h">\n<h2 id="timeline-h">Timeline</h2>\n<figure>\n'
        f'<img src="data:image/png;base64,{data}" width="{IMAGE_PX[0]}" height="{IMAGE_PX[1]}" alt="{_e(alt_text(timeline, has_curve))}">\n'
        "<figcaption>Chapters, voice, bilateral tones (labelled with their rate; lighter under the voice), bells, "
        "paced breathing and the ambience bed over time; below, the loudness of the delivered file.</figcaption>\n</figure>\n</section>"
    )


FIELD_LABELS = {
    "generator": "Made by", "script": "Script", "script_version": "Script version", "variables": "Variables (names only)",
    "voice": "Voice", "rate_wpm": "Speech rate (words a minute)", "engine": "Speech engine", "bls": "Bilateral tones",
    "tones": "Tone settings", "ambience": "Ambience (chosen for the session)", "seed": "Seed", "minutes": "Fitted to minutes",
    "mono": "Speaker version (mono)", "loudness_lufs": "Loudness target (LUFS)",
    "integrated_lufs": "Integrated loudness (LUFS)", "max_momentary_lufs": "Loudest moment (LUFS, 400 ms)",
    "true_peak_dbtp": "True peak (dBTP)", "target_lufs": "Target (LUFS)", "mix_lufs_before_mastering": "Mix before mastering (LUFS)",
    "gain_db": "Gain applied (dB)", "limiter_db": "Limiting (dB)",
    "file": "File", "format": "Format", "channels": "Channels", "sample_rate_hz": "Sample rate (Hz)", "duration_s": "Length (s)",
}


def _value(value) -> str:
    """A manifest value as escaped HTML: lists one item a line, booleans in words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, (list, tuple)):
        return "<br>".join(_e(item) for item in value)
    return _e(value)


def _table(caption: str, data: dict) -> str:
    label = lambda key: FIELD_LABELS.get(key, str(key).replace("_", " "))  # noqa: E731
    rows = "".join(f'<tr><th scope="row">{_e(label(k))}</th><td>{_value(v)}</td></tr>' for k, v in data.items())
    return f"<table>\n<caption>{_e(caption)}</caption>\n<tbody>{rows}</tbody>\n</table>"


def _parameters(manifest: dict) -> str:
    tables = [_table(caption, manifest.get(key) or {}) for caption, key in (("Render parameters", "parameters"), ("Loudness", "loudness"), ("Output", "output"))]
    return f'<section class="parameters" aria-labelledby="parameters-h">\n<h2 id="parameters-h">How it was made</h2>\n<div class="tables">\n{chr(10).join(tables)}\n</div>\n</section>'


def report_html(
    path: Path, *, audio_file: Path, timeline: Timeline, manifest: dict, vtt_text: str, png_file: Path | None,
    client_id: str = "", techniques: list[str], cautions: list[str],
) -> Path:
    """One self-contained page to check a recording before it is sent: player, chapters,
    transcript following the audio, timeline image and render parameters. The audio is linked
    by its relative name (keep the page beside it), never embedded. Written atomically."""
    path = Path(path)
    audio_href = href(Path(audio_file), path.parent)
    title = timeline.title or (manifest.get("script") or {}).get("title") or Path(audio_file).stem
    cues = vtt_cues(vtt_text)
    body = "\n".join([
        '<a class="skip" href="#player">Skip to the player</a>\n<main>',
        _facts(title, client_id, techniques, timeline), _cautions(cautions), _player(audio_href, Path(audio_file).name),
        f'<div class="columns">\n{_chapters(timeline, audio_href)}\n{_transcript(cues, audio_href)}\n</div>',
        _figure(png_file, timeline, bool(manifest.get("loudness"))), _parameters(manifest), "</main>",
    ])
    script = _json_script("cue-data", cues) + f"\n<script>\n{_asset('review.js')}</script>\n"
    write_text_atomic(path, _page(f"{title} — review", body, script))
    return path


def review_paths(audio_file: Path) -> tuple[Path, Path]:
    """Where the review of NAME.mp3 goes: NAME.html and NAME.timeline.png, beside it."""
    audio_file = Path(audio_file)
    return audio_file.with_suffix(".html"), audio_file.with_name(audio_file.stem + ".timeline.png")


def write_review(result, *, client_id: str = "", techniques: list[str], cautions: list[str]) -> list[Path]:
    """The image and the page for a session.Delivery, beside its audio; returns their paths."""
    rendered = result.rendered
    page, png = review_paths(rendered.path)
    loudness = result.manifest.get("loudness") or {}
    timeline_png(rendered.timeline, png, rendered.delivered.momentary_lufs, target_lufs=loudness.get("target_lufs"))
    vtt_file = sidecar_path(rendered.path, "vtt")
    vtt_text = vtt_file.read_text(encoding="utf-8") if vtt_file in result.sidecars else vtt_of(rendered.timeline)
    report_html(
        page, audio_file=rendered.path, timeline=rendered.timeline, manifest=result.manifest, vtt_text=vtt_text,
        png_file=png, client_id=client_id, techniques=techniques, cautions=cautions,
    )
    return [png, page]


# --- the batch index ------------------------------------------------------------------------------

OK_STATUSES = ("rendered", "up to date")


def _duration(value) -> str:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return "—"
    return format_clock(seconds) if seconds > 0 else "—"


def _row_links(out_dir: Path, row: dict) -> tuple[str, str]:
    """Links to a row's report page and its audio (empty where there is none)."""
    output = str(row.get("output") or "")
    if not output or row.get("status") not in OK_STATUSES:
        return "", ""
    audio = Path(output)
    page = Path(row["report"]) if row.get("report") else review_paths(audio)[0]
    audio_link = f'<a href="{_e(href(audio, out_dir))}">{_e(audio.name)}</a>'
    page_link = f'<a href="{_e(href(page, out_dir))}">Review<span class="vh"> {_e(row.get("client_id", ""))}</span></a>' if page.is_file() else ""
    return page_link, audio_link


def _index_row(out_dir: Path, row: dict) -> str:
    status = str(row.get("status") or "")
    page_link, audio_link = _row_links(out_dir, row)
    cells = [
        _e(row.get("row", "")), _e(row.get("client_id", "")), _e(row.get("technique", "")),
        f'<span class="status {"ok" if status in OK_STATUSES else "bad"}">{_e(status or "—")}</span>',
        _duration(row.get("duration_s")), page_link, audio_link, _e(row.get("error", "")),
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def batch_index(out_dir: Path, rows: list[dict]) -> Path:
    """OUT_DIR/index.html: every recording of a batch (client id, technique, status, length,
    links to its review page and its audio), self-contained. Rows as batch.Outcome fields, with
    an optional 'report' (the page's path; by default NAME.html beside the audio, if it exists)."""
    out_dir = Path(out_dir)
    rows = sorted(rows, key=lambda r: int(r.get("row") or 0))
    counts = {}
    for row in rows:
        counts[row.get("status") or "—"] = counts.get(row.get("status") or "—", 0) + 1
    summary = ", ".join(f"{n} {_e(s)}" for s, n in counts.items()) or "no recordings"
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Row", "Client", "Technique", "Status", "Length", "Review", "Audio", "Note"))
    reports = [f'<a href="{name}">{name}</a>' for name in ("report.csv", "report.json") if (out_dir / name).is_file()]
    body = (
        '<main>\n<header>\n<p class="kicker">Review before sending</p>\n<h1>Batch recordings</h1>\n'
        f'<p class="summary">{len(rows)} row{"s" * (len(rows) != 1)}: {summary}.'
        + (f" Reports: {' '.join(reports)}." if reports else "") + "</p>\n</header>\n"
        f'<div class="scroll wide" tabindex="0" role="region" aria-label="Recordings">\n<table class="index">\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(_index_row(out_dir, r) for r in rows)}\n</tbody>\n</table>\n</div>\n</main>"
    )
    path = out_dir / "index.html"
    write_text_atomic(path, _page("Batch recordings — review", body))
    return path
