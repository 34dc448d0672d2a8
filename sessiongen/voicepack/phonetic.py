"""What was said, as sounds: each speech island of a take recognised by PocketSphinx (its US English
acoustic model and pronouncing dictionary ship inside the `pocketsphinx` wheel: nothing is
downloaded), with a language model made from the sheet's own text, and compared with each
phrase's words as phone sequences.

The recogniser's vocabulary is the sheet's words plus a few remarks people make between phrases
(REMARKS: "sorry", "one more time", ...), so a remark is heard as a remark rather than as the
nearest phrase. Words are compared by their phones (the dictionary's first pronunciation, stress
left out), so a word heard as a near neighbour ("rest" for "breast") still mostly agrees.

The *distance* of a stretch (a run of consecutive islands) to a phrase is the edit distance
between their phone sequences over the longer one's length: 0 said exactly as written, about 0.5
half of it (a stumble), near 1 another phrase. Only languages the bundled model covers (US
English, told by the dictionary knowing nearly all of the sheet's words) are matched this way;
for the others the spectral comparison (features.py, matching.py) is used alone.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE_HZ = 16_000  # what the acoustic model was trained on
MARGIN_S = 0.12  # room tone given to the recogniser around each island
KNOWN_SHARE = 0.9  # of the sheet's words the dictionary must know for the phonetic path to be used
REMARKS = (  # what people say between phrases, so a remark is heard as one rather than as the nearest phrase
    "sorry",
    "sorry again",
    "sorry let me say that again",
    "let me start again",
    "one more time",
    "hang on",
    "wait",
    "okay",
    "oops",
    "um",
    "uh",
    "where was i",
    "right the next one",
)
LANGUAGE_WEIGHT = 15.0  # the sheet's word order counts this much against the sounds (PocketSphinx's default: 6.5)
DISCOUNT = 0.1  # of the language model's probability left to word orders the sheet does not have
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_STRESS = re.compile(r"\d")


def words_in(text: str) -> list[str]:
    """The words of a sentence as the dictionary spells them (lower case, apostrophes kept)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _dictionary() -> dict[str, str]:
    """The bundled pronouncing dictionary: word -> its first pronunciation."""
    from pocketsphinx import get_model_path

    out: dict[str, str] = {}
    with open(get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if word and "(" not in word:
                out[word] = phones
    return out


@dataclass(frozen=True)
class Lexicon:
    """The pronunciations of the words the recogniser may hear."""

    phones: dict[str, tuple[str, ...]]

    def of(self, words: list[str]) -> list[str]:
        return [p for w in words for p in self.phones.get(w, ())]


def lexicon_for(texts: list[str]) -> Lexicon | None:
    """The sheet's words with their phones; None when the dictionary knows too few of them (a
    language other than English)."""
    wanted = {w for t in texts for w in words_in(t)}
    if not wanted:
        return None
    known = _dictionary()
    if sum(w in known for w in wanted) < KNOWN_SHARE * len(wanted):
        return None
    words = (wanted | {w for r in REMARKS for w in r.split()}) & set(known)
    return Lexicon({w: tuple(_STRESS.sub("", known[w]).split()) for w in sorted(words)})


class Recogniser:
    """A PocketSphinx decoder limited to the sheet's words and its word order (a trigram model of
    the sheet's sentences, and of their parts between commas, as they may be said apart)."""

    def __init__(self, texts: list[str], lexicon: Lexicon, **options):
        from pocketsphinx import Decoder, get_model_path
        from pocketsphinx.lm import ArpaBoLM

        self.lexicon = lexicon
        lines = []
        for text in texts:
            for part in [text, *re.split(r"[,;:]", text)]:
                words = [w for w in words_in(part) if w in lexicon.phones]
                if words:
                    lines.append(" ".join(words))
        lines += [r for r in REMARKS if all(w in lexicon.phones for w in r.split())]
        model = ArpaBoLM(text="\n".join(lines), add_start=True, discount_mass=DISCOUNT)
        model.compute()
        with tempfile.TemporaryDirectory() as folder:
            lm, dic = Path(folder) / "sheet.lm", Path(folder) / "sheet.dict"
            model.write_file(str(lm))
            dic.write_text("".join(f"{w} {' '.join(p)}\n" for w, p in lexicon.phones.items()), encoding="utf-8")
            self.decoder = Decoder(
                hmm=get_model_path("en-us/en-us"), lm=str(lm), dict=str(dic), lw=LANGUAGE_WEIGHT, loglevel="FATAL", **options
            )

    def words(self, samples: np.ndarray) -> list[str]:
        """The words heard in mono float samples at RATE_HZ."""
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        return [s.word for s in self.decoder.seg() if s.word in self.lexicon.phones]


def heard(found, paths: list[Path], recogniser: Recogniser) -> list[list[str]]:
    """The words heard in each island (split.Island, over the takes at `paths`)."""
    from sessiongen.voicepack.takes import HOP_S, cut

    out: list[list[str]] = [[] for _ in found]
    margin = int(MARGIN_S * RATE_HZ)
    for take, path in enumerate(paths):
        indices = [n for n, island in enumerate(found) if island.take == take]
        spans = [(max(0, int(found[n].start * HOP_S * RATE_HZ) - margin), int(found[n].stop * HOP_S * RATE_HZ) + margin) for n in indices]
        for k, samples in cut(path, RATE_HZ, spans):
            out[indices[k]] = recogniser.words(samples)
    return out


def distance(said: list[str], phrase: list[str]) -> tuple[float, int]:
    """(0 for the same phones to 1 for nothing in common: the edit distance over the longer's
    length; the edit distance in phones)."""
    from rapidfuzz.distance import Levenshtein

    if not phrase:
        return np.inf, 0
    edits = Levenshtein.distance(said, phrase)
    return edits / max(len(said), len(phrase)), edits


UNLIKE_SCORE = 0.8  # a match scoring this or worse (1: as unlike as another phrase) is no match: the phrase is missing


def score(found, words: list[list[str]], lexicon: Lexicon, texts: list[str], expected_s: list[float]):
    """matching.Scores from the phones heard: every group of islands against the phrases near it;
    and for each, the phones it gets wrong beyond the phrase's best group (one word too many or
    too few at a boundary counts, however long the phrase)."""
    from sessiongen.voicepack.matching import SPAN_RATIO, bands, group_ends, scored
    from sessiongen.voicepack.takes import HOP_S

    heard_phones = [lexicon.of(w) for w in words]
    phrases = [lexicon.of(words_in(t)) for t in texts]
    expected = np.asarray(expected_s, dtype=np.float64)
    near, pace = bands(found, expected)
    distances: dict[tuple[int, int], np.ndarray] = {}
    edits: dict[tuple[int, int], np.ndarray] = {}
    for i, js in enumerate(near):
        said: list[str] = []
        for k in group_ends(found, i):
            said = said + heard_phones[k]
            span_s = (found[k].stop - found[i].start) * HOP_S
            row, count = np.full(len(texts), np.inf), np.full(len(texts), np.inf)
            for j in js:
                if phrases[j] and SPAN_RATIO[0] <= span_s / max(expected[j] * pace, 0.05) <= SPAN_RATIO[1]:
                    row[j], count[j] = distance(said, phrases[j])
            if np.isfinite(row).any():
                distances[(i, k)], edits[(i, k)] = row, count
    fewest = np.min(np.stack(list(edits.values())), axis=0) if edits else np.zeros(len(texts))
    excess = {g: np.where(np.isfinite(e), e - fewest, np.inf) for g, e in edits.items()}
    return scored(distances, excess=excess, unlike=UNLIKE_SCORE)
