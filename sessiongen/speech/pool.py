"""A pool of isolated engine processes of one kind sharing each request (speech/isolated.py
runs each one): how many workers a request is worth, which worker speaks which phrase, fresh
processes after a number of phrases, and the answers read back in order."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from sessiongen.sound.audio import Audio
from sessiongen.speech.isolated import TIMEOUT_S, IsolatedEngine


class EnginePool:
    """Several isolated engines of one kind sharing each request: each call goes to the worker with
    the least text so far, and the answers are read in order while every worker speaks ahead into
    its own socket. A worker that hangs or crashes is replaced by its IsolatedEngine, as for a
    single engine."""

    def __init__(self, name: str, identity: str, size: int, recycle_after: int = 0, timeout_s: float = TIMEOUT_S):
        """`recycle_after`: replace a worker by a fresh process after this many phrases (0: never),
        for engines whose memory grows with what they have spoken. `timeout_s`: how long one
        answer may take before the worker is taken for hung."""
        self.workers = [IsolatedEngine(name, identity, timeout_s) for _ in range(max(1, size))]
        self.recycle_after = recycle_after

    def synthesize_many(self, calls: list[tuple], workers: int | None = None) -> Iterator[Audio]:
        """Every worker's share sent at once (so all of them speak from the start), the answers
        read in order."""
        n = max(1, min(len(self.workers), workers or len(self.workers), len(calls)))
        owners = balanced(calls, n)
        shares = [[call for call, owner in zip(calls, owners) if owner == i] for i in range(n)]
        streams = [self._share(worker, share) for worker, share in zip(self.workers, shares)]
        return _in_order(streams, owners)

    def _share(self, worker: IsolatedEngine, calls: list[tuple]) -> Iterator[Audio]:
        """One worker's calls, in batches of recycle_after with a fresh process for each batch;
        the first batch is sent now."""
        size = self.recycle_after or len(calls) or 1
        batches = [calls[at : at + size] for at in range(0, len(calls), size)]
        first = worker.synthesize_many(batches[0]) if batches else iter(())
        return _recycled(worker, first, batches[1:])

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


def _recycled(worker: IsolatedEngine, first: Iterator[Audio], rest: list[list[tuple]]) -> Iterator[Audio]:
    try:
        yield from first
        for batch in rest:
            worker.close()  # the next request starts a fresh process
            yield from worker.synthesize_many(batch)
    finally:
        first.close()


def balanced(calls: list[tuple], workers: int) -> list[int]:
    """Which worker speaks each call: the one with the fewest characters to speak so far (plus a
    phrase's onset), taken in order, so the shares take about as long and every worker stays near
    the reading order. Call i to worker i mod n gave one worker 3.3 % more of the 30-minute
    workload's speech, and the other then waited idle (docs/performance.md)."""
    loads, owners = [0] * workers, []
    for call in calls:
        owner = loads.index(min(loads))
        owners.append(owner)
        loads[owner] += len(str(call[0])) + ONSET_CHARS
    return owners


ONSET_CHARS = 10  # what a phrase costs beyond its text, in characters' worth (model call, trim, level)


def _in_order(streams: list, owners: list[int]) -> Iterator[Audio]:
    try:
        for owner in owners:
            yield next(streams[owner])
    finally:
        for stream in streams:
            stream.close()


def default_workers() -> int:
    """One single-thread voice worker per core (measured best on 2 cores: docs/performance.md), at
    most 4 (each holds a model); $SESSIONGEN_TTS_WORKERS overrides."""
    override = os.environ.get("SESSIONGEN_TTS_WORKERS", "")
    if override.isascii() and override.isdigit() and int(override) > 0:
        return int(override)
    return max(1, min(4, os.cpu_count() or 1))


def workers_for(calls: list[tuple], words_per_worker: int) -> int:
    """How many workers a batch of phrases is worth: one per `words_per_worker` words (a worker
    that must first load its model is worth starting only for that much speech)."""
    words = sum(len(str(call[0]).split()) for call in calls)
    return max(1, math.ceil(words / words_per_worker))
