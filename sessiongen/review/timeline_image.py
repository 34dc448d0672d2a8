"""The timeline image: the session at a glance, one lane per kind of event over the loudness curve.

matplotlib is imported inside the functions that draw, so importing this module stays cheap and
matplotlib loads only when an image is asked for.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sessiongen.master.loudness import MOMENTARY_HOP_S, gated_lufs
from sessiongen.model.timeline import Event, Timeline
from sessiongen.output.files import atomic_path
from sessiongen.output.sidecars import bed_name
from sessiongen.timefmt import mmss

IMAGE_PX = (1600, 700)
DPI = 100
LANES = ("chapters", "voice", "bilateral", "bells", "breathing", "ambience")  # top to bottom
LANE_LABELS = {
    "chapters": "Chapters",
    "voice": "Voice",
    "bilateral": "Bilateral",
    "bells": "Bells",
    "breathing": "Breathing",
    "ambience": "Ambience",
}
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
LOUDNESS_FLOOR_LUFS = -50.0
STARTLE_OVER_VOICE_LU = 6.0  # no 400 ms moment should be more than this above the voice
STARTLE_OVER_PROGRAMME_LU = 8.0  # without narration: above the integrated loudness
CURVE_POINTS_MAX = 4000  # a longer curve is drawn as its maxima, a few per pixel


def timeline_png(
    timeline: Timeline,
    path: Path,
    momentary_lufs: np.ndarray | None = None,
    title: str = "",
    target_lufs: float | None = None,
    voice_lufs: float | None = None,
) -> Path:
    """The session at a glance, about 1600x700 px: chapters, voice, bilateral sets (labelled
    with their rate; underlays lighter), bells, breathing and the bed, over the loudness curve
    (with the voice level, the integrated loudness, the target and the startle limit) when it is given."""
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
        _draw_loudness(bottom, np.asarray(momentary_lufs, dtype=float), target_lufs, voice_lufs, timeline)
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


# --- the lanes ------------------------------------------------------------------------------------


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
        ax.broken_barh(
            spans, (y - LANE_HEIGHT / 2, LANE_HEIGHT), facecolors=colour, edgecolors=[_darker(colour)], hatch=hatch or None, linewidth=0.6
        )


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
        ax.broken_barh(
            [(begin, length)], (y - LANE_HEIGHT / 2, LANE_HEIGHT), facecolors=COLOURS["chapter"][i % 2], edgecolors="white", linewidth=1.5
        )
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
        ax.plot(
            times,
            [y] * len(times),
            linestyle="none",
            marker="v",
            markersize=11,
            color=COLOURS["bells"],
            markeredgecolor="black",
            markeredgewidth=0.7,
        )


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
            spans.append((tl.seconds(start), tl.seconds(end - start), bed_name(bed, tl.language)))
    return spans


def _ambience_lane(ax, tl: Timeline, labels: _Labels) -> None:
    spans = bed_spans(tl)
    _bars(ax, "ambience", [(s, n) for s, n, _ in spans], COLOURS["ambience"], HATCHES["ambience"])
    for start_s, length_s, name in spans:
        labels.add("ambience", start_s, length_s, name)


# --- the loudness panel ---------------------------------------------------------------------------


def integrated_lufs(momentary_lufs: np.ndarray) -> float:
    """Integrated loudness from the momentary curve: its values are the gating blocks of EBU R128
    (400 ms every 100 ms), gated as BS.1770 gates them (master/loudness.py)."""
    values = np.asarray(momentary_lufs, dtype=float)
    values = values[np.isfinite(values)]
    return gated_lufs(10.0 ** ((values + 0.691) / 10.0))


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


def _draw_loudness(ax, momentary_lufs: np.ndarray, target_lufs: float | None, voice_lufs: float | None, tl: Timeline) -> None:
    times, values = _curve(momentary_lufs)
    ax.fill_between(times, LOUDNESS_FLOOR_LUFS, values, color="#C8C8C8", linewidth=0)
    ax.plot(times, values, color="#333333", linewidth=0.7, label="momentary (400 ms)")
    top = float(values.max())
    integrated = integrated_lufs(momentary_lufs)
    has_voice = voice_lufs is not None and math.isfinite(voice_lufs)
    anchor = voice_lufs if has_voice else integrated
    on_target = lambda level: target_lufs is not None and abs(level - target_lufs) < 0.05  # noqa: E731
    if math.isfinite(integrated):
        label = f"programme {integrated:.1f} LUFS" + (" (target)" if not has_voice and on_target(integrated) else "")
        ax.axhline(integrated, color=COLOURS["bilateral"], linewidth=1.6, label=label)
    if has_voice:
        ax.axhline(
            voice_lufs,
            color=COLOURS["voice"],
            linewidth=2.0,
            label=f"voice {voice_lufs:.1f} LUFS" + (" (target)" if on_target(voice_lufs) else ""),
        )
    over_lu = STARTLE_OVER_VOICE_LU if has_voice else STARTLE_OVER_PROGRAMME_LU
    if math.isfinite(anchor):
        ax.axhline(
            anchor + over_lu,
            color=COLOURS["bells"],
            linewidth=1.3,
            linestyle=":",
            label=f"startle limit ({'voice' if has_voice else 'programme'} +{over_lu:g} LU)",
        )
        top = max(top, anchor + over_lu)
    if target_lufs is not None and not (math.isfinite(anchor) and on_target(anchor)):
        ax.axhline(target_lufs, color="black", linewidth=1.0, linestyle="--", label=f"target {target_lufs:g} LUFS")
    for _, start in tl.chapters[1:]:
        ax.axvline(tl.seconds(start), color="#9A9A9A", linewidth=0.7, linestyle=(0, (4, 3)), zorder=0.5)
    ax.set_ylim(LOUDNESS_FLOOR_LUFS, top + 4.0)
    ax.set_ylabel("loudness (LUFS)", fontsize=10)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8.5, ncol=len(ax.get_lines()), frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# --- the time axis and the heading ----------------------------------------------------------------


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
    facts = [
        mmss(tl.duration_s),
        _count(len(tl.chapters), "chapter"),
        _count(sum(1 for e in tl.events if e.kind == "bls" and not e.under), "bilateral set"),
    ]
    underlays = sum(1 for e in tl.events if e.kind == "bls" and e.under)
    if underlays:
        facts.append(_count(underlays, "stretch", "es") + " of tones under the voice")
    fig.text(left, 0.955, clipped(" ".join(title.split()) or "Session", TITLE_CHARS), fontsize=15, fontweight="bold", va="center")
    fig.text(left, 0.912, " · ".join(facts), fontsize=10, color="#444444", va="center")
    fig.legend(
        handles=_legend_handles(),
        loc="center right",
        bbox_to_anchor=(left + width, 0.912),
        ncol=6,
        fontsize=9,
        frameon=False,
        handlelength=2.2,
    )
