"""Hypothesis strategies for everything a user hands sessiongen: scripts (front matter, directives,
nesting, includes, templates, line endings, unicode, bytes), fragments, profiles, rosters, --var
values and output names. Built from the real grammar, valid and invalid mixed, so that most
examples reach deep into the pipeline and some break each rule.

A generated input is a `Case`: files (relative path -> bytes) to write into an empty folder,
and the command line to run there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from sessiongen.script.directives import _HANDLERS
from sessiongen.sound import catalog

DIRECTIVES = sorted(_HANDLERS)
VARIABLES = ("name", "cue_word", "place")


@dataclass
class Case:
    files: dict[str, bytes] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def shown(self) -> str:
        """The input, printed when a check fails (files as text where they are text)."""
        parts = [f"args: {self.args!r}"]
        for name, data in self.files.items():
            parts.append(f"--- {name} ({len(data)} bytes)\n{data[:4000]!r}")
        return "\n".join(parts)


# -- text: words from many scripts, and the characters that break naive code ------------------------

ODD = [
    "\u0301",
    "\u0308\u0323",
    "\u200d",
    "\u200b",
    "\u202e",
    "\u2067",
    "\u061c",
    "\ufeff",
    "\u00ad",
    "\x1b",
    "\x07",
    "\t",
    "\u2028",
    "\u0085",
    "\x0c",
]
WORDS = [
    "breathe",
    "slowly",
    "Zoë",
    "Андрей",
    "שָׁלוֹם",
    "مرحبا",
    "日本語",
    "नमस्ते",
    "👋🏽",
    "👨‍👩‍👧",
    "¹²³",
    "٣",
    "Ⅻ",
    "ﬁne",
    "İstanbul",
    "straße",
    "e\u0301\u0301\u0301",
    "a" * 120,
    "-",
    "—",
    "...",
    "?!",
    "&amp;",
    "<b>",
    "\\",
    "*",
    "_x_",
    "`code`",
    "%s",
    "{0}",
    "\\[not a directive]",
]
word = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=12), st.sampled_from(ODD))
sentence = st.lists(word, min_size=1, max_size=8).map(" ".join).map(lambda s: s + ".")

CLEAN_WORDS = ["breathe", "slowly", "and", "rest", "calm", "Zoë", "Андрей", "日本語", "👋🏽", "notice", "your", "feet", "Ελένη", "naïve"]
clean_sentence = st.lists(st.sampled_from(CLEAN_WORDS), min_size=1, max_size=6).map(lambda w: " ".join(w).capitalize() + ".")
CLEAN_DIRECTIVES = [
    "[pause 1s]",
    "[pause 500ms]",
    "[pause 1s..3s]",
    "[bls 2s]",
    "[bls 2s rate=1.5 tone=chime]",
    "[bls passes=2 tone=click]",
    "[bls 1s style=sweep]",
    "[bell]",
    "[breathe in=2 out=2 rounds=1]",
    "[breathe in=1 hold=1 out=2 rounds=1 cues=tone]",
    "[ambience rain]",
    "[ambience off]",
    "[headphone-check]",
    "[bls 2s depth=50 pitch=300 jitter=5 level=-6]",
    "[pace 85%] Rest slowly. [pace off]",
    "[pace 120%]\nNotice your feet.\n[pace off]",
]

# -- directives, each with parameters valid and invalid --------------------------------------------

DURATIONS = [
    "1s",
    "2s",
    "500ms",
    "1.5s",
    "0s",
    "1m",
    "1m30s",
    "0.1s",
    "²s",
    "-1s",
    "700s",
    "1e9s",
    "nans",
    "2",
    "s",
    "3ｓ",
    "1s..3s",
    "2s..1s",
    "1s..700s",
    "..",
    "٣s",
]
NUMBERS = ["0", "1", "1.0", "0.3", "2", "2.5", "100", "-1", "1e400", "nan", "inf", "²", "٣", "0x10", "", "1_000", "250", "599"]
COUNTS = ["1", "2", "3", "0", "50", "51", "²", "٣", "x", "007", "1.5", "-2", "99999999999999999999"]
OPTIONS = [
    "rate",
    "tone",
    "depth",
    "pitch",
    "style",
    "jitter",
    "level",
    "passes",
    "in",
    "hold",
    "out",
    "hold_out",
    "rounds",
    "cues",
    "bogus",
]
OPTION_VALUES = {
    "tone": st.sampled_from([*catalog.TIMBRES, "gong", ""]),
    "style": st.sampled_from([*catalog.STYLES, "wobble"]),
    "cues": st.sampled_from(["voice", "tone", "both", "none"]),
    "passes": st.sampled_from(COUNTS),
    "rounds": st.sampled_from(COUNTS),
    "in": st.sampled_from(DURATIONS + ["4", "1", "20", "21"]),
    "out": st.sampled_from(DURATIONS + ["6", "1"]),
    "hold": st.sampled_from(DURATIONS + ["2"]),
    "hold_out": st.sampled_from(DURATIONS + ["2"]),
}


@st.composite
def option(draw) -> str:
    key = draw(st.sampled_from(OPTIONS))
    value = draw(OPTION_VALUES.get(key, st.sampled_from(NUMBERS)))
    return f"{key}={value}"


@st.composite
def directive(draw, fragments: tuple[str, ...] = ()) -> str:
    name = draw(st.sampled_from(DIRECTIVES + ["Pause", "BELL", "paws", ""]))
    positional = {
        "pause": st.sampled_from(DURATIONS),
        "bls": st.sampled_from(DURATIONS + ["on", "off", "ON"]),
        "repeat": st.sampled_from(COUNTS),
        "include": st.sampled_from([*fragments, "missing", "../escape", "safety-opening", "gentle-exit"])
        if fragments
        else st.sampled_from(["missing", "safety-opening"]),
        "ambience": st.sampled_from([*catalog.BEDS, "off", "none", "thunder"]),
        "pace": st.sampled_from(["85%", "50%", "150%", "87.5%", "49%", "151%", "off", "OFF", "0.8", "85", "%", "٨٥%", "1e3%", "nan%"]),
    }.get(name.lower())
    words = [name]
    if positional is not None and draw(st.integers(0, 9)) > 0:
        words.append(draw(positional))
    if name.lower() in ("bls", "breathe") or draw(st.integers(0, 9)) == 0:
        words += draw(st.lists(option(), max_size=4))
    if name.lower() == "breathe" and draw(st.booleans()):
        words += [
            f"in={draw(st.sampled_from(['2', '4', '1s']))}",
            f"out={draw(st.sampled_from(['2', '3']))}",
            f"rounds={draw(st.sampled_from(['1', '2']))}",
        ]
    return "[" + " ".join(words) + "]"


# -- templates: benign, hostile, and random expressions from a small grammar -------------------------

BENIGN = [
    "{{ name }}",
    "{% if name %}, {{ name }}{% endif %}",
    "{{ name | upper }}",
    "{{ cue_word | default('calm') }}",
    "{% for i in range(3) %}one {% endfor %}",
    "{{ loop }}",
    "{{ name ~ '!' }}",
    "{{ name | length }}",
    "{{ place | title }}",
    "{# a comment #}",
    "{{ 1 + 2 }}",
    "{% raw %}{{ x }}{% endraw %}",
    "{% set a = 3 %}{{ a * 2 }}",
    "{{ '%.2f' | float }}",
]
HOSTILE = [
    "{{ 'ab' * 400000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ 2 ** 10000 }}",
    "{{ name * 99999 }}",
    "{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}",
    "{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}ok",
    "{{ undefined_var }}",
    "{{ name.__class__ }}",
    "{{ lipsum() }}",
    "{{ [1, 2] }}",
    "{{ none }}",
    "{{ true }}",
    "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "{{ 1 / 0 }}",
    "{{ '%s' % name }}",
    "{{ name | center(999999) }}",
    "{{ (name ~ name ~ 'x') * 1000 }}",
    "{{ range(10 ** 9) | list }}",
    "{{ name | replace('', 'xx' * 100) }}",
    "{{ 'x' | join('y' * 1000) }}",
    "{{ name",
    "{% for %}",
    "{% include 'x' %}",
    "{{ name.format(name) }}",
    "{{ cycler }}",
    "{{ namespace() }}",
    "{{ 10 ** 15 + 1 }}",
    "{{ 1e308 * 10 }}",
    "{{ (2 ** 50) | string * 3 }}",
    "{{ name | attr('__class__') }}",
    "{{ name | wordwrap(5) }}",
    "{{ 'a' | truncate(10 ** 12) }}",
    "{{ range(5) }}",
    "{% for i in range(50) %}{{ 'word ' * 200 }}{% endfor %}",
    "{{ (range(900) | list) * 900 }}",
    "{{ '١٢' | int }}",
    "{{ 1.5 | round(10 ** 9) }}",
    "{{ name | indent(10 ** 9) }}",
    "{{ -(2 ** 60) | abs }}",
    "{{ 10 ** 15 | filesizeformat }}",
]
FILTERS = [
    "upper",
    "lower",
    "length",
    "first",
    "last",
    "sum",
    "int",
    "float",
    "round",
    "abs",
    "trim",
    "list",
    "sort",
    "unique",
    "reverse",
    "string",
    "title",
    "capitalize",
    "wordcount",
    "join",
    "min",
    "max",
    "count",
    "e",
    "striptags",
    "escape",
    "bogus",
]
leaf = st.one_of(
    st.integers(-10, 10),
    st.sampled_from([10**15, 10**16, 2**63, -(2**70)]),
    st.floats(allow_nan=False, width=32).map(repr),
    st.sampled_from(VARIABLES + ("nope", "loop", "range(5)", "range(2000)", "none", "true", "''", "'ab'", "'é́'", "[1, 'a']", "{'k': 1}")),
)


def _combine(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "~", " and ", " or ", "==", " in "]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(children, st.sampled_from(FILTERS)).map(lambda t: f"({t[0]} | {t[1]})"),
        st.tuples(
            children, st.sampled_from(["upper()", "split()", "strip()", "count('a')", "startswith('a')", "zfill(10 ** 9)", "ljust(500)"])
        ).map(lambda t: f"{t[0]}.{t[1]}"),
    )


expression = st.recursive(leaf.map(str), _combine, max_leaves=6)
template = st.one_of(
    st.sampled_from(BENIGN),
    st.sampled_from(HOSTILE),
    expression.map(lambda e: "{{ " + e + " }}"),
    st.tuples(expression, st.integers(1, 4)).map(lambda t: "{% for i in range(" + str(t[1]) + ") %}{{ " + t[0] + " }} {% endfor %}"),
)

# -- lines, nested blocks, a body ----------------------------------------------------------------------


def clean_lines(fragments: tuple[str, ...] = ()):
    """Lines of a script that is fine: narration, a benign template, a valid directive, a heading."""
    return st.one_of(
        clean_sentence,
        clean_sentence,
        st.tuples(clean_sentence, st.sampled_from(BENIGN)).map(" ".join),
        st.sampled_from(CLEAN_DIRECTIVES),
        st.tuples(clean_sentence, st.sampled_from(CLEAN_DIRECTIVES)).map(" ".join),
        st.sampled_from(["# Arriving", "## Part", "", "<!-- a note -->", "[bls on] Notice. [bls off]"]),
        *([st.sampled_from([f"[include {name}]" for name in fragments])] if fragments else []),
    )


def lines(fragments: tuple[str, ...] = ()):
    return st.one_of(
        sentence,
        sentence,
        sentence,
        st.tuples(sentence, template, sentence).map(" ".join),
        st.tuples(sentence, directive(fragments)).map(" ".join),
        directive(fragments),
        directive(fragments),
        st.tuples(st.sampled_from(["# ", "## ", "#", "### "]), st.text(max_size=30)).map("".join),
        st.sampled_from(["", "", "<!-- a comment -->", "<!-- open", "-->", "\\[literal]", "[", "]", "[[pause 1s]]", "[pause 1s", "---"]),
    )


def _block(source, counts):
    return st.recursive(
        st.lists(source, min_size=1, max_size=5),
        lambda inner: st.tuples(st.sampled_from(counts), inner, st.integers(0, 19)).map(
            lambda t: [f"[repeat {t[0]}]", *t[1]] + ([] if t[2] == 10 and counts is COUNTS else ["[end]"])
        ),
        max_leaves=4,
    ).flatmap(lambda block: st.lists(st.just(block) | st.lists(source, max_size=3), min_size=1, max_size=3))


def clean_body(fragments: tuple[str, ...] = ()):
    return _block(clean_lines(fragments), ["1", "2", "3"]).map(
        lambda blocks: ["# Start", "Welcome."] + [line for block in blocks for line in block]
    )


def body(fragments: tuple[str, ...] = ()):
    return _block(lines(fragments), COUNTS).map(lambda blocks: [line for block in blocks for line in block])


@st.composite
def mutated(draw, text_lines: list[str], fragments: tuple[str, ...] = ()) -> list[str]:
    """A clean script with a few lines replaced or added from the hostile grammar."""
    out = list(text_lines)
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        at = draw(st.integers(0, len(out)))
        hostile = draw(st.one_of(lines(fragments), st.tuples(clean_sentence, template).map(" ".join)))
        if draw(st.booleans()) and at < len(out):
            out[at] = hostile
        else:
            out.insert(at, hostile)
    return out


# -- front matter: the keys, junk, aliases -------------------------------------------------------------

value_text = st.one_of(
    st.sampled_from(["", "Sam", "Zoë", "the harbour", "{{ name }}", "a" * 501, "x" * 200, "Robert'); DROP", "=1+1", "\u202eevil"]),
    st.text(max_size=20),
)


def _yaml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in escaped) + '"'


@st.composite
def clean_front_matter(draw) -> list[str]:
    values = [f"  {n}: {_yaml_string(draw(st.sampled_from(['', 'Sam', 'Zoë', 'the harbour', 'Андрей'])))}" for n in VARIABLES]
    extra = draw(st.lists(st.sampled_from(["ambience: rain", "language: en", "cautions: [Not while driving.]"]), unique=True, max_size=2))
    return ["---", "id: probe", "title: Probe", "category: grounding", "summary: s", "duration: 1m", *extra, "variables:", *values, "---"]


@st.composite
def front_matter(draw) -> list[str]:
    keys = {
        "id": draw(st.sampled_from(["probe", "x", "Bad Id", "../up", "", "a-b-c"])),
        "title": draw(st.sampled_from(["Probe", "", "T" * 250, "日本語"])),
        "category": "grounding",
        "summary": "s",
        "duration": draw(st.sampled_from(["1m", "30s", "²m", "999h", "0s", "1m30s"])),
    }
    out = [f"{k}: {_yaml_string(v)}" for k, v in keys.items() if draw(st.integers(0, 9)) != 5]
    names = draw(st.lists(st.sampled_from(VARIABLES + ("Bad-Name", "_x")), unique=True, max_size=3))
    if names or draw(st.booleans()):
        out.append("variables:")
        out += [f"  {n}: {_yaml_string(draw(value_text))}" for n in names]
    out += draw(st.lists(st.sampled_from(JUNK), max_size=2))
    return ["---", *out] if draw(st.integers(0, 19)) == 10 else ["---", *out, "---"]


JUNK = [
    "ambience: rain",
    "ambience: thunder",
    "language: en",
    "language: xx-invalid-123456789",
    "cautions: [Not while driving.]",
    "cautions: 3",
    "variables: [a, b]",
    "variables: {name: {x: 1}}",
    "a: &a [*a]",
    "x: &x [1, 2]\ny: [*x, *x, *x]",
    "bomb: &b0 [1,1,1,1,1,1,1,1,1]\nb1: &b1 [*b0,*b0,*b0,*b0,*b0,*b0,*b0,*b0,*b0]\nb2: &b2 [*b1,*b1,*b1,*b1,*b1,*b1,*b1,*b1,*b1]",
    "duration: !!python/object:os.system ls",
    "id: 1e999",
    "title: .nan",
    "\tid: tab",
    "id: [",
    "pronunciations: {Sam: /sæm/}",
    "pronunciations: {x: ''}",
    "summary: " + "[" * 60 + "]" * 60,
    "big: " + "9" * 5000,
    "id: probe\nid: again",
    "? complex\n: key",
    "-- - -",
]

# -- whole files ------------------------------------------------------------------------------------


@st.composite
def encoded(draw, text_lines: list[str], clean: bool = False) -> bytes:
    """Lines joined by LF, CRLF, a bare CR or a mix; as UTF-8 (with or without a BOM), sometimes
    with an invalid byte or a NUL dropped in (never when `clean`)."""
    if clean:
        return ("\n".join(text_lines) + "\n").encode("utf-8")
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r", None]))
    if newline is None:
        text = "".join(line + draw(st.sampled_from(["\n", "\r\n", "\r"])) for line in text_lines)
    else:
        text = newline.join(text_lines) + newline
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 5:  # rare choices sit mid-range: hypothesis favours 0 and the ends
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 14)) == 7:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\x00", b"\xc3", b"\xed\xa0\x80", b"\xe9t\xe9"])) + data[at:]
    return data


@st.composite
def script_files(draw) -> dict[str, bytes]:
    """A script `s.md`, and the fragments it may include (which may include each other, or it)."""
    hostile = draw(st.integers(0, 2)) == 1  # a third from the hostile grammar, the rest clean and then mutated
    names = tuple(
        draw(st.lists(st.sampled_from(["frag", "loop", "wide", "deep", "s"] if hostile else ["frag", "part"]), unique=True, max_size=2))
    )
    files = {}
    for index, name in enumerate(names):
        if name == "wide":
            text = ["Wide."] + ["[include wide]"] * draw(st.integers(1, 40))
        elif hostile:
            text = draw(body(names)) if draw(st.booleans()) else draw(front_matter()) + draw(body(names))
        else:
            text = draw(mutated(draw(_block(clean_lines(names[index + 1 :]), ["1", "2"]).map(lambda b: [x for block in b for x in block]))))
        folder = draw(st.sampled_from(["", "fragments/"]))
        files[f"in/{folder}{name}.md"] = draw(encoded(text, clean=not hostile and draw(st.integers(0, 3)) != 2))
    if hostile:
        head = [] if draw(st.integers(0, 9)) == 5 else draw(front_matter())
        text = head + draw(body(names))
    else:
        text = draw(mutated(draw(clean_front_matter()) + draw(clean_body(names)), names))
    files["in/s.md"] = draw(encoded(text, clean=not hostile and draw(st.integers(0, 3)) != 2))
    return files


# -- compositions and session files --------------------------------------------------------------------

LIBRARY_REFS = ["box-breathing", "safe-place", "nope", "", "in/s.md", "Box-Breathing", "../in/s.md"]
SESSION_ENTRIES = ["s.md", "box-breathing", "session.yaml", "nope.md", "/etc/passwd", "", "s.md+box-breathing", 7, None]


@st.composite
def script_ref(draw, files: dict[str, bytes]) -> str:
    """What names the session: the script itself (mostly), a `+` composition with it, or a session
    file (YAML: `techniques:` and `title:`) listing it, itself, the library or junk; the session
    file is added to `files`."""
    kind = draw(st.integers(0, 5))
    if kind <= 2:
        return "in/s.md"
    if kind == 3:
        parts = draw(st.lists(st.sampled_from(LIBRARY_REFS), min_size=1, max_size=14))
        return "+".join(["in/s.md", *parts] if draw(st.booleans()) else [*parts, "in/s.md"])
    entries = draw(st.lists(st.sampled_from(SESSION_ENTRIES), min_size=0, max_size=14))
    title = draw(st.sampled_from(["Evening", "", "\u202eTitle", "x" * 300, "{{ 9**9**9 }}"]))
    head = draw(st.sampled_from([f"title: {_yaml_string(title)}\n", "", "title: [1, 2]\n", "&a [*a]\n"]))
    body = draw(st.sampled_from([f"techniques: {entries!r}\n".replace("None", "null"), "techniques: s.md\n", "techniques:\n", "- s.md\n"]))
    files["in/session.yaml"] = (head + body).encode("utf-8")
    return "in/session.yaml"


# -- command-line values ------------------------------------------------------------------------------

var_value = st.one_of(value_text, st.sampled_from(["Sam\udcff", "\udce9", "a=b", "  ", "Sam\tTab", "a\nb"]))  # no NUL: argv cannot hold one
hostile_var = st.tuples(st.sampled_from(VARIABLES + ("nope", "", "na me", "ｎａｍｅ")), var_value).map(lambda t: f"{t[0]}={t[1]}")
clean_var = st.tuples(st.sampled_from(VARIABLES), st.sampled_from(["Sam", "Zoë", "the harbour", "Андрей", "", "O'Brien"])).map(
    lambda t: f"{t[0]}={t[1]}"
)
var_arg = st.one_of(clean_var, clean_var, hostile_var)
output_stem = st.one_of(
    st.just("session"),
    st.sampled_from(
        ["..", ".hidden", "con", "caf\udce9", "a/b", "sp ace", "日本語", "x" * 300, "\u202eevil"]
    ),  # no NUL: argv cannot hold one
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=12),
)


@st.composite
def output_args(draw, ext: str = "wav") -> list[str]:
    """-o into out/ (which the harness checks), sometimes into a folder that does not exist yet."""
    if draw(st.booleans()):
        return ["-o", f"out/session.{ext}"]
    folder = draw(st.sampled_from(["out/", "out/", "out/new/", "out/caf\udce9/", "out/new/deeper/"]))
    return ["-o", f"{folder}{draw(output_stem)}.{draw(st.sampled_from([ext, ext, 'mp3', 'flac', 'ogg', 'txt', '']))}"]


# -- profiles and rosters ----------------------------------------------------------------------------

PROFILE_VALUES = [
    "Sam",
    "",
    "Zoë",
    "x" * 300,
    "1e999",
    "²",
    "٣",
    "-5",
    "0",
    "1",
    "2.5",
    "true",
    "no",
    "[1, 2]",
    "{a: 1}",
    "null",
    "~",
    "rain",
    "thunder",
    "sine",
    "gong",
    "voice",
    "programme",
    "'=cmd|'/C calc'!A0'",
    "&a [*a]",
    "!!binary aGVsbG8=",
    "fake/en",
    "nobody",
]
PROFILE_KEYS = [
    "name",
    "pronouns",
    "safe_place",
    "cue_word",
    "anchor",
    "voice",
    "pronunciations",
    "rate",
    "pause_scale",
    "slow_ending",
    "bls",
    "bls_rate",
    "bls_tone",
    "bls_depth",
    "ambience",
    "loudness",
    "loudness_mode",
    "minutes",
    "seed",
    "client_id",
    "bogus",
    "variables",
]


CLEAN_PROFILES = [
    "name: Sam\n",
    "name: Zoë\nrate: 150\nbls_tone: chime\n",
    "cue_word: harbour\npause_scale: 0.8\nseed: 3\n",
    "variables: {name: Robin}\nbls: false\n",
    "ambience: rain\nloudness: -18\nslow_ending: true\n",
]


@st.composite
def profile_yaml(draw) -> bytes:
    if draw(st.booleans()):
        return draw(st.sampled_from(CLEAN_PROFILES)).encode("utf-8")
    entries = draw(st.lists(st.tuples(st.sampled_from(PROFILE_KEYS), st.sampled_from(PROFILE_VALUES)), min_size=1, max_size=5))
    text = [f"{k}: {v}" for k, v in entries] + draw(st.lists(st.sampled_from(JUNK), max_size=1))
    return draw(encoded(text))


CELLS = [
    "Sam",
    "",
    "Zoë",
    "=1+1",
    "=cmd|'/C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1)",
    '"quoted, comma"',
    "a,b",
    "x" * 1001,
    "\u202eevil",
    "index",
    "report",
    "batch",
    "../up",
    "con",
    "日本語",
    "a\nb",
    "\t",
    " spaced ",
]


@st.composite
def roster_files(draw) -> dict[str, bytes]:
    """A roster in CSV or YAML naming s.md (and other techniques), with odd cells and duplicates;
    a third of them hostile, the rest clean with a mutation or two."""
    if draw(st.integers(0, 2)) != 1:
        return draw(clean_roster())
    columns = ["client_id", "technique"] + draw(
        st.lists(st.sampled_from(["name", "cue_word", "profile", "format", "voice", "bogus", "client_id", "rate"]), max_size=3)
    )
    ids = st.sampled_from(["a", "b", "a", "Sam", "index", "report", "../x", "", "=1+1", "日本", "con", "a/b", "a-b"])
    tech = st.sampled_from(["in/s.md", "in/s.md", "in/missing.md", "safe-place", "in", "/dev/zero", "in/p.yaml"])
    other = {
        "format": st.sampled_from(["wav", "wav", "mp3", "flac", "xyz", ""]),
        "profile": st.sampled_from(["in/p.yaml", "in/none.yaml", ""]),
    }
    rows = draw(
        st.lists(
            st.tuples(ids, tech, st.lists(st.sampled_from(CELLS), min_size=len(columns), max_size=len(columns))), min_size=1, max_size=4
        )
    )
    files = {"in/p.yaml": draw(profile_yaml())}
    if draw(st.booleans()):

        def cell(text):
            return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text

        lines = [",".join(columns)]
        for cid, technique, cells in rows:
            values = [cid, technique] + [draw(other.get(c, st.just(v))) for c, v in zip(columns[2:], cells[2:])]
            lines.append(",".join(cell(v) for v in values) + draw(st.sampled_from(["", "", ",extra"])))
        files["r.csv"] = draw(encoded(lines))
    else:
        lines = ["rows:" if draw(st.booleans()) else ""]
        for cid, technique, cells in rows:
            values = [cid, technique] + [draw(other.get(c, st.just(v))) for c, v in zip(columns[2:], cells[2:])]
            lines.append("- {" + ", ".join(f"{c}: {_yaml_string(v)}" for c, v in zip(columns, values)) + "}")
        files["r.yaml"] = draw(encoded(lines + draw(st.lists(st.sampled_from(["- 3", "- [a]", "x: 1"]), max_size=1))))
    return files


@st.composite
def clean_roster(draw) -> dict[str, bytes]:
    ids = draw(st.lists(st.sampled_from(["a", "b", "c", "Zoë", "日本"]), min_size=1, max_size=3, unique=True))
    names = st.sampled_from(["Sam", "Zoë", "", "O'Brien", "Андрей", "=1+1", "\u202eevil", "x" * 1001])
    files = {"in/p.yaml": draw(st.sampled_from(CLEAN_PROFILES)).encode("utf-8")}
    extra = draw(st.sampled_from([[], ["format"], ["profile"], ["cue_word"]]))
    values = {"format": st.sampled_from(["wav", "flac", "mp3"]), "profile": st.just("in/p.yaml"), "cue_word": names}
    rows = [[cid, "in/s.md", draw(names), *[draw(values[c]) for c in extra]] for cid in ids]
    if draw(st.booleans()):
        quote = lambda text: '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text  # noqa: E731
        text = [",".join(["client_id", "technique", "name", *extra])] + [",".join(map(quote, row)) for row in rows]
        files["r.csv"] = draw(encoded(draw(mutated(text)), clean=draw(st.integers(0, 3)) != 2))
    else:
        columns = ["client_id", "technique", "name", *extra]
        text = ["- {" + ", ".join(f"{c}: {_yaml_string(v)}" for c, v in zip(columns, row)) + "}" for row in rows]
        files["r.yaml"] = draw(encoded(text, clean=draw(st.integers(0, 3)) != 2))
    return files


# -- names in other scripts (issue 28, class 7) ---------------------------------------------------------

SCRIPTS_SAMPLES = [  # letters of many writing systems, with their marks
    "АБВГДЕЖЗИЙКЛМНОПабвгдежзийклмнопЁё",
    "ΑΒΓΔΕΖΗΘαβγδεζηθάέήί",
    "ắằẳẵặấầẩẫậđĐưƯơƠễệ",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "אבגדהוזחטיכלמנסעפצקרשת",
    "日本語漢字中文王李張劉陳楊",
    "ひらがなカタカナさくらやまだ",
    "한국어김민준이서연",
    "देवनागरीश्रेयाहिन्दी",
    "ภาษาไทยสมชาย",
    "ᏣᎳᎩ",
    "ÆØÅæøåßÞþÐðŁłŒœ",
]
MARKS = "\u0301\u0308\u0323\u0651\u064e\u05b4\u093e"
foreign_name = st.one_of(
    st.sampled_from(
        ["Андрей", "Ελένη", "Nguyễn", "محمد", "日本語", "אברהם", "김민준", "श्रेया", "สมชาย", "Zoë", "Þór", "👋🏽", "Ann-Marie 3rd"]
    ),
    st.lists(st.sampled_from(SCRIPTS_SAMPLES), min_size=1, max_size=3).flatmap(
        lambda pools: st.lists(st.text(st.sampled_from("".join(pools) + MARKS), min_size=1, max_size=8), min_size=1, max_size=3).map(
            " ".join
        )
    ),
    st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Lm", "Mn", "Nd", "So")), min_size=1, max_size=12),
)
