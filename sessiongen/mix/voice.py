"""The voice alone, as it is placed in the mix: where it speaks, and how loud it is.

Mastering is anchored on the voice (pipeline.write): the session's gain brings the loudness of
the narration to the target, so the voice sounds the same in a 5-minute and a 3-hour session and
everything else keeps its designed level against it. The loudness is BS.1770's (libebur128) over
the voice layer: speech-gated, the dialogue-anchored practice of broadcast loudness.

It is measured, not predicted. Only the stretches around speech are rendered: a silence longer
than one gating block (400 ms) is shortened by whole 100 ms hops before it reaches the meter, so
every gating block that holds any speech is exactly the block the whole session would give, and
the blocks left out hold only silence, which the absolute gate leaves out anyway.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from sessiongen.master.loudness import BLOCK_S, MOMENTARY_HOP_S, LoudnessMeter
from sessiongen.mix.render import Renderer, place
from sessiongen.mix.spans import Spans, joined_spans, placements


def speech_spans(renderer: Renderer, join_frames: int = 0) -> Spans:
    """[start, end) of the voice, in frames; clips closer than `join_frames` make one span."""
    return joined_spans(renderer.spans.clips, join_frames)


def voice_lufs(renderer: Renderer) -> float:
    """The integrated (speech-gated) loudness of the voice layer as it is placed in the mix,
    folded to one channel for a mono session; -inf for a session without narration."""
    tl, settings = renderer.tl, renderer.settings
    hop, block = int(round(MOMENTARY_HOP_S * tl.rate_hz)), int(round(BLOCK_S * tl.rate_hz))
    window = int(settings.window_s * tl.rate_hz)
    meter = LoudnessMeter(tl.rate_hz, settings.channels)
    placed = placements(tl)
    starts = [p.start for p in placed]
    longest = max((renderer.clip_frames(p.key) for p in placed), default=0)
    position = 0
    for start, end in speech_spans(renderer, join_frames=block + hop):
        _silence(meter, _shortened(start - position, block, hop), settings.channels, window)
        for at in range(start, end, window):
            stop = min(end, at + window)
            layer = np.zeros((stop - at, 2), dtype=np.float32)
            for p in placed[bisect_left(starts, at - longest) : bisect_left(starts, stop)]:
                place(layer, renderer.clip_samples(p.key), p.start, at, stop, p.pan)
            meter.add(layer.mean(axis=1, keepdims=True) if settings.mono else layer)
        position = end
    _silence(meter, _shortened(tl.frames - position, block, hop), settings.channels, window)
    return meter.result().integrated_lufs


def _shortened(frames: int, block: int, hop: int) -> int:
    """A silence shortened by whole hops, to no less than one block: block boundaries keep
    their place against the speech on either side."""
    if frames <= block + hop:
        return frames
    return block + (frames - block) % hop


def _silence(meter: LoudnessMeter, frames: int, channels: int, window: int) -> None:
    for at in range(0, frames, window):
        meter.add(np.zeros((min(window, frames - at), channels), dtype=np.float32))
