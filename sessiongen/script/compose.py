"""Composition: several techniques as one session (`a+b+c`, or a session file listing them).

The result has one safety opening (the first technique's), one close (the last technique's), one
chapter per technique, and a gentle spoken transition with a bell between techniques.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sessiongen.errors import SessiongenError
from sessiongen.model.script import Bell, Chapter, Meta, Node, Pause, Say, Script
from sessiongen.script import parser, yamlfile
from sessiongen.script.library import primary_language, resolve_script
from sessiongen.script.limits import MAX_STEPS
from sessiongen.speech import pronounce
from sessiongen.speech.engine import language_tag
from sessiongen.words import words_of

OPENING_FRAGMENTS = frozenset({"safety-opening"})  # kept once, at the start
ONCE_FRAGMENTS = frozenset({"headphone-note"})  # kept once, where it first appears
CLOSING_FRAGMENTS = frozenset({"reorienting-close"})  # kept once, at the end
SESSION_SUFFIXES = (".yaml", ".yml")
ESTIMATE_WPM = 140  # only to estimate the nominal length of what composition leaves out
MAX_TECHNIQUES = 12


def load(ref: str, language: str | None = None) -> Script:
    """A script, a `+` composition of library ids or script paths, or a session file; library ids
    are looked up in `language` (None: the library's own, English), and every script must be in it."""
    if Path(ref).suffix.lower() in SESSION_SUFFIXES:
        title, refs = _read_session_file(Path(ref))
        return compose([_one(r, language) for r in refs], title)
    if "+" in ref:
        refs = [r.strip() for r in ref.split("+")]
        if any(not r for r in refs):
            raise SessiongenError(f"'{ref}': join technique ids with '+', e.g. orienting-to-the-room+safe-place")
        return compose([_one(r, language) for r in refs])
    return _one(ref, language)


def _one(ref: str, language: str | None) -> Script:
    script = parser.parse_file(resolve_script(ref, language))
    if language is not None and primary_language(script.meta.language) != primary_language(language):
        raise SessiongenError(
            f"{ref} is written in '{script.meta.language}', but the session asks for '{language}': "
            f"use a script in '{language}', or leave out the language"
        )
    return script


def _read_session_file(path: Path) -> tuple[str | None, list[str]]:
    data = yamlfile.read(path)
    techniques = data.get("techniques") if isinstance(data, dict) else None
    if not isinstance(techniques, list) or not techniques or not all(isinstance(t, str) for t in techniques):
        raise SessiongenError(f"{path}: a session file needs 'techniques:' with a list of technique ids or script paths")
    folder = path.parent
    refs = [str(folder / t) if t.endswith(".md") and not Path(t).is_absolute() else t for t in techniques]
    title = data.get("title")
    return (str(title) if title else None), refs


def compose(scripts: list[Script], title: str | None = None) -> Script:
    if len(scripts) == 1:
        return scripts[0]
    if len(scripts) > MAX_TECHNIQUES:
        raise SessiongenError(f"a session can join at most {MAX_TECHNIQUES} techniques")
    nodes: list[Node] = []
    left_out_s = 0.0
    seen: set[str] = set()
    for index, script in enumerate(scripts):
        first, last = index == 0, index == len(scripts) - 1
        kept, dropped = _trim(script.nodes, keep_opening=first, keep_close=last, seen=seen)
        left_out_s += _estimate_s(dropped)
        if not first:
            nodes += _transition(script.meta)
        nodes += _one_chapter(kept, script.meta.title)
    if len(nodes) > MAX_STEPS:
        raise SessiongenError(f"the session expands to more than the limit of {MAX_STEPS:,} steps: join fewer or shorter techniques")
    meta = _merged_meta([s.meta for s in scripts], title, left_out_s)
    sources = tuple(dict.fromkeys(src for s in scripts for src in s.sources))
    return Script(
        meta=meta,
        nodes=tuple(nodes),
        path="+".join(s.path for s in scripts),
        sources=sources,
        notes=tuple(note for s in scripts for note in s.notes),
    )


def _trim(nodes, *, keep_opening: bool, keep_close: bool, seen: set[str]) -> tuple[list[Node], list[Node]]:
    kept, dropped = [], []
    before = set(seen)
    for node in nodes:
        drop = (
            (node.fragment in OPENING_FRAGMENTS and not keep_opening)
            or (node.fragment in CLOSING_FRAGMENTS and not keep_close)
            or (node.fragment in ONCE_FRAGMENTS and node.fragment in before)
        )
        if node.fragment in ONCE_FRAGMENTS:
            seen.add(node.fragment)
        (dropped if drop else kept).append(node)
    return kept, dropped


def _one_chapter(nodes: list[Node], title: str) -> list[Node]:
    """The technique's own headings give way to one chapter named after it, starting at its first
    node outside the shared opening and close (which keep their own chapters)."""
    out: list[Node] = []
    started = False
    for node in nodes:
        if node.fragment in OPENING_FRAGMENTS | CLOSING_FRAGMENTS:
            out.append(node)
        elif isinstance(node, Chapter):
            if not started:
                out.append(replace(node, title=title))
            started = True
        else:
            if not started:
                out.append(Chapter(title=title))
            started = True
            out.append(node)
    return out


def _transition(meta: Meta) -> list[Node]:
    return [
        Pause(min_s=3.0, max_s=3.0),
        Bell(),
        Say(text=words_of(meta).transition.format(title=meta.title), paragraph_end=True),
        Pause(min_s=4.0, max_s=4.0),
    ]


def _estimate_s(nodes: list[Node]) -> float:
    words = sum(len(n.text.split()) for n in nodes if isinstance(n, Say))
    pauses_s = sum((n.min_s + n.max_s) / 2 for n in nodes if isinstance(n, Pause))
    return words * 60.0 / ESTIMATE_WPM + pauses_s


def _merged_meta(metas: list[Meta], title: str | None, left_out_s: float) -> Meta:
    languages = list(dict.fromkeys(language_tag(m.language) for m in metas))
    if len(languages) > 1:
        raise SessiongenError(
            f"the scripts of a composition must share one language, not {' and '.join(languages)}: one voice speaks the whole session"
        )
    variables: dict[str, str] = {}
    cautions: list[str] = []
    for meta in metas:
        for name, default in meta.variables:
            variables.setdefault(name, default)
        cautions += [c for c in meta.cautions if c not in cautions]
    categories = list(dict.fromkeys(m.category for m in metas))
    return Meta(
        id="+".join(m.id for m in metas),
        title=title or " + ".join(m.title for m in metas),
        category=categories[0] if len(categories) == 1 else "composed",
        summary=" Then: ".join(m.summary for m in metas),
        duration_s=max(60.0, sum(m.duration_s for m in metas) - left_out_s),
        cautions=tuple(cautions),
        variables=tuple(variables.items()),
        ambience=metas[0].ambience,
        language=metas[0].language,
        pronunciations=pronounce.merged(*(m.pronunciations for m in metas)),
    )
