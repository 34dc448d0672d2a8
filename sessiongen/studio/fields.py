"""The studio's form fields made from the option specification: what input each option gets
(a checkbox, a number with its range and step, a list of choices, text), for the templates'
`option_field` macro. The label, range and step are the specification's, so the form cannot
drift from what the library accepts."""

from __future__ import annotations

from sessiongen import options
from sessiongen.options.kinds import Choice, Flag, Number, Pronunciations

STUDIO_OPTIONS = tuple(o for o in options.OPTIONS if options.STUDIO in o.fronts)


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def widget(option: options.Option) -> dict:
    """{"type": "check" | "number" | "select" | "textarea" | "text", and what that input needs}."""
    kind = option.kind
    if isinstance(kind, Flag):
        return {"type": "check"}
    if isinstance(kind, Number):
        return {
            "type": "number",
            "min": _show(kind.lo),
            "max": _show(kind.hi),
            "step": _show(kind.step) if kind.step else "any",
            "placeholder": "" if option.default is None else _show(option.default),
        }
    if isinstance(kind, Choice):
        return {"type": "select", "choices": [str(c) for c in kind.choices()]}
    if isinstance(kind, Pronunciations):
        return {"type": "textarea"}
    return {"type": "text"}


def template_globals() -> dict:
    """What the templates use to draw an option's field: `spec.rate`, `widget(spec.rate)`."""
    return {"spec": options.BY_NAME, "widget": widget}
