"""Mastering as a chain of block processors, each with one interface: `process(block)` gives the
block as it leaves the processor (a processor with look-ahead gives it later), `flush()` what
it still holds at the end. Taps measure on the way without changing a sample.

The chain a session is mastered with: gain, the true-peak limiter (measuring how much it turns
the voice down), the file's fades, and the meter of what is delivered.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sessiongen.master.fades import Fades
from sessiongen.master.loudness import OutputMeter
from sessiongen.master.onspeech import LimitingOnSpeech
from sessiongen.sound.limiter import Limiter


class Processor(Protocol):
    def process(self, block: np.ndarray) -> np.ndarray: ...

    def flush(self) -> np.ndarray: ...


class Gain:
    def __init__(self, gain: float):
        self.gain = np.float32(gain)

    def process(self, block: np.ndarray) -> np.ndarray:
        return block * self.gain

    def flush(self) -> np.ndarray:
        return np.zeros((0, 1), dtype=np.float32)


class Limiting:
    """The true-peak limiter, and the gain reduction it applied over the voice's spans."""

    def __init__(self, limiter: Limiter, speech_spans: list[tuple[int, int]]):
        self.limiter, self.on_speech, self.position = limiter, LimitingOnSpeech(speech_spans), 0

    def _measured(self, block: np.ndarray) -> np.ndarray:
        self.on_speech.add(self.position, len(block), self.limiter.last_gain)
        self.position += len(block)
        return block

    def process(self, block: np.ndarray) -> np.ndarray:
        return self._measured(self.limiter.process(block))

    def flush(self) -> np.ndarray:
        return self._measured(self.limiter.flush())


class Fading:
    def __init__(self, fades: Fades):
        self.fades, self.position = fades, 0

    def process(self, block: np.ndarray) -> np.ndarray:
        faded = self.fades.apply(block, self.position)
        self.position += len(block)
        return faded

    def flush(self) -> np.ndarray:
        return np.zeros((0, 1), dtype=np.float32)


class Metering:
    """A tap: what passes is measured as delivered (loudness, momentary curve)."""

    def __init__(self, meter: OutputMeter):
        self.meter = meter

    def process(self, block: np.ndarray) -> np.ndarray:
        self.meter.add(block)
        return block

    def flush(self) -> np.ndarray:
        return np.zeros((0, 1), dtype=np.float32)


class Chain:
    """Processors in order; what one gives, the next takes."""

    def __init__(self, *processors: Processor):
        self.processors = processors

    def process(self, block: np.ndarray) -> np.ndarray:
        for processor in self.processors:
            block = processor.process(block)
        return block

    def flush(self) -> np.ndarray:
        """Each processor's tail, passed through the processors after it."""
        out = None
        for processor in self.processors:
            passed = processor.process(out) if out is not None and len(out) else None
            tail = processor.flush()
            parts = [p for p in (passed, tail) if p is not None and len(p)]
            out = np.concatenate(parts) if parts else None
        return out if out is not None else np.zeros((0, 1), dtype=np.float32)
