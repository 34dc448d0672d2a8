"""Personalisation runs in a sandbox: values are data, scripts cannot reach Python internals."""

from __future__ import annotations

import pytest

from sessiongen.errors import ScriptError, SessiongenError
from sessiongen.model.script import Say
from sessiongen.script import parser
from sessiongen.script.personalise import personalise, split_sentences

HEAD = '---\nid: t\ntitle: T\ncategory: grounding\nsummary: s\nduration: 1m\nvariables:\n  name: ""\n  place: "a quiet beach"\n---\n'


def spoken(text: str, **values) -> list[str]:
    return [n.text for n in personalise(parser.parse_text(HEAD + text), values).nodes if isinstance(n, Say)]


def test_defaults_render_without_any_values():
    assert spoken("Welcome{% if name %}, {{ name }}{% endif %}. Picture {{ place }}.") == ["Welcome.", "Picture a quiet beach."]


def test_values_override_defaults():
    assert spoken("Welcome{% if name %}, {{ name }}{% endif %}.", name="Sam") == ["Welcome, Sam."]


def test_a_value_that_looks_like_template_code_is_spoken_literally():
    assert spoken("Hello {{ name }}", name="{{ 7*7 }}") == ["Hello {{ 7*7 }}"]
    assert spoken("Hello {{ name }}", name="{% for x in range(9) %}x{% endfor %}") == ["Hello {% for x in range(9) %}x{% endfor %}"]


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ name.__class__.__mro__ }}",
        "{{ name['__class__'] }}",
        "{{ place._private }}",
    ],
)
def test_access_to_internals_is_refused_when_checked(template):
    with pytest.raises(ScriptError, match="template refused"):
        parser.parse_text(HEAD + template)


def test_sandbox_refuses_at_render_time_too():
    from sessiongen.script import templating

    with pytest.raises(SessiongenError, match="template refused"):
        templating.render("{{ x.__class__ }}", {"x": ""})
    with pytest.raises(SessiongenError, match="template refused"):
        templating.render("{{ x.mro() }}", {"x": str})


def test_unknown_variable_on_the_command_line_names_it_and_suggests():
    script = parser.parse_text(HEAD + "Hello.")
    with pytest.raises(SessiongenError, match=r"unknown variable 'nmae' \(did you mean 'name'\?\)"):
        personalise(script, {"nmae": "Sam"})


def test_unknown_variable_in_the_script_is_an_error_naming_it():
    with pytest.raises(ScriptError, match="unknown variable 'plaec'"):
        parser.parse_text(HEAD + "Picture {{ plaec }}.")


def test_sentences_are_split_after_personalising():
    assert split_sentences('Breathe in... and out. Now rest! Ready? "Yes." Fine') == [
        "Breathe in... and out.",
        "Now rest!",
        "Ready?",
        '"Yes."',
        "Fine",
    ]


def test_a_value_that_looks_like_a_directive_is_spoken_not_parsed():
    script = personalise(parser.parse_text(HEAD + "Hello {{ name }}."), {"name": "[pause 5s] Sam"})
    assert [type(n).__name__ for n in script.nodes] == ["Say"]
    assert script.nodes[0].text == "Hello [pause 5s] Sam."


def test_empty_narration_after_personalising_is_dropped():
    assert spoken("{% if name %}Hello {{ name }}.{% endif %} [pause 1s] Rest.") == ["Rest."]
