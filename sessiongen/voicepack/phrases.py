"""The phrases a clinician records: every sentence the voice may say in the pack's scripts.

A phrase is a sentence of narration as the speech stage keys it (text after personalisation),
or one of the fixed cue words (breathing cues, the headphone check, the speaker-version notes).
A sentence that changes with a client's values (a name, a safe place) is *personal*: the sheet
prints its neutral variant (the script's default values, e.g. "your feet on the floor"), and how
it is spoken for a client is the pack's choice for it (PERSONAL_MODES).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, replace

from sessiongen.model.script import Bls, BlsOn, Chapter, HeadphoneCheck, Pause, Say, Script
from sessiongen.plan import breathing_words
from sessiongen.script import templating
from sessiongen.script.personalise import personalise, values_for
from sessiongen.script.speakable import split_sentences
from sessiongen.words import words_of

PERSONAL_MODES = ("neutral", "synthetic")  # the recorded neutral variant for every client, or the synthetic voice
_PROBE = "Zqxv"  # a value no script's default is: sentences that change with it carry personal values


def text_hash(text: str) -> str:
    """sha256 of the text as spoken (whitespace folded, Unicode NFC): what a recording is of."""
    folded = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Phrase:
    id: int  # 1, 2, 3, ... in the order of the sheet
    text: str  # what is recorded: the sentence, or a personal sentence's neutral variant
    where: str  # "Box Breathing · The Square"
    personal: bool = False
    template: str = ""  # a personal phrase's template (the script's text before personalising)
    mode: str = ""  # a personal phrase: one of PERSONAL_MODES
    pause_after_s: float = 0.0  # the silence that follows it in the session (its shortest)
    expected_s: float = 0.0  # its length with the synthetic voice

    @property
    def hash(self) -> str:
        return text_hash(self.text)

    def as_dict(self) -> dict:
        out = {
            "id": self.id,
            "text": self.text,
            "text_sha256": self.hash,
            "where": self.where,
            "expected_s": round(self.expected_s, 3),
            "pause_after_s": round(self.pause_after_s, 3),
            "personal": self.personal,
        }
        if self.personal:
            out.update(template=self.template, template_sha256=text_hash(self.template), mode=self.mode)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Phrase:
        return cls(
            int(data["id"]),
            str(data["text"]),
            str(data.get("where", "")),
            bool(data.get("personal")),
            str(data.get("template", "")),
            str(data.get("mode", "")),
            float(data.get("pause_after_s", 0.0)),
            float(data.get("expected_s", 0.0)),
        )


def _sentences(text: str, values: dict[str, str]) -> list[str]:
    return split_sentences(" ".join(templating.render(text, values).split()))


def node_sentences(node: Say, defaults: dict[str, str]) -> list[tuple[str, bool]]:
    """(neutral sentence, personal?) for one narration node: a sentence is personal when it
    changes with the values (all of a node's sentences when their number changes)."""
    neutral = _sentences(node.text, defaults)
    if "{" not in node.text:
        return [(s, False) for s in neutral]
    probed = _sentences(node.text, {name: _PROBE for name in defaults})
    if len(probed) != len(neutral):
        return [(s, True) for s in neutral]
    return [(s, s != p) for s, p in zip(neutral, probed)]


def _pause_after(nodes, index: int) -> float:
    following = nodes[index + 1] if index + 1 < len(nodes) else None
    return following.min_s if isinstance(following, Pause) else 0.0


def script_phrases(script: Script, personal_mode: str = "neutral") -> list[Phrase]:
    """The phrases of one script in the order they are first said (ids not yet numbered: 0)."""
    defaults = values_for(script, {})
    chapter, out = "", []
    for index, node in enumerate(script.nodes):
        if isinstance(node, Chapter):
            chapter = node.title
        if not isinstance(node, Say):
            continue
        where = " · ".join(filter(None, [script.meta.title, chapter]))
        said = node_sentences(node, defaults)
        for n, (sentence, personal) in enumerate(said):
            pause = _pause_after(script.nodes, index) if n == len(said) - 1 else 0.0
            out.append(Phrase(0, sentence, where, personal, node.text if personal else "", personal_mode if personal else "", pause))
    return out + [Phrase(0, text, f"{script.meta.title} · {what}") for text, what in _cue_words(script)]


def _cue_words(script: Script) -> list[tuple[str, str]]:
    nodes, said = script.nodes, words_of(script.meta)
    words = []
    words += [(t, "breathing cue") for t in breathing_words(script)]
    if any(isinstance(n, HeadphoneCheck) for n in nodes):
        words += [(t, "headphone check") for t in said.headphone] + [(said.mono_check, "speaker version only")]
    if any(isinstance(n, (Bls, BlsOn)) for n in nodes):
        words.append((said.mono_notice, "speaker version only"))
    return words


def pack_phrases(scripts: list[Script], personal_mode: str = "neutral") -> list[Phrase]:
    """Every script's phrases, each text once, numbered from 1."""
    seen, out = set(), []
    for script in scripts:
        for phrase in script_phrases(script, personal_mode):
            if phrase.hash not in seen:
                seen.add(phrase.hash)
                out.append(replace(phrase, id=len(out) + 1))
    return out


def voiced_script(script: Script, values: dict[str, str], modes: dict[str, str]) -> tuple[Script, list[str], dict[str, str]]:
    """The script personalised for a client, with each personal sentence the pack speaks in its
    neutral variant put back to that variant (`modes`: neutral text hash -> mode); and the
    neutral texts so spoken; and the client's sentences the synthetic voice says by the pack's
    choice (-> the neutral text's hash). A node whose number of sentences changes with the client's values
    keeps the client's sentences (they are then not in the pack, and said so)."""
    personal = personalise(script, values)  # every check of the ordinary path, and the client's sentences
    defaults, given = values_for(script, {}), values_for(script, values)
    swap, chosen = {}, {}
    for node in script.nodes:
        if not isinstance(node, Say) or "{" not in node.text:
            continue
        said, neutral = _sentences(node.text, given), node_sentences(node, defaults)
        if len(said) != len(neutral):
            continue
        for client, (plain, is_personal) in zip(said, neutral):
            if is_personal and modes.get(text_hash(plain)) == "neutral":
                swap[client] = plain
            elif is_personal and modes.get(text_hash(plain)) == "synthetic":
                chosen[client] = text_hash(plain)
    nodes = tuple(replace(n, text=swap[n.text]) if isinstance(n, Say) and n.text in swap else n for n in personal.nodes)
    return replace(personal, nodes=nodes), sorted({t for c, t in swap.items() if c != t}), chosen
