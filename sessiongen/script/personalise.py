"""Script -> Script: narration templates rendered with the listener's values, split into sentences."""

from __future__ import annotations

from dataclasses import replace

from sessiongen.errors import ScriptError, SessiongenError, suggest
from sessiongen.model.script import Say, Script
from sessiongen.script import speakable, templating
from sessiongen.script.limits import MAX_VALUE_CHARS
from sessiongen.script.sandbox import Budget
from sessiongen.script.speakable import split_sentences
from sessiongen.words import anchor_in

__all__ = ["MAX_VALUE_CHARS", "personalise", "split_sentences", "values_for"]


def values_for(script: Script, given: dict[str, str]) -> dict[str, str]:
    """Front-matter defaults overlaid with the given values; unknown names are an error."""
    defaults = script.meta.defaults
    for name, value in given.items():
        if name not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise SessiongenError(f"unknown variable '{name}'{suggest(name, defaults)}: this script takes {known}")
        if len(value) > MAX_VALUE_CHARS:
            raise SessiongenError(
                f"the value of '{name}' is {len(value):,} characters, longer than the limit of {MAX_VALUE_CHARS}: shorten it"
            )
    if "anchor" in given:  # a profile's short anchor ("feet") is said in the script's language
        given = {**given, "anchor": anchor_in(given["anchor"], script.meta.language)}
    return {**defaults, **given}


def personalise(script: Script, given: dict[str, str] | None = None) -> Script:
    """Every template rendered (all of them within one template Budget), then split into
    sentences; a word or sentence over its limit once rendered is an error at its line."""
    values = values_for(script, given or {})
    return replace(script, nodes=tuple(rendered_nodes(script.nodes, values)))


def rehearse(nodes, values: dict[str, str]) -> None:
    """Render every template as a render would (`check`: with the script's own defaults), so that
    a template bomb is found by `check` with the same line as by `plan` and `render`."""
    try:
        rendered_nodes(nodes, values)
    except SessiongenError as exc:
        raise ScriptError([exc]) from None


def rendered_nodes(nodes, values: dict[str, str]) -> list:
    budget = Budget()
    out = []
    for node in nodes:
        if not isinstance(node, Say):
            out.append(node)
            continue
        text = " ".join(templating.render(node.text, values, node.where, budget).split())
        too_long = speakable.problem(text, node.where)
        if too_long is not None:
            raise too_long
        sentences = split_sentences(text)
        for index, sentence in enumerate(sentences):
            last = index == len(sentences) - 1
            out.append(replace(node, text=sentence, paragraph_end=node.paragraph_end and last))
    return out
