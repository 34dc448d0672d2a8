"""The template sandbox: Jinja2's SandboxedEnvironment with every way to ask for work bounded.

- arithmetic (`*`, `**`, `+`, ...) is intercepted: a text or list repeated or joined past
  MAX_TEMPLATE_OUTPUT_CHARS, and a number past MAX_TEMPLATE_NUMBER, are refused before they are
  made; `%` formatting of text is refused (its widths would be unbounded);
- `range` is bounded, and every loop turn, call, filter and operation is a step of a budget shared
  by all of a script's templates (MAX_TEMPLATE_STEPS, MAX_TEMPLATE_BUILT_CHARS, and a time limit);
  loops and `~` are rewritten in the parsed tree to pass through that budget;
- the globals are `range` alone (no lipsum, cycler, joiner, namespace, dict); filters that pad or
  format text to a width, or are random, are gone; text has only the methods in STR_METHODS;
- only text and numbers can be spoken: anything else in `{{ }}` is an error, never its repr.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator
from contextvars import ContextVar

from jinja2 import StrictUndefined, Undefined, nodes
from jinja2.filters import make_attrgetter
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from sessiongen.errors import SessiongenError
from sessiongen.script.limits import (
    MAX_TEMPLATE_BUILT_CHARS,
    MAX_TEMPLATE_NUMBER,
    MAX_TEMPLATE_OUTPUT_CHARS,
    MAX_TEMPLATE_RANGE,
    MAX_TEMPLATE_SECONDS,
    MAX_TEMPLATE_STEPS,
)

LOOP_FILTER = "sessiongen_loop"  # wraps every {% for %}'s iterable
CONCAT_FILTER = "sessiongen_concat"  # replaces every `a ~ b`
REMOVED_FILTERS = frozenset({"batch", "center", "format", "indent", "pprint", "random", "slice", "tojson", "urlize", "wordwrap", "xmlattr"})
STR_METHODS = frozenset(
    {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "isalnum",
        "isalpha",
        "isdigit",
        "islower",
        "isspace",
        "istitle",
        "isupper",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
    }
)


class TemplateLimit(SessiongenError):
    """A template asked for more than a limit allows."""


class Budget:
    """The work all the templates of one script may do, spent step by step as they render."""

    def __init__(self):
        self.steps = 0
        self.built_chars = 0
        self.deadline = time.monotonic() + MAX_TEMPLATE_SECONDS
        self.rendered: dict[str, str] = {}  # template text -> output, for the values of this render

    def step(self, built_chars: int = 0) -> None:
        self.steps += 1
        self.built_chars += built_chars
        if self.steps > MAX_TEMPLATE_STEPS:
            raise TemplateLimit(
                f"the templates take more than the limit of {MAX_TEMPLATE_STEPS:,} steps (loop turns, calls and operations): simplify their loops"
            )
        if self.built_chars > MAX_TEMPLATE_BUILT_CHARS:
            raise TemplateLimit(
                f"the templates build more than the limit of {MAX_TEMPLATE_BUILT_CHARS:,} characters of text: simplify them"
            )
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"the templates take longer than the limit of {MAX_TEMPLATE_SECONDS:g} s to render: simplify their loops")


CURRENT: ContextVar[Budget | None] = ContextVar("sessiongen_template_budget", default=None)


def _budget() -> Budget:
    """The render's budget; a throw-away one when Jinja folds a constant while compiling."""
    return CURRENT.get() or Budget()


def _size(value) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict, set, frozenset)) else 0


def _bounded_size(size: int, what: str) -> int:
    if size > MAX_TEMPLATE_OUTPUT_CHARS:
        raise TemplateLimit(
            f"{what} would make {size:,} characters (or list items), more than the limit of {MAX_TEMPLATE_OUTPUT_CHARS:,}: make it shorter"
        )
    return size


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bounded_number(value, what: str):
    if _is_number(value) and not (math.isfinite(value) and abs(value) <= MAX_TEMPLATE_NUMBER):
        raise TemplateLimit(f"{what} gives a number beyond the limit of {MAX_TEMPLATE_NUMBER:,}: use smaller numbers")
    return value


def _check_arguments(values, what: str) -> None:
    for value in values:
        _bounded_number(value, what)
        _bounded_size(_size(value), what)


def _materialised(value, what: str):
    """An iterator's items as a list, stopping at the size limit; anything else unchanged."""
    if not isinstance(value, Iterator):
        return value
    items = []
    for item in value:
        items.append(item)
        _bounded_size(len(items), what)
    return items


def _replaced_size(text, old, new, count) -> int:
    text, old, new = str(text), str(old), str(new)
    times = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        times = min(times, count)
    return len(text) + times * (len(new) - len(old))


def _guarded(function, name: str):
    """A filter whose arguments, input and result are bounded, each use one step."""
    offset = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0  # context or environment first
    what = f"the filter '{name}'"

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        budget = _budget()
        _check_arguments([*args[offset + 1 :], *kwargs.values()], what)
        if len(args) > offset:
            args = (*args[:offset], _materialised(args[offset], what), *args[offset + 1 :])
        if name == "replace" and len(args) > offset + 2:
            _bounded_size(
                _replaced_size(*args[offset : offset + 3], args[offset + 3] if len(args) > offset + 3 else kwargs.get("count")), what
            )
        if name == "join" and len(args) > offset:
            _check_join(args, kwargs, offset, what)
        result = function(*args, **kwargs)
        budget.step(_bounded_size(_size(result), what))
        return result

    return guarded


def _check_join(args, kwargs, offset: int, what: str) -> None:
    items, separator = args[offset], (args[offset + 1] if len(args) > offset + 1 else kwargs.get("d", ""))
    attribute = args[offset + 2] if len(args) > offset + 2 else kwargs.get("attribute")
    if attribute is not None and offset:
        items = [make_attrgetter(args[0].environment, attribute)(item) for item in items]
    if isinstance(items, (list, tuple, str)):
        _bounded_size(sum(len(str(item)) for item in items) + len(str(separator)) * max(0, len(items) - 1), what)


def _loop(iterable):
    """A loop's iterable, one step a turn."""
    budget = _budget()
    for item in iterable:
        budget.step()
        yield item


def _concat(parts) -> str:
    """`a ~ b ~ c`, its size checked before it is made."""
    texts = [str(part) for part in parts]
    _budget().step(_bounded_size(sum(map(len, texts)), "joining text with ~"))
    return "".join(texts)


def _range(*args):
    _check_arguments(args, "range()")
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_TEMPLATE_RANGE + 1
    if count > MAX_TEMPLATE_RANGE:
        raise TemplateLimit(f"range() of more than the limit of {MAX_TEMPLATE_RANGE:,} numbers: use a smaller range")
    return numbers


def _speakable(value):
    """`finalize`: what a `{{ }}` may put into narration."""
    if isinstance(value, (str, Undefined)):
        return value
    if _is_number(value):
        return _bounded_number(value, "the template")
    shown = "True or False" if isinstance(value, bool) else "none" if value is None else f"a {type(value).__name__}"
    raise SessiongenError(f"template error: only text and numbers can be spoken, not {shown}")


def _check_operation(operator: str, left, right, what: str) -> None:
    """Refuse an operation whose result would pass a limit, before it is computed."""
    if operator == "%" and isinstance(left, str):
        raise SessiongenError("template refused: '%' formatting of text is not available: write {{ value }} in the text")
    numbers = _is_number(left) and _is_number(right)
    if operator == "**" and numbers and abs(left) > 1 and right > 0 and right * math.log10(abs(left)) > math.log10(MAX_TEMPLATE_NUMBER):
        _bounded_number(math.inf, what)
    if operator == "*" and (_size(left) or _size(right)):
        count = right if _size(left) else left
        if _is_number(count):
            _bounded_size(max(_size(left), _size(right)) * max(0, int(count)), what)
    if operator == "+" and _size(left) and _size(right):
        _bounded_size(_size(left) + _size(right), what)


class _Bounding(NodeTransformer):
    """Loops and `~` rewritten to pass through the budget."""

    def visit_For(self, node):
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node):
        node = self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER, [], [], None, None, lineno=node.lineno)


class Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self):
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, finalize=_speakable)
        self.globals.clear()
        self.globals["range"] = _range
        self.filters = {name: _guarded(f, name) for name, f in self.filters.items() if name not in REMOVED_FILTERS}
        self.filters[LOOP_FILTER], self.filters[CONCAT_FILTER] = _loop, _concat

    def _parse(self, source, name, filename):
        tree = _Bounding().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str):
            return attr in STR_METHODS
        return not isinstance(obj, (int, float))

    def wrap_str_format(self, value):
        return None  # str.format is not in STR_METHODS: its widths would be unbounded

    def call_binop(self, context, operator, left, right):
        what = f"'{operator}'"
        _check_operation(operator, left, right, what)
        result = self.binop_table[operator](left, right)
        _budget().step(_bounded_size(_size(result), what))
        return _bounded_number(result, what)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        what = f"calling {getattr(__obj, '__name__', 'a function')}()"
        _check_arguments([*args, *kwargs.values()], what)
        if getattr(__obj, "__name__", "") == "replace" and isinstance(getattr(__obj, "__self__", None), str) and len(args) >= 2:
            _bounded_size(_replaced_size(__obj.__self__, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count")), what)
        result = super().call(__context, __obj, *args, **kwargs)
        _budget().step(_bounded_size(_size(result), what))
        return result
