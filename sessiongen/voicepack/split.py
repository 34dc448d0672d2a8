"""A long take -> the phrases of the sheet: silence detection, then an alignment.

Speech is found in each take's envelope (takes.py): hops more than a threshold above the take's
own noise floor, with short gaps (within a word) closed and short bursts (clicks) dropped. That
gives *islands* of speech. Islands are not phrases: a comma's pause splits a phrase in two, and
two phrases said close together make one island. So the islands are aligned to the phrases by
dynamic programming, in order, over every way of grouping consecutive islands into a phrase:

- a phrase matched to a group costs how far the group's length is from the phrase's expected
  length (the synthetic voice's, scaled by the reader's own pace, estimated in a first pass), plus
  a cost for each long gap inside the group and for a split at a short gap (a doubtful split);
- a phrase may be missing, an island may be extra (a cough, a remark), each at a fixed cost;
- a phrase may be said again (a retake): the group after it, fitting the same phrase, replaces it,
  at a small cost, so the last take of a phrase is the one kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sessiongen.voicepack.matching import MAX_GROUP, Scores
from sessiongen.voicepack.takes import HOP_S, Envelope

MIN_GAP_S = 0.18  # quieter stretches shorter than this are within a word
MIN_ISLAND_S = 0.08  # louder stretches shorter than this are clicks
EDGE_DB, EDGE_MAX_S = 6.0, 0.25  # an island's edges widened over what stays this far above the room, this far at most
SPREAD = 0.22  # natural spread of a phrase's length around its expected length (log scale)
COST_MISSING = 7.0  # high: a phrase said in a way unlike its reading is better kept and marked check than called missing
COST_EXTRA = 1.0  # low: stumbles, remarks and coughs are common, and what is said decides
COST_RETAKE = 0.3
GAP_RANGE_S = (0.5, 1.5)  # where the gap between phrases and pauses within them are told apart
GAP_SHARPNESS = 0.15  # log-seconds: how fast a gap turns from "within" to "between" around that point
COST_GAP = 1.5  # a split at a gap that looks within a phrase, or a gap inside a phrase that looks between: up to ~7
PACE_RANGE = (0.5, 2.0)
CONTENT_WEIGHT = 8.0  # a score of 1 (a stretch as unlike the phrase as another phrase is) costs this much
LENGTH_WEIGHT = 0.25  # with content: the length's and the gaps' share of the cost
GAP_WEIGHT = 0.5
RETAKE_SCORE = 0.6  # an extra island scoring under this against the next phrase is an earlier take of it
PHONE_WEIGHT = 0.75  # phonetic scores: each phone a group gets wrong beyond the phrase's best group costs this (boundaries by words)


@dataclass(frozen=True)
class Island:
    take: int
    start: int  # hops
    stop: int
    gap_after_s: float  # to the next island of the same take (inf at the end of the take)

    @property
    def duration_s(self) -> float:
        return (self.stop - self.start) * HOP_S


@dataclass
class Alignment:
    """Per phrase index: the islands of the kept take (first, last) or None; the takes replaced."""

    kept: list[tuple[int, int] | None]
    retakes: list[list[tuple[int, int]]]
    extras: list[int] = field(default_factory=list)  # island indices
    pace: float = 1.0  # the reader's lengths against the synthetic voice's
    ragged: set[int] = field(default_factory=set)  # phrases with sound left out right beside them (a part of it, perhaps)


def threshold_db(level_db: np.ndarray) -> tuple[float, float, float]:
    """(noise floor, speech level, threshold) of a take, in dBFS."""
    floor = float(np.percentile(level_db, 10)) if level_db.size else -120.0
    speech = float(np.percentile(level_db, 97)) if level_db.size else -120.0
    return floor, speech, floor + max(6.0, 0.35 * (speech - floor))


def islands(envelopes: list[Envelope]) -> list[Island]:
    out = []
    for take, env in enumerate(envelopes):
        floor, _, threshold = threshold_db(env.level_db)
        runs = _runs(env.level_db > threshold)
        runs = _closed(runs, int(MIN_GAP_S / HOP_S))
        runs = _widened([(a, b) for a, b in runs if (b - a) * HOP_S >= MIN_ISLAND_S], env.level_db > floor + EDGE_DB)
        for n, (a, b) in enumerate(runs):
            gap = (runs[n + 1][0] - b) * HOP_S if n + 1 < len(runs) else float("inf")
            out.append(Island(take, a, b, gap))
    return out


def _widened(runs: list[tuple[int, int]], above: np.ndarray) -> list[tuple[int, int]]:
    """Each island's edges moved out over the soft sounds just above the room (a final "s", a
    breathy "h") the threshold missed: at most EDGE_MAX_S, never into the next island."""
    most = int(EDGE_MAX_S / HOP_S)
    out = []
    for n, (a, b) in enumerate(runs):
        low = max(out[-1][1] + 1 if out else 0, a - most)
        high = min(runs[n + 1][0] - 1 if n + 1 < len(runs) else len(above), b + most)
        while a > low and above[a - 1]:
            a -= 1
        while b < high and above[b]:
            b += 1
        out.append((a, b))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _closed(runs: list[tuple[int, int]], min_gap: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and a - out[-1][1] < min_gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def align(found: list[Island], expected_s: list[float], scores: Scores | None = None) -> Alignment:
    """The phrases (expected lengths, in order) aligned to the islands; two passes, the second at
    the reader's pace measured in the first. With `scores` (matching.py) what was said decides,
    the lengths only help; without, the lengths decide alone."""
    pace = 1.0
    first = _align(found, np.asarray(expected_s, dtype=np.float64), scores)
    ratios = [_span_s(found, k) / e for k, e in zip(first.kept, expected_s) if k is not None and e > 0]
    if ratios:
        pace = float(np.clip(np.median(ratios), *PACE_RANGE))
    second = _align(found, np.asarray(expected_s, dtype=np.float64) * pace, scores)
    second.pace = pace
    if scores is not None:
        _unlike_dropped(second, scores)
        _extras_as_retakes(second, scores)
        second.ragged = _ragged(found, second)
    return second


def _ragged(found: list[Island], aligned: Alignment) -> set[int]:
    """The phrases with an extra island just before or after them, closer than the silences
    between phrases usually are: perhaps a part of the phrase (after a comma) left out."""
    point_s, extras, out = gap_point_s(found), set(aligned.extras), set()
    for j, group in enumerate(aligned.kept):
        if group is None:
            continue
        before = group[0] - 1 in extras and found[group[0] - 1].take == found[group[0]].take and found[group[0] - 1].gap_after_s < point_s
        after = group[1] + 1 in extras and found[group[1] + 1].take == found[group[1]].take and found[group[1]].gap_after_s < point_s
        if before or after:
            out.add(j)
    return out


def _unlike_dropped(aligned: Alignment, scores: Scores) -> None:
    """A kept match scoring scores.unlike or worse is sound unlike the phrase (a remark where the
    phrase was left out): the phrase is missing, the sound extra."""
    for j, group in enumerate(aligned.kept):
        said = scores.of(group) if group is not None else None
        if said is not None and said[j] >= scores.unlike:
            dropped = [group, *aligned.retakes[j]]
            aligned.kept[j], aligned.retakes[j] = None, []
            aligned.extras = sorted(aligned.extras + [n for a, b in dropped for n in range(a, b + 1)])


def _extras_as_retakes(aligned: Alignment, scores: Scores) -> None:
    """An extra island that sounds like the next phrase kept (scores under RETAKE_SCORE) is an
    earlier take of it: reported as a retake (the last take is kept either way)."""
    starts = sorted((group[0], j) for j, group in enumerate(aligned.kept) if group is not None)
    for index in list(aligned.extras):
        following = next((j for start, j in starts if start > index), None)
        said = scores.of((index, index))
        if following is not None and said is not None and said[following] < RETAKE_SCORE:
            aligned.extras.remove(index)
            aligned.retakes[following] = sorted(aligned.retakes[following] + [(index, index)])


def _span_s(found: list[Island], group: tuple[int, int]) -> float:
    return (found[group[1]].stop - found[group[0]].start) * HOP_S


def gap_point_s(found: list[Island]) -> float:
    """The gap that parts pauses within a phrase from the silences between phrases: the best
    two-class split of the take's gaps on a log scale (Otsu), kept within GAP_RANGE_S."""
    gaps = np.log(np.clip([i.gap_after_s for i in found if np.isfinite(i.gap_after_s)], 0.05, 30.0))
    if len(gaps) < 4:
        return float(np.sqrt(np.prod(GAP_RANGE_S)))
    values = np.unique(gaps)
    spread = [np.var(gaps[gaps <= c]) * np.mean(gaps <= c) + np.var(gaps[gaps > c]) * np.mean(gaps > c) for c in values[:-1]]
    best = int(np.argmin(spread)) if spread else 0
    point = float(np.exp((values[best] + values[best + 1]) / 2)) if spread else 1.0  # midway between the classes
    return float(np.clip(point, *GAP_RANGE_S))


def _between(gap_s: float, point_s: float) -> float:
    """How much a gap looks like a silence between phrases (0 to 1)."""
    if not np.isfinite(gap_s):
        return 1.0
    return float(1.0 / (1.0 + np.exp(-(np.log(max(gap_s, 0.01)) - np.log(point_s)) / GAP_SHARPNESS)))


def _group_cost(found: list[Island], first: int, last: int, point_s: float) -> float:
    inner = sum(-np.log(max(1.0 - _between(found[n].gap_after_s, point_s), 1e-3)) for n in range(first, last))
    before = found[first - 1].gap_after_s if first > 0 and found[first - 1].take == found[first].take else float("inf")
    edges = sum(-np.log(max(_between(g, point_s), 1e-3)) for g in (before, found[last].gap_after_s))
    return COST_GAP * (inner + edges / 2)


class _Table:
    """Costs and back-pointers over (islands used, phrases done, just matched?)."""

    def __init__(self, islands_n: int, phrases_n: int):
        shape = (islands_n + 1, phrases_n + 1, 2)
        self.cost = np.full(shape, np.inf)
        self.back = np.zeros(shape + (4,), dtype=np.int64)  # previous i, j, flag; action
        self.cost[0, 0, 0] = 0.0

    def offer(self, i: int, js: np.ndarray, flag: int, costs: np.ndarray, prev: tuple, action: int) -> None:
        better = costs < self.cost[i, js, flag]
        if not better.any():
            return
        js, costs = js[better], costs[better]
        self.cost[i, js, flag] = costs
        pi, pf = prev
        pj = js - 1 if action in (1,) else js
        self.back[i, js, flag] = np.stack(
            [np.full_like(js, pi), pj, np.full_like(js, pf) if np.ndim(pf) == 0 else pf[better], np.full_like(js, action)], axis=1
        )


MATCH, RETAKE, EXTRA, MISSING = 1, 2, 3, 4


def _fit(found: list[Island], i: int, last: int, log_expected: np.ndarray, point_s: float, scores: Scores | None) -> np.ndarray:
    """The cost of the group i..last as each phrase: its content (when scored), its length, its gaps."""
    length = ((np.log(max(_span_s(found, (i, last)), 0.05)) - log_expected) / SPREAD) ** 2
    if scores is None:
        return length + _group_cost(found, i, last, point_s)
    said = scores.of((i, last))
    if said is None:
        return np.full(len(log_expected), np.inf)
    content = CONTENT_WEIGHT * np.maximum(said, -0.5)
    if scores.excess is not None:
        content = content + PHONE_WEIGHT * scores.excess[(i, last)]
    return content + LENGTH_WEIGHT * length + GAP_WEIGHT * _group_cost(found, i, last, point_s)


def _align(found: list[Island], expected_s: np.ndarray, scores: Scores | None = None) -> Alignment:
    m, n = len(found), len(expected_s)
    point_s = gap_point_s(found)
    table, js = _Table(m, n), np.arange(n + 1)
    log_expected = np.log(np.maximum(expected_s, 0.05))
    for i in range(m + 1):
        _missing(table, i, n)
        if i == m:
            break
        both = np.minimum(table.cost[i, :, 0], table.cost[i, :, 1])
        from_flag = (table.cost[i, :, 1] < table.cost[i, :, 0]).astype(np.int64)
        for flag in (0, 1):
            table.offer(i + 1, js, flag, table.cost[i, :, flag] + COST_EXTRA * min(1.0, 0.3 + found[i].duration_s), (i, flag), EXTRA)
        for last in range(i, min(m, i + MAX_GROUP)):
            if found[last].take != found[i].take:
                break
            fit = _fit(found, i, last, log_expected, point_s, scores)
            table.offer(last + 1, js[1:], 1, both[:-1] + fit, (i, from_flag[:-1]), MATCH)
            table.offer(last + 1, js[1:], 1, table.cost[i, 1:, 1] + fit + COST_RETAKE, (i, 1), RETAKE)
    return _backtrack(table, m, n)


def _missing(table: _Table, i: int, n: int) -> None:
    """Phrases skipped at island i (in order along the phrases, so runs of them chain)."""
    cost, back = table.cost[i], table.back[i]
    for j in range(1, n + 1):
        flag = 1 if cost[j - 1, 1] < cost[j - 1, 0] else 0
        skipped = cost[j - 1, flag] + COST_MISSING
        if skipped < cost[j, 0]:
            cost[j, 0] = skipped
            back[j, 0] = (i, j - 1, flag, MISSING)


def _backtrack(table: _Table, m: int, n: int) -> Alignment:
    kept: list[tuple[int, int] | None] = [None] * n
    retakes: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    extras: list[int] = []
    i, j, flag = m, n, int(table.cost[m, n, 1] < table.cost[m, n, 0])
    while i > 0 or j > 0:
        pi, pj, pf, action = (int(v) for v in table.back[i, j, flag])
        if action == EXTRA:
            extras.append(pi)
        elif action in (MATCH, RETAKE):
            group = (pi, i - 1)
            if kept[j - 1] is None:
                kept[j - 1] = group  # walking back: the first met is the last said
            else:
                retakes[j - 1].insert(0, group)
        i, j, flag = pi, pj, pf
    return Alignment(kept, retakes, sorted(extras))
