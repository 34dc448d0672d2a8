"""Issue 7: properties of the functions that read what users write, checked with Hypothesis.

Whatever the text, parsing a duration or a script and personalising narration either succeeds or
raises the user-facing error family (SessiongenError; DurationError for durations), never a bare
Python exception that would reach the user as a traceback. Values are spoken, never evaluated.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sessiongen.errors import ScriptError, SessiongenError
from sessiongen.model.script import Say, Script
from sessiongen.script import parser
from sessiongen.script.durations import DurationError, parse_duration_s
from sessiongen.script.personalise import MAX_VALUE_CHARS, personalise

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

HEAD = '---\nid: prop\ntitle: Property\ncategory: grounding\nsummary: s\nduration: 1m\nvariables:\n  name: ""\n---\n'

# -- durations --------------------------------------------------------------------------------------

DURATION_BITS = st.sampled_from(
    ["0", "1", "5", "9", "12", ".", "5.", ".5", "ms", "s", "m", "h", " ", "-", "+", "e", "..", "x", "1e3", "\u0661"]
)


@SETTINGS
@given(st.one_of(st.text(), st.lists(DURATION_BITS, max_size=12).map("".join)))
@example("")
@example("0")
@example("0s")
@example("1m1m")
@example("30s1m")
@example("1h0m0s0ms")
@example("\u0665s")  # an Arabic-Indic five: a digit to `str.isdigit`, not to the duration syntax
def test_a_duration_is_positive_seconds_or_a_duration_error(text):
    try:
        seconds = parse_duration_s(text)
    except DurationError as exc:
        assert str(exc)  # says what is wrong
        return
    assert type(seconds) is float and seconds > 0


@SETTINGS
@given(st.integers(0, 10_000), st.integers(0, 59))
def test_minutes_and_seconds_give_exact_seconds(minutes, seconds):
    if minutes == 0 and seconds == 0:
        with pytest.raises(DurationError):
            parse_duration_s(f"{minutes}m{seconds}s")
        return
    assert parse_duration_s(f"{minutes}m{seconds}s") == minutes * 60 + seconds
    assert parse_duration_s(f" {minutes}m{seconds}s\n") == minutes * 60 + seconds


@SETTINGS
@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_every_unit_in_order_adds_up(hours, minutes, seconds, millis):
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s"), (millis, "ms")]
    text = "".join(f"{n}{unit}" for n, unit in parts if n)
    total_ms = hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + millis
    if not text:
        return
    assert parse_duration_s(text) == pytest.approx(total_ms / 1000, abs=1e-9)


@SETTINGS
@given(st.integers(1, 10**6), st.integers(0, 99))
def test_plain_and_decimal_numbers_of_seconds(whole, hundredths):
    assert parse_duration_s(str(whole)) == whole
    assert parse_duration_s(f"{whole}.{hundredths:02d}s") == float(f"{whole}.{hundredths:02d}")
    with pytest.raises(DurationError):
        parse_duration_s(str(whole), bare_number_ok=False)


@pytest.mark.parametrize("text", ["9" * 400, "1" + "0" * 400 + "ms", "9" * 320 + "h"])
def test_a_huge_duration_is_an_error_not_infinity(text):
    try:
        seconds = parse_duration_s(text)
    except DurationError:
        return
    assert seconds < float("inf")


# -- scripts ----------------------------------------------------------------------------------------


def _parses_or_refuses(text: str) -> None:
    try:
        script = parser.parse_text(text)
    except ScriptError as exc:
        assert exc.problems and all(isinstance(p, SessiongenError) for p in exc.problems)
        return
    except SessiongenError:
        return
    assert isinstance(script, Script)


@SETTINGS
@given(st.text())
@example("")
@example("---")
@example("---\n---\n")
@example("\ufeff---\nid: x\n---\n")
@example("---\n!!python/object:os.system {}\n---\n")
def test_any_text_parses_or_is_refused_with_a_script_error(text):
    _parses_or_refuses(text)


@SETTINGS
@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300))
def test_any_body_under_good_front_matter(body):
    _parses_or_refuses(HEAD + body)


# Pieces of script syntax, whole and broken, to build bodies that reach deep into the parser.
FRAGMENTS = st.sampled_from(
    [
        "[pause 5s]",
        "[pause 1s..3s]",
        "[pause 0s]",
        "[pause -1s]",
        "[pause 9999h]",
        "[bls",
        "[bls 4s]",
        "[bls on]",
        "[bls off]",
        "[bls passes=2 rate=2]",
        "[breathe in=4 out=4 rounds=2]",
        "[bell]",
        "[headphone-check]",
        "[ambience rain]",
        "[include safety-opening]",
        "[include nope]",
        "[repeat 2]",
        "[repeat 50]",
        "[end]",
        "[",
        "]",
        "\\[",
        "[]",
        "{{",
        "}}",
        "{{ name }}",
        "{{ who }}",
        "{%",
        "%}",
        "{% if name %}",
        "{% else %}",
        "{% endif %}",
        "{% for i in range(2) %}",
        "{% endfor %}",
        "{% set x = 1 %}",
        "{{ x }}",
        "{{ name.__class__ }}",
        "{#",
        "#}",
        "<!--",
        "-->",
        "# ",
        "## ",
        "#",
        "---",
        "\n",
        "\n\n",
        "\r\n",
        " ",
        "\t",
        "word",
        "Hello.",
        "Breathe in gently...",
        "=",
        '"',
        "'",
        "\u00e9",
        "\u2028",
        "{{ name | shout }}",
        "{{ name | upper }}",
        "{% if name is loud %}",
        "{{ name | attr('__class__') }}",
        "{% include 'x' %}",
    ]
)


@SETTINGS
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
@example("[repeat 2]\n[repeat 2]\nHi.\n[end]")
@example("{% if name %}\n\n{% endif %}")
@example("<!-- [repeat 2] -->\n[end]")
def test_script_syntax_pieces_in_any_order(body):
    _parses_or_refuses(HEAD + body)


def test_an_unknown_filter_is_a_script_error():
    _parses_or_refuses(HEAD + "Hello {{ name | shout }}.\n")


# -- personalisation --------------------------------------------------------------------------------

PERSONAL = parser.parse_text(
    "---\nid: prop\ntitle: Property\ncategory: grounding\nsummary: s\nduration: 1m\n"
    'variables:\n  name: ""\n  place: "a quiet place"\n---\n'
    "# Start\nWelcome{% if name %}, {{ name }}{% endif %}. [pause 2s]\n"
    "Picture {{ place }}.\n\n[repeat 2]\nBreathe with {{ place }} in mind.\n[end]\n"
)


def _spoken(script: Script) -> str:
    return " ".join(node.text for node in script.nodes if isinstance(node, Say))


VALUES = st.one_of(
    st.text(max_size=80),
    st.text(max_size=MAX_VALUE_CHARS + 20),
    st.lists(
        st.sampled_from(["{{", "}}", "{%", "%}", "{#", "7*7", "name", "__class__", "[pause 5s]", "<!--", ".", " ", "\n", "A"]), max_size=12
    ).map("".join),
)


@SETTINGS
@given(name=VALUES, place=VALUES)
@example(name="{{ 7*7 }}", place="{% for i in range(9) %}x{% endfor %}")
@example(name="{{ ''.__class__.__mro__ }}", place="[pause 5s] <!-- x -->")
@example(name="x" * (MAX_VALUE_CHARS + 1), place="")
def test_values_are_spoken_literally_never_evaluated(name, place):
    try:
        personal = personalise(PERSONAL, {"name": name, "place": place})
    except SessiongenError as exc:
        assert "longer than" in str(exc) and max(len(name), len(place)) > MAX_VALUE_CHARS
        return
    spoken = _spoken(personal)
    for value in (name, place):
        assert " ".join(value.split()) in spoken
    if "7*7" in name + place:
        assert "49" not in spoken


@FEW
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=20), max_size=4))
def test_any_variable_names_are_used_or_refused(given_values):
    try:
        personal = personalise(PERSONAL, given_values)
    except SessiongenError as exc:
        assert set(given_values) - {"name", "place"}, exc  # only an unknown name is refused here
        return
    assert set(given_values) <= {"name", "place"}
    assert isinstance(personal, Script)
