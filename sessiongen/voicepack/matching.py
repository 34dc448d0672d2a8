"""What was said where: each stretch of a take compared with the synthetic voice's reading of the
sheet's phrases, by dynamic time warping (librosa) over MFCC frames (features.py).

A *group* is a run of consecutive speech islands of one take (split.py): a candidate for one
phrase. Its distance to a phrase is the cost of the best warping of the whole synthetic reading
onto the whole group (both ends fixed, so half a phrase or a phrase and a half match badly),
per step of the path. One warping per (phrase, first island) gives the distance of every group
starting there at once. Only the phrases near an island's place in the take are tried: the
place is measured in speech time (silences left out), scaled by the reader's overall pace, with
a window wide enough for retakes and remarks (WINDOW_S, WINDOW_SHARE).

Distances are turned into *scores*: 0 is how well the phrases of this take usually match their
own reading (the median of each phrase's best), 1 how well stretches usually match a phrase they
are not (the median of all). Two voices' distances differ; their scores do not much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sessiongen.voicepack.features import FEATURE_HOP_S, normalised, offset_s
from sessiongen.voicepack.takes import HOP_S

MAX_GROUP = 8  # islands in one phrase at most
SPAN_RATIO = (0.4, 2.6)  # a group's length against the phrase's reading at the reader's pace, to be tried at all
WINDOW_S, WINDOW_SHARE = 15.0, 0.1  # phrases tried around an island's place: this many seconds of speech, plus this share of it all
DIAGONAL_WEIGHT = 2.0  # a diagonal step costs as two: every path between the same ends has the same length


@dataclass(frozen=True)
class Scores:
    """Per group (first island, last island): an array over the phrases of scores (inf where not tried)."""

    by_group: dict[tuple[int, int], np.ndarray]
    good: float  # the distance a score of 0 stands for
    wrong: float  # and a score of 1
    excess: dict[tuple[int, int], np.ndarray] | None = None  # phonetic: phones heard wrong beyond the phrase's best group
    unlike: float = np.inf  # a kept match scoring this or worse is as unlike the phrase as another phrase: reported missing

    def of(self, group: tuple[int, int]) -> np.ndarray | None:
        return self.by_group.get(group)


def frame_span(island_start: int, island_stop: int, rate_hz: int) -> tuple[int, int]:
    """Feature frames (first, stop) of a stretch given in envelope hops."""
    offset = offset_s(rate_hz)
    first = int(np.floor((island_start * HOP_S - offset) / FEATURE_HOP_S))
    stop = int(np.ceil((island_stop * HOP_S - offset) / FEATURE_HOP_S)) + 1
    return max(0, first), max(first + 1, stop)


def take_features(envelopes, found) -> list[np.ndarray]:
    """Each take's features, normalised over its speech (the islands)."""
    out = []
    for take, env in enumerate(envelopes):
        speech = np.zeros(len(env.mfcc), bool)
        for island in found:
            if island.take == take:
                a, b = frame_span(island.start, island.stop, env.rate_hz)
                speech[a:b] = True
        out.append(normalised(env.mfcc, speech))
    return out


def reference_features(readings: list[np.ndarray]) -> list[np.ndarray]:
    """The synthetic readings' features, normalised over all of them together."""
    if not readings:
        return []
    joined = normalised(np.concatenate(readings))
    edges = np.cumsum([len(r) for r in readings])[:-1]
    return np.split(joined, edges)


def _speech_places(found) -> np.ndarray:
    """Seconds of speech before each island (over all takes, in order)."""
    lengths = np.array([i.duration_s for i in found])
    return np.concatenate([[0.0], np.cumsum(lengths)])[:-1] if len(found) else np.zeros(0)


def bands(found, expected_s: np.ndarray) -> tuple[list[np.ndarray], float]:
    """For each island, the phrases to try starting there; and the overall pace (speech time
    of the take against the sheet's)."""
    places = _speech_places(found)
    total_s = float(sum(i.duration_s for i in found))
    pace = float(np.clip(total_s / max(float(expected_s.sum()), 1e-3), 0.5, 2.0))
    sheet = np.concatenate([[0.0], np.cumsum(expected_s)])[:-1] * pace
    window = WINDOW_S + WINDOW_SHARE * total_s
    return [np.flatnonzero(np.abs(sheet - place) <= window) for place in places], pace


def score(found, envelopes, readings: list[np.ndarray], expected_s: list[float]) -> Scores:
    """Every candidate group's scores against the phrases near it."""
    import librosa

    takes = take_features(envelopes, found)
    refs = reference_features(readings)
    expected = np.asarray(expected_s, dtype=np.float64)
    near, pace = bands(found, expected)
    distances: dict[tuple[int, int], np.ndarray] = {}
    weights = np.array([DIAGONAL_WEIGHT, 1.0, 1.0])
    for i, phrases in enumerate(near):
        ends = group_ends(found, i)
        if not ends or not len(phrases):
            continue
        env = envelopes[found[i].take]
        first, _ = frame_span(found[i].start, found[i].stop, env.rate_hz)
        stops = {k: frame_span(found[k].start, found[k].stop, env.rate_hz)[1] for k in ends}
        for j in phrases:
            ref = refs[j]
            span_s = [(found[k].stop - found[i].start) * HOP_S / max(expected[j] * pace, 0.05) for k in ends]
            tried = [k for k, r in zip(ends, span_s) if SPAN_RATIO[0] <= r <= SPAN_RATIO[1]]
            if not tried or not len(ref):
                continue
            window = takes[found[i].take][first : max(stops[k] for k in tried)]
            if not len(window):
                continue
            cost = librosa.sequence.dtw(C=np.maximum(1.0 - ref @ window.T, 0.0), weights_mul=weights, backtrack=False)
            for k in tried:
                b = min(stops[k], first + len(window)) - first - 1
                distances.setdefault((i, k), np.full(len(expected), np.inf))[j] = cost[-1, b] / (len(ref) + b + 1)
    return scored(distances)


def group_ends(found, i: int) -> list[int]:
    ends = []
    for k in range(i, min(len(found), i + MAX_GROUP)):
        if found[k].take != found[i].take:
            break
        ends.append(k)
    return ends


def scored(distances: dict[tuple[int, int], np.ndarray], **more) -> Scores:
    if not distances:
        return Scores({}, 0.0, 1.0, **more)
    table = np.stack(list(distances.values()))
    best = np.min(table, axis=0)
    good = float(np.median(best[np.isfinite(best)])) if np.isfinite(best).any() else 0.0
    finite = table[np.isfinite(table)]
    wrong = float(np.median(finite)) if finite.size else good + 1.0
    wrong = max(wrong, good + 1e-3)
    return Scores({g: (d - good) / (wrong - good) for g, d in distances.items()}, good, wrong, **more)


def synthetic_readings(pack, settings) -> list[np.ndarray]:
    """The features of the synthetic voice's reading of every phrase of the pack, in the voice and
    at the rate its sheet was made with (from the phrase cache: spoken again only if it lacks them)."""
    import soundfile as sf

    from sessiongen.speech import get_engine
    from sessiongen.speech.cache import PhraseCache, default_root
    from sessiongen.speech.clips import Speaker
    from sessiongen.voicepack.features import mfcc

    voiced = settings.but(voice=pack.voice_id or pack.voice or None, rate_wpm=pack.rate_wpm or None)
    speaker = Speaker(get_engine(pack.engine or settings.engine), PhraseCache(default_root(), settings.sample_rate_hz), voiced)
    clips = speaker.clips({p.text: (p.text, None) for p in pack.phrases})
    return [mfcc(sf.read(clips[p.text].path, dtype="float32")[0], settings.sample_rate_hz) for p in pack.phrases]


@dataclass(frozen=True)
class Confidence:
    """How sure the match of one phrase is: its score, the nearest rival (another phrase for the same
    audio, or another place in the take for the same phrase) and the margin to it."""

    score: float
    margin: float
    rival_phrase: int | None  # index into the phrases, when the rival is another phrase
    rival_group: tuple[int, int] | None  # when it is another place

    @property
    def value(self) -> float:
        """0 (a guess) to 1 (sure): the margin to the rival, against MARGIN_SURE, less for a weak score."""
        weak = float(np.clip((self.score - WEAK_SCORE / 2) / (WEAK_SCORE / 2), 0.0, 1.0))
        return float(np.clip(self.margin / MARGIN_SURE, 0.0, 1.0) * (1.0 - 0.5 * weak))

    @property
    def doubtful(self) -> bool:
        return self.score > WEAK_SCORE or self.margin < MARGIN_CHECK


WEAK_SCORE = 0.6  # a match scoring worse than this is doubtful on its own
MARGIN_CHECK = 0.25  # a rival scoring within this of the match makes it doubtful
MARGIN_SURE = 0.6


NEIGHBOURS = 2  # phrases either side of a match that could have been said instead (a shift in the order)


def confidence(scores: Scores, group: tuple[int, int], phrase: int, left_out: list[tuple[int, int]], slot: tuple[int, int]) -> Confidence:
    """The confidence of `group` as `phrase`: against the neighbouring phrases for the same audio,
    and against the other stretches of its slot (the islands between the phrases kept before and
    after it) for the same phrase; `left_out`: the phrase's earlier takes (not rivals)."""
    own_row = scores.of(group)
    own = float(own_row[phrase]) if own_row is not None else np.inf
    near = [j for j in range(phrase - NEIGHBOURS, phrase + NEIGHBOURS + 1) if j != phrase and own_row is not None and 0 <= j < len(own_row)]
    rival_phrase = min(near, key=lambda j: own_row[j], default=None)
    best_other = float(own_row[rival_phrase]) if rival_phrase is not None else np.inf
    rival_group, best_place = None, np.inf
    for other, row in scores.by_group.items():
        apart = other[1] < group[0] or other[0] > group[1]
        if (
            apart
            and slot[0] < other[0]
            and other[1] < slot[1]
            and row[phrase] < best_place
            and not any(other[0] <= b and other[1] >= a for a, b in left_out)
        ):
            rival_group, best_place = other, float(row[phrase])
    if best_place < best_other:
        return Confidence(own, best_place - own, None, rival_group)
    return Confidence(own, best_other - own, rival_phrase, None)


USABLE_PHONETIC = 0.45  # the phonetic comparison is used when the phrases' best matches differ from them by at most this (median)


@dataclass(frozen=True)
class Said:
    """What the matcher found was said: the scores, how they were made, and (phonetic) the words heard per island."""

    scores: Scores
    method: str  # "phonetic" or "spectral"
    words: list[list[str]] | None = None

    def heard(self, group: tuple[int, int]) -> dict:
        """For the report: how the phrase was matched and, phonetic, the words heard in its audio."""
        if self.words is None:
            return {"by": self.method}
        return {"by": self.method, "heard": " ".join(w for k in range(group[0], group[1] + 1) for w in self.words[k])}


def what_was_said(pack, found, envelopes, settings) -> Said:
    """The phonetic comparison (phonetic.py) where the sheet's language has a model and the
    recogniser hears this take's phrases; otherwise the spectral one (MFCC against the synthetic
    voice's readings)."""
    from sessiongen.voicepack import phonetic

    texts, expected = [p.text for p in pack.phrases], [p.expected_s for p in pack.phrases]
    lexicon = phonetic.lexicon_for(texts) if found else None
    if lexicon is not None:
        words = phonetic.heard(found, [e.path for e in envelopes], phonetic.Recogniser(texts, lexicon))
        scores = phonetic.score(found, words, lexicon, texts, expected)
        if scores.by_group and scores.good <= USABLE_PHONETIC:
            return Said(scores, "phonetic", words)
    return Said(score(found, envelopes, synthetic_readings(pack, settings), expected), "spectral")
