"""Script -> Script: narration templates rendered with the listener's values, split into sentences."""

from __future__ import annotations

import re
from dataclasses import replace

from sessiongen.errors import SessiongenError, suggest
from sessiongen.model.script import Say, Script
from sessiongen.script import templating

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(\s+)(?=[\"'“‘(]*[A-Z0-9])")
MAX_VALUE_CHARS = 500


def values_for(script: Script, given: dict[str, str]) -> dict[str, str]:
    """Front-matter defaults overlaid with the given values; unknown names are an error."""
    defaults = script.meta.defaults
    for name, value in given.items():
        if name not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise SessiongenError(f"unknown variable '{name}'{suggest(name, defaults)}: this script takes {known}")
        if len(value) > MAX_VALUE_CHARS:
            raise SessiongenError(f"the value of '{name}' is longer than {MAX_VALUE_CHARS} characters")
    return {**defaults, **given}


def split_sentences(text: str) -> list[str]:
    """Split after . ! ? or … (and any closing quote) where the next sentence starts a capital."""
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.start(1)])
        start = match.end(1)
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def personalise(script: Script, given: dict[str, str] | None = None) -> Script:
    values = values_for(script, given or {})
    out = []
    for node in script.nodes:
        if not isinstance(node, Say):
            out.append(node)
            continue
        text = " ".join(templating.render(node.text, values, node.where).split())
        sentences = split_sentences(text)
        for index, sentence in enumerate(sentences):
            last = index == len(sentences) - 1
            out.append(replace(node, text=sentence, paragraph_end=node.paragraph_end and last))
    return replace(script, nodes=tuple(out))
