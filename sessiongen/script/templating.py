"""Personalisation: narration is a Jinja2 template rendered in a sandbox.

Values are passed as data and never evaluated; only declared variables may be used; attribute
access to anything starting with '_' is refused before anything is rendered. The sandbox and the
limits on the work a template may do are in script/sandbox.py.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError

from sessiongen.errors import Location, SessiongenError, suggest
from sessiongen.model.script import Say
from sessiongen.script.limits import MAX_TEMPLATE_OUTPUT_CHARS
from sessiongen.script.sandbox import CURRENT, REMOVED_FILTERS, STR_METHODS, Budget, Sandbox


@lru_cache(maxsize=1)
def environment() -> Sandbox:
    return Sandbox()


@lru_cache(maxsize=512)
def _compiled(text: str) -> Template:
    return environment().from_string(text)


def _location(where: Location | None, lines_by_file: dict[str, list[str]], template_line: int) -> Location | None:
    if where is None or template_line <= 1:
        return where
    line = where.line + template_line - 1
    lines = lines_by_file.get(where.path, [])
    return Location(where.path, line, 1, lines[line - 1] if 0 < line <= len(lines) else "")


def problems_in(text: str, where: Location | None, declared: set[str], lines_by_file: dict[str, list[str]]) -> list[SessiongenError]:
    """Everything wrong with one template, without rendering it."""
    if "{" not in text:
        return []
    try:
        tree = environment().parse(text)
    except TemplateSyntaxError as exc:
        return [SessiongenError(f"template error: {exc.message}", _location(where, lines_by_file, exc.lineno))]
    problems = [SessiongenError(message, _location(where, lines_by_file, line)) for message, line in _unsafe(tree)]
    if problems:
        return problems
    try:
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateError as exc:
        return [SessiongenError(f"template error: {exc.message}", where)]
    for name in sorted(undeclared - declared):
        problems.append(
            SessiongenError(f"unknown variable '{name}'{suggest(name, declared)}: declare it under variables: with a default", where)
        )
    return problems


_LOADING = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from", nodes.Extends: "extends"}


def _unsafe(tree) -> list[tuple[str, int]]:
    """What a script may not do: reach '_' attributes, load other templates, use unknown filters."""
    env, found = environment(), []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Test, *_LOADING)):
        if type(node) in _LOADING:
            found.append(
                (f"template error: {{% {_LOADING[type(node)]} %}} is not available: use [include NAME] for a fragment", node.lineno)
            )
        elif isinstance(node, (nodes.Filter, nodes.Test)):
            known = env.filters if isinstance(node, nodes.Filter) else env.tests
            if isinstance(node, nodes.Filter) and node.name in REMOVED_FILTERS:
                found.append((f"template refused: the filter '{node.name}' is not available in a script", node.lineno))
            elif node.name not in known:
                found.append(
                    (f"template error: No {'filter' if isinstance(node, nodes.Filter) else 'test'} named '{node.name}'.", node.lineno)
                )
            elif node.name == "attr":
                name = getattr(node.args[0], "value", None) if node.args else None
                if not isinstance(name, str) or name.startswith("_"):
                    found.append((f"template refused: access to '{name}' is not allowed", node.lineno))
        else:
            attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
            if isinstance(attr, str) and attr.startswith("_"):
                found.append((f"template refused: access to '{attr}' is not allowed", node.lineno))
            elif isinstance(attr, str) and hasattr(str, attr) and attr not in STR_METHODS and not _on_loop(node):
                found.append((f"template refused: '.{attr}' is not available in a script", node.lineno))
    return found


def _on_loop(node) -> bool:
    """`loop.index` and friends: attributes of a for loop, not of text."""
    return isinstance(node.node, nodes.Name) and node.node.name == "loop"


def check_nodes(
    script_nodes, declared: set[str], shown: str, lines: list[str], fragment_lines: dict[str, list[str]]
) -> list[SessiongenError]:
    lines_by_file = {shown: lines, **fragment_lines}
    out: list[SessiongenError] = []
    seen: set[tuple] = set()  # a repeated step is checked once
    for node in script_nodes:
        if isinstance(node, Say) and (node.text, node.where) not in seen:
            seen.add((node.text, node.where))
            out += problems_in(node.text, node.where, declared, lines_by_file)
    return out


def render(text: str, values: dict[str, str], where: Location | None = None, budget: Budget | None = None) -> str:
    """One template rendered with `values`. `budget`: the work left to the script's templates (one
    Budget for every template of a render, which also remembers what each text rendered to)."""
    if "{" not in text:
        return text
    budget = budget or Budget()
    if text in budget.rendered:
        return budget.rendered[text]
    token = CURRENT.set(budget)
    try:
        budget.rendered[text] = _bounded_output(_compiled(text), values)
        return budget.rendered[text]
    except SessiongenError as exc:
        raise SessiongenError(exc.message, where) from None
    except SecurityError as exc:
        raise SessiongenError(f"template refused: {exc}", where) from None
    except (UndefinedError, TemplateError) as exc:
        raise SessiongenError(f"template error: {exc}", where) from None
    except Exception as exc:  # a filter given odd input, a division by zero, ...
        raise SessiongenError(f"template error: {type(exc).__name__}: {exc}", where) from None
    finally:
        CURRENT.reset(token)


def _bounded_output(template: Template, values: dict[str, str]) -> str:
    """The template's output, stopped as soon as it passes MAX_TEMPLATE_OUTPUT_CHARS."""
    parts, size = [], 0
    for part in template.generate(**values):
        size += len(part)
        if size > MAX_TEMPLATE_OUTPUT_CHARS:
            raise SessiongenError(
                f"the template's text is longer than the limit of {MAX_TEMPLATE_OUTPUT_CHARS:,} characters: make it shorter"
            )
        parts.append(part)
    return "".join(parts)
