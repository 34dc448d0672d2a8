"""Render: Timeline -> layers of float32 (frames, 2) PCM, one window at a time.

Any window can be rendered on its own: every source is a function of absolute time, and clips
are read lazily from the phrase cache, so memory does not grow with session length.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
import soundfile as sf

from sessiongen.mix.spans import VoiceSpans
from sessiongen.model.results import Clip
from sessiongen.model.script import Tone
from sessiongen.model.timeline import Event, EventKind, Timeline
from sessiongen.plan import HEADPHONE_BEEP_S
from sessiongen.settings import Settings
from sessiongen.sound import tones
from sessiongen.sound.audio import db_to_gain
from sessiongen.sound.beds import procedural as beds
from sessiongen.sound.beds import recorded as filebed

LAYERS = ("voice", "bilateral", "cues", "ambience")
HEADPHONE_TONE = Tone(rate_hz=0.5 / HEADPHONE_BEEP_S, pitch_hz=440.0, depth_pct=100.0)
BELL_LEVEL_DB = -4.0  # relative to the voice level
BREATH_TONE_LEVEL_DB = -12.0


@dataclass
class Window:
    """One window of the session. Unlayered, all four layers are one shared array: the mix."""

    start: int
    voice: np.ndarray
    bilateral: np.ndarray
    cues: np.ndarray
    ambience: np.ndarray
    layered: bool = True

    def mix(self) -> np.ndarray:
        return self.voice + self.bilateral + self.cues + self.ambience if self.layered else self.voice

    def layer(self, name: str) -> np.ndarray:
        return getattr(self, name)


class ClipReader:
    """Reads clips from the cache on demand and keeps the few most recent in memory."""

    def __init__(self, clips: dict[str, Clip], keep: int = 16):
        self.clips, self.keep = clips, keep
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def samples(self, text: str) -> np.ndarray:
        if text in self._recent:
            self._recent.move_to_end(text)
            return self._recent[text]
        clip = self.clips[text]
        data, _ = sf.read(clip.path, dtype="float32")
        data = data[: clip.frames]
        self._recent[text] = data
        if len(self._recent) > self.keep:
            self._recent.popitem(last=False)
        return data


class Renderer:
    def __init__(self, timeline: Timeline, clips: dict[str, Clip], settings: Settings):
        self.tl, self.settings = timeline, settings
        self.reader = ClipReader(clips)
        voice_gain = 1.0  # clips are already levelled to settings.voice_rms_db
        root2 = np.sqrt(2.0)
        self.set_gain = voice_gain * db_to_gain(settings.voice_rms_db + settings.bls_set_level_db) * root2
        self.under_gain = voice_gain * db_to_gain(settings.voice_rms_db + settings.bls_under_level_db) * root2
        self.bell_gain = db_to_gain(settings.voice_rms_db + BELL_LEVEL_DB) * root2
        self.breath_gain = db_to_gain(settings.voice_rms_db + BREATH_TONE_LEVEL_DB) * root2
        self.bed_gain = db_to_gain(settings.voice_rms_db + settings.bed_level_db)
        self.speech = [e for e in timeline.events if e.kind == EventKind.SPEECH]
        self.spans = VoiceSpans.of(timeline, clips, settings)  # where the voice is: the duck, the meters and the levels use it
        self.beds = _bed_segments(timeline)

    def windows(self, window_frames: int | None = None, layered: bool = True):
        """Windows of `window_frames` (default settings.window_s) from start to end.

        Unlayered windows are mixed as they are rendered: faster, when no stems are wanted."""
        size = window_frames or int(self.settings.window_s * self.tl.rate_hz)
        for start in range(0, self.tl.frames, size):
            yield self.window(start, min(size, self.tl.frames - start), layered)

    def window(self, start: int, frames: int, layered: bool = True) -> Window:
        w = _empty(start, frames, layered)
        stop = start + frames
        for event in self.tl.events:
            if event.start >= stop or event.end <= start:
                continue
            self._event(event, w, start, stop)
        self._ambience(w, start, frames)
        return w

    def event_window(self, event: Event, start: int, frames: int) -> Window:
        """One event alone over [start, start + frames), in its layers."""
        w = _empty(start, frames, layered=True)
        self._event(event, w, start, start + frames)
        return w

    def _event(self, event: Event, w: Window, start: int, stop: int) -> None:
        lo, hi = max(start, event.start), min(stop, event.end)
        rate = self.tl.rate_hz
        if event.kind == EventKind.SPEECH:
            place(w.voice, self.reader.samples(event.clip or event.text), event.start, start, stop)
        elif event.kind == EventKind.BLS:
            tone = replace(event.tone, depth_pct=0.0) if self.settings.mono else event.tone
            w.bilateral[lo - start : hi - start] += self._bls_gain(event) * tones.bls(
                tone, lo - event.start, hi - lo, rate, event.frames, self.tl.seed
            )
        elif event.kind == EventKind.HEADPHONE_CHECK:
            beep = tones.bls(HEADPHONE_TONE, 0, int(HEADPHONE_BEEP_S * rate), rate)[:, 0] * self.set_gain
            for offset, pan in event.beeps:
                place(w.bilateral, beep, event.start + offset, start, stop, pan)
            for offset, text, pan in event.cues:
                place(w.voice, self.reader.samples(text), event.start + offset, start, stop, pan)
        elif event.kind == EventKind.BELL:
            place(w.cues, tones.bell(rate, self.settings.bell_s) * self.bell_gain, event.start, start, stop)
        elif event.kind == EventKind.BREATHE:
            tone = tones.breath_tone(event.breathe, lo - event.start, hi - lo, rate) * self.breath_gain
            w.cues[lo - start : hi - start] += tone[:, None]
            for offset, text, pan in event.cues:
                place(w.voice, self.reader.samples(text), event.start + offset, start, stop, pan)

    def _bed(self, name: str, start: int, frames: int) -> np.ndarray:
        if beds.is_named(name):
            return beds.noise(name, self.tl.seed, start, frames, self.tl.rate_hz)
        return filebed.file_bed(name, self.tl.seed, start, frames, self.tl.rate_hz, self.settings.bed_vary, session_frames=self.tl.frames)

    def bed_power_at(self, name: str, t: np.ndarray) -> np.ndarray | float:
        """K-weighted power of a bed (before its gain) around frame positions t, as it is mixed."""
        if beds.is_named(name):
            return beds.k_power(name, self.tl.seed, t, self.tl.rate_hz, self.settings.mono)
        return filebed.k_power(
            name, self.tl.seed, t, self.tl.rate_hz, self.settings.bed_vary, self.settings.mono, session_frames=self.tl.frames
        )

    def _bls_gain(self, event: Event) -> float:
        if event.tone.level_db is not None:
            return db_to_gain(self.settings.voice_rms_db + event.tone.level_db) * np.sqrt(2.0)
        return self.under_gain if event.under else self.set_gain

    def _ambience(self, w: Window, start: int, frames: int) -> None:
        if not self.beds:
            return
        gain = self.bed_gain * self._duck(start, frames)
        for name, envelope in _bed_envelopes(self.beds, start, frames, self.tl, self.settings):
            layer = self._bed(name, start, frames)
            layer *= np.reshape(gain * envelope, (-1, 1)) if np.ndim(gain * envelope) else np.float32(gain * envelope)
            w.ambience += layer

    def _duck(self, start: int, frames: int) -> np.ndarray | float:
        """Gain (linear) of the bed over a window: a scalar where no speech is near."""
        return self.duck_at(np.arange(start, start + frames, dtype=np.float64), scalar_when_flat=True)

    def duck_at(self, t: np.ndarray, scalar_when_flat: bool = False) -> np.ndarray | float:
        """Gain (linear) of the bed at frame positions `t` (ascending): dips by duck_db under
        speech, with smooth attack and release, and stays down through short gaps (the hold)."""
        s = self.settings
        rate = self.tl.rate_hz
        attack, release = max(1, int(s.duck_attack_s * rate)), max(1, int(s.duck_release_s * rate))
        depth = None
        for span_start, span_end in self.spans.narration:
            lo, hi = np.searchsorted(t, [span_start - attack, span_end + release])
            if lo >= hi:
                continue
            if depth is None:
                depth = np.zeros(len(t), dtype=np.float32)
            near = t[lo:hi].astype(np.float32)
            edge = np.minimum((near - (span_start - attack)) / attack, ((span_end + release) - near) / release)
            shape = 0.5 - 0.5 * np.cos(np.pi * np.clip(edge, 0, 1))
            np.maximum(depth[lo:hi], shape, out=depth[lo:hi])
        if depth is None:
            return 1.0 if scalar_when_flat else np.ones(len(t), dtype=np.float32)
        return np.power(np.float32(10.0), depth * np.float32(-s.duck_db / 20.0))

    def bed_envelopes_at(self, t: np.ndarray):
        """Each bed with its equal-power gain at frame positions `t`."""
        return _bed_envelopes_at(self.beds, t, self.tl, self.settings)

    def bed_gains_at(self, t: np.ndarray):
        """Each bed with its whole gain at frame positions `t`: level, ducking and crossfade."""
        duck = self.duck_at(t)
        for name, envelope in self.bed_envelopes_at(t):
            yield name, self.bed_gain * duck * envelope

    def clip_samples(self, key: str) -> np.ndarray:
        """A phrase's levelled mono samples at the mix rate."""
        return self.reader.samples(key)

    def clip_frames(self, key: str) -> int:
        return self.reader.clips[key].frames


def _empty(start: int, frames: int, layered: bool) -> Window:
    zeros = lambda: np.zeros((frames, 2), dtype=np.float32)  # noqa: E731
    if layered:
        return Window(start, zeros(), zeros(), zeros(), zeros())
    mix = zeros()
    return Window(start, mix, mix, mix, mix, layered=False)


def prefetched(windows, depth: int = 2):
    """The windows of a generator, rendered ahead on a thread while the caller masters the
    previous ones: numpy releases the GIL for most of the mixing, so the two overlap. At most
    `depth` windows wait; an error in the thread is raised here; closing the generator (or an
    error in the caller) stops the thread."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for window in windows:
                if not offer(("window", window)):
                    return
            offer(("done", None))
        except BaseException as exc:  # noqa: BLE001 - raised in the caller
            offer(("error", exc))

    thread = threading.Thread(target=produce, name="sessiongen-render", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = ready.get()
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def place(target: np.ndarray, mono: np.ndarray, at: int, start: int, stop: int, pan: float = 0.0) -> None:
    """Add a mono clip beginning at absolute frame `at` into the window [start, stop).

    Centred clips go into both channels at full level (the voice); a pan of -1 or +1 puts the
    clip into one ear only, at the same level.
    """
    lo, hi = max(start, at), min(stop, at + len(mono))
    if lo >= hi:
        return
    part = mono[lo - at : hi - at]
    if pan == 0.0:
        target[lo - start : hi - start] += part[:, None]
    else:
        left, right = pan_weights(pan)
        target[lo - start : hi - start, 0] += part * left
        target[lo - start : hi - start, 1] += part * right


def pan_weights(pan: float) -> tuple[float, float]:
    """(left, right) gains of a clip placed at `pan`: 1 in both ears when centred, one ear at
    full level at -1 or +1."""
    if pan == 0.0:
        return 1.0, 1.0
    left, right = (float(g) * np.sqrt(2.0) for g in tones.pan_gains(pan))
    return min(left, 1.0), min(right, 1.0)


def _bed_segments(tl: Timeline) -> list[tuple[int, int, str | None]]:
    """(start, stop, bed) for each stretch of one bed."""
    changes = [(e.start, e.bed) for e in tl.events if e.kind == EventKind.AMBIENCE]
    segments = []
    for index, (start, name) in enumerate(changes):
        stop = changes[index + 1][0] if index + 1 < len(changes) else tl.frames
        if stop > start or index == len(changes) - 1:
            segments.append((start, stop, name))
    return [s for s in segments if s[2] is not None]


def _bed_envelopes(segments, start: int, frames: int, tl: Timeline, s: Settings):
    """Each bed with its equal-power gain over the window (a scalar where it is steady)."""
    fade = max(1, int(s.bed_fade_s * tl.rate_hz))
    stop = start + frames
    for seg_start, seg_stop, name in segments:
        fade_out_at = tl.frames - fade if seg_stop >= tl.frames else seg_stop
        if seg_start >= stop or fade_out_at + fade <= start:
            continue
        if seg_start + fade <= start and stop <= fade_out_at:
            yield name, 1.0
            continue
        yield name, _bed_gain(np.arange(start, stop, dtype=np.float64), seg_start, fade_out_at, fade)


def _bed_envelopes_at(segments, t: np.ndarray, tl: Timeline, s: Settings):
    fade = max(1, int(s.bed_fade_s * tl.rate_hz))
    for seg_start, seg_stop, name in segments:
        fade_out_at = tl.frames - fade if seg_stop >= tl.frames else seg_stop
        yield name, _bed_gain(t, seg_start, fade_out_at, fade)


def _bed_gain(t: np.ndarray, seg_start: int, fade_out_at: int, fade: int) -> np.ndarray:
    """Fades in from seg_start and out from fade_out_at, equal-power, over `fade` frames."""
    edge = np.minimum((t - seg_start) / fade, (fade_out_at + fade - t) / fade)
    return np.sin(0.5 * np.pi * np.clip(edge, 0, 1)).astype(np.float32)
