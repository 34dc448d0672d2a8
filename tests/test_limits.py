"""Issue 16, parts 2, 5 and 6 (script side): bounded work for any input, and no tracebacks.

Every input is bounded before it is expanded (files by size and kind, expansions as they grow,
templates step by step, YAML with its aliases counted as expanded, words and sentences by length),
and every limit reached is one line naming it, exit 1 (2 for a malformed argument), nothing written.
The inputs are our own, built to reach each limit by a different road than the issue's examples.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessiongen.batch.roster import output_path, read_roster
from sessiongen.batch.validate import BatchOptions, validate
from sessiongen.cli import cli
from sessiongen.errors import ScriptError, SessiongenError
from sessiongen.model.script import Chapter, Say
from sessiongen.options import profile
from sessiongen.script import compose, limits, parser, templating, yamlfile
from sessiongen.script.personalise import personalise

ROOT = Path(__file__).resolve().parent.parent
FAKE = ["--engine", "fake"]
HEAD = '---\nid: probe\ntitle: Probe\ncategory: grounding\nsummary: s\nduration: 1m\nvariables:\n  name: ""\n---\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def one_line_failure(result, code: int = 1) -> str:
    """A failed command: the expected exit code, no traceback, and the message's last line."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result.output.strip().splitlines()[-1]


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child of a large test
# process would report the parent's size.
MEASURE = """
import re, sys
from click.testing import CliRunner
from sessiongen.cli import cli
result = CliRunner().invoke(cli, sys.argv[1:])
peak_kb = int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1))
print(result.exit_code, peak_kb // 1024)
print(result.output)
"""


def run_child(tmp_path: Path, *args: str, timeout_s: float = 60.0) -> tuple[int, int, str]:
    """(exit code, peak RSS in MB, output) of a command in a child process, killed after timeout_s."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "SESSIONGEN_ENGINES": "fake=fake_engine:FakeEngine"}
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=timeout_s)
    assert done.stdout, done.stderr[-2000:]
    first, _, output = done.stdout.partition("\n")
    code, peak_mb = map(int, first.split())
    return code, peak_mb, output


# -- files: regular files only, their size checked before a byte is read --------------------------------


def test_a_device_a_fifo_and_a_folder_are_refused_as_scripts_without_waiting(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    (tmp_path / "folder.md").mkdir()
    for target, kind in ((fifo, "a FIFO"), ("/dev/urandom", "a character device"), (tmp_path / "folder.md", "a folder")):
        started = time.monotonic()
        code, _, output = run_child(tmp_path, "check", str(target), timeout_s=30)
        assert code == 1 and f"is {kind}" in output and "not a script" in output and "Traceback" not in output
        assert time.monotonic() - started < 30
    code, _, output = run_child(tmp_path, "plan", str(fifo), *FAKE, timeout_s=30)
    assert code == 1 and "is a FIFO" in output


def test_a_huge_sparse_script_and_fragment_are_refused_by_size_before_reading(tmp_path):
    """50 GB apparent size, no disk used: refused at once, so it was never read."""
    script = write(tmp_path / "big.md", "")
    os.truncate(script, 50 * 10**9)
    started = time.monotonic()
    with pytest.raises(ScriptError, match=f"larger than the limit of {limits.MAX_SCRIPT_BYTES:,} bytes"):
        parser.parse_file(script)
    fragment = write(tmp_path / "huge-part.md", "")
    os.truncate(fragment, limits.MAX_SCRIPT_BYTES + 1)
    with pytest.raises(ScriptError, match="the fragment is larger than the limit"):
        parser.parse_file(write(tmp_path / "main.md", "# A\nHello.\n[include huge-part]\n"))
    assert time.monotonic() - started < 5


def test_a_fragment_gets_the_checks_of_a_script(tmp_path):
    (tmp_path / "nul-part.md").write_bytes(b"Calm words.\x00\n")
    with pytest.raises(ScriptError, match=r"nul-part.md: file is binary"):
        parser.parse_file(write(tmp_path / "a.md", "# A\n[include nul-part]\n"))
    (tmp_path / "fifo-part.md").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "fifo-part.md")
    with pytest.raises(ScriptError, match="is a FIFO"):
        parser.parse_file(write(tmp_path / "b.md", "# A\nHello.\n[include fifo-part]\n"))


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_every_line_ending_breaks_lines_in_scripts_and_fragments(tmp_path, newline):
    body = newline.join(["# Landing", "Feel your feet.", "", "[bell]", "Notice the room.", ""])
    (tmp_path / "part.md").write_bytes(body.encode())
    (tmp_path / "main.md").write_bytes(newline.join(["# Start", "Hello.", "[include part]", ""]).encode())
    nodes = parser.parse_file(tmp_path / "main.md").nodes
    assert [n.title for n in nodes if isinstance(n, Chapter)] == ["Start", "Landing"]
    assert [n.text for n in nodes if isinstance(n, Say)] == ["Hello.", "Feel your feet.", "Notice the room."]


def test_a_bare_cr_fragment_with_a_problem_on_its_third_line_is_found_there(tmp_path):
    (tmp_path / "fragments").mkdir()
    (tmp_path / "fragments" / "steps.md").write_bytes(b"# Steps\rBreathe.\r[pause forever]\r")
    with pytest.raises(ScriptError) as caught:
        parser.check_file(tmp_path / "fragments" / "steps.md")
    assert caught.value.problems[0].where.line == 3


# -- expansion, counted as it grows ---------------------------------------------------------------------


def test_nested_repeats_stop_at_the_step_limit_in_bounded_memory(tmp_path):
    """Six nested [repeat 40] would be 4 billion steps; the limit is met while expanding."""
    script = write(tmp_path / "nest.md", HEAD + "# A\n" + "[repeat 40]\n" * 6 + "Breathe [pause 1s]\n" + "[end]\n" * 6)
    code, peak_mb, output = run_child(tmp_path, "check", str(script))
    assert code == 1 and f"the limit of {limits.MAX_STEPS:,} steps" in output
    assert peak_mb < 300, peak_mb


def test_repeats_inside_included_fragments_count_towards_the_same_limit(tmp_path):
    write(tmp_path / "inner.md", "[repeat 50]\nSoft.\n[end]\n")
    write(tmp_path / "outer.md", "[repeat 50]\n[include inner]\n[end]\n")
    with pytest.raises(ScriptError, match=f"limit of {limits.MAX_STEPS:,} steps"):
        parser.parse_file(write(tmp_path / "main.md", "# A\n[repeat 50]\n[include outer]\n[end]\n"))


def test_an_include_fan_out_stops_at_the_include_limit(tmp_path):
    """Fragments each including the next 30 times, five levels deep: 24 million reads unbounded."""
    for level in range(5):
        write(tmp_path / f"level{level}.md", " ".join([f"[include level{level + 1}]"] * 30) + "\n" if level < 4 else "\n")
    script = write(tmp_path / "fan.md", "# A\nHello.\n[include level0]\n")
    started = time.monotonic()
    code, peak_mb, output = run_child(tmp_path, "check", str(script))
    assert code == 1 and f"more than the limit of {limits.MAX_INCLUDES} fragments" in output
    assert time.monotonic() - started < 30 and peak_mb < 300


# -- templates -------------------------------------------------------------------------------------------

BOMBS = {
    "list repeated": "{{ ([name] * 100000)|length }}",
    "power tower": "{{ 7 ** 7 ** 7 }}",
    "growing numbers": "{{ 99999999 * 99999999 * 99999999 }}",
    "range": "{% for i in range(5000000) %}.{% endfor %}",
    "nested loops": "{% for a in range(900) %}{% for b in range(900) %}{% for c in range(900) %}{% endfor %}{% endfor %}{% endfor %}",
    "loops over text": "{% for a in name %}{% for b in name %}{% for c in name %}{% endfor %}{% endfor %}{% endfor %}",
    "doubling macro": "{% macro twice(n) %}{% if n %}{{ twice(n - 1) }}{{ twice(n - 1) }}{% endif %}{% endmacro %}{{ twice(50) }}",
    "doubling text": "{% macro grow(s, n) %}{% if n %}{{ grow(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ grow(name, 64) }}",
    "replace blow-up": "{{ name.replace('', name) }}",
    "join blow-up": "{{ name|list|join(name) }}",
    "long output": "{% for i in range(999) %}{{ name }}{% endfor %}",
    "printf width": "{{ '%0900000000d' % 1 }}",
    "padding method": "{{ name.rjust(900000000) }}",
    "format width": "{{ '{:>900000000}'.format(name) }}",
}


@pytest.mark.parametrize("template", list(BOMBS.values()), ids=list(BOMBS))
def test_template_bombs_are_refused_quickly_with_a_limit(template):
    started = time.monotonic()
    with pytest.raises(SessiongenError, match=r"limit of|refused"):
        templating.render(template, {"name": "Robin " * 80})
    assert time.monotonic() - started < limits.MAX_TEMPLATE_SECONDS + 1


@pytest.mark.parametrize("name", ["lipsum", "cycler", "joiner", "namespace", "dict"])
def test_jinja_globals_are_gone_and_found_by_check(name):
    with pytest.raises(ScriptError, match=f"unknown variable '{name}'"):
        parser.parse_text(HEAD + f"Hello {{{{ {name} }}}}.")


@pytest.mark.parametrize(
    "template",
    [
        "{{ [1, 2] }}",
        "{{ range(3) }}",
        "{{ {'a': 1} }}",
        "{{ none }}",
        "{{ name is string }}",
        "{% for x in range(2) %}{{ loop }}{% endfor %}",
        "{{ name|map('upper') }}",
    ],
)
def test_only_text_and_numbers_reach_the_voice(template):
    with pytest.raises(SessiongenError, match="only text and numbers can be spoken"):
        templating.render(template, {"name": "Sam"})


def test_ordinary_templates_still_work():
    values = {"name": "sam lee"}
    assert (
        templating.render(
            "{{ name|title }}, {{ 6 * 7 }} {{ 'calm ' ~ name.upper() }}{% for i in range(3) %} {{ loop.index }}{% endfor %}", values
        )
        == "Sam Lee, 42 calm SAM LEE 1 2 3"
    )
    assert templating.render("{{ name.split()|join('-') }} {{ name|replace('lee', 'li') }} {{ 2 ** 10 }}", values) == "sam-lee sam li 1024"


def test_refused_filters_and_methods_are_found_by_check():
    with pytest.raises(ScriptError, match="the filter 'indent' is not available"):
        parser.parse_text(HEAD + "Hello {{ name|indent(9) }}.")
    with pytest.raises(ScriptError, match=r"'\.zfill' is not available"):
        parser.parse_text(HEAD + "Hello {{ name.zfill(9) }}.")


def test_one_budget_covers_all_the_templates_of_a_script():
    """Each paragraph alone is under the step limit; together they are not."""
    loop = "{% for a in range(900) %}{% for b in range(60) %}{% endfor %}{% endfor %}"
    body = "".join(f"# Part {i}\nStep {i}. {loop}\n\n" for i in range(3))
    script = parser.parse_text(HEAD + body)
    with pytest.raises(SessiongenError, match=f"limit of {limits.MAX_TEMPLATE_STEPS:,} steps"):
        personalise(script, {"name": "Sam"})


# -- YAML ------------------------------------------------------------------------------------------------


def alias_bomb(levels: int = 7, fan: int = 8) -> str:
    lines = ["base: &l0 [calm, calm, calm, calm, calm, calm, calm, calm]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_while_it_is_composed():
    with pytest.raises(yamlfile.YamlLimitError, match=f"limit of {limits.MAX_YAML_NODES:,} values"):
        yamlfile.load_text(alias_bomb())
    assert yamlfile.load_text("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}  # aliases as such are fine


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: &x [1, *x]\n", "refers to a value that contains it"),
        ("a: " + "[" * 200 + "]" * 200 + "\n", f"nested more than the limit of {limits.MAX_YAML_DEPTH}"),
        ("a: " + "7" * 6000 + "\n", "a value cannot be read"),
    ],
)
def test_yaml_that_cannot_be_walked_is_refused(text, message):
    with pytest.raises(yamlfile.YamlLimitError, match=message):
        yamlfile.load_text(text)


def test_an_alias_bomb_in_every_yaml_a_user_writes_is_one_line(tmp_path, runner):
    bomb = alias_bomb()
    script = write(tmp_path / "calm.md", "---\n" + bomb + "---\n# A\nHello.\n")
    with pytest.raises(ScriptError, match="front matter: the YAML stands for more than the limit"):
        parser.parse_file(script)
    with pytest.raises(SessiongenError, match=r"client.yaml:\d+: the YAML stands for"):
        profile.load(write(tmp_path / "client.yaml", bomb + "name: *l6\n"))
    with pytest.raises(SessiongenError, match=r"session.yaml:\d+: the YAML stands for"):
        compose.load(str(write(tmp_path / "session.yaml", bomb + "techniques: [calm.md]\n")))
    with pytest.raises(SessiongenError, match=r"roster.yaml:\d+: the YAML stands for"):
        read_roster(write(tmp_path / "roster.yaml", bomb + "rows:\n  - {client_id: a, technique: calm.md, name: *l6}\n"))


# -- words, sentences, titles ------------------------------------------------------------------------------


def test_a_long_word_in_a_script_is_found_at_its_line(tmp_path):
    script = write(tmp_path / "w.md", HEAD + "# A\nFine.\n\nThen " + "ha" * 60_000 + " again.\n")
    with pytest.raises(ScriptError, match=rf"w.md:13:1: a word of 120,000 characters .* limit of {limits.MAX_WORD_CHARS} characters"):
        parser.parse_file(script)


def test_a_long_word_made_by_a_value_is_found_when_rendered(tmp_path, runner):
    script = write(tmp_path / "v.md", HEAD + "# A\nHello {{ name }}.\n")
    result = runner.invoke(cli, ["plan", str(script), *FAKE, "--var", "name=" + "o" * 300])
    assert re.search(r"v.md:11:1: a word of 301 characters", one_line_failure(result))


def test_a_template_that_builds_a_long_word_in_plan_is_bounded(tmp_path):
    script = write(tmp_path / "t.md", HEAD + "# A\nHello {% for i in range(900) %}{{ 'z' * 10 }}{% endfor %}.\n")
    code, peak_mb, output = run_child(tmp_path, "plan", str(script), *FAKE)
    assert code == 1 and "limit of" in output and peak_mb < 300


def test_a_long_sentence_and_a_long_title_are_refused():
    sentence = " ".join(["calm"] * 600)
    with pytest.raises(ScriptError, match=f"limit of {limits.MAX_PHRASE_CHARS:,} characters for a sentence"):
        parser.parse_text(HEAD + f"# A\n{sentence}.\n")
    assert parser.parse_text(HEAD + "# A\n" + "Be calm. " * 600 + "\n")  # many sentences in a paragraph are fine
    with pytest.raises(ScriptError, match=f"limit of {limits.MAX_TITLE_CHARS}"):
        parser.parse_text(HEAD + "# " + "Title " * 50 + "\nHello.\n")


# -- numbers: ASCII digits only ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "directive",
    [
        "[repeat ³]\nHi.\n[end]",
        "[repeat ٣]\nHi.\n[end]",
        "[bls passes=¹²]",
        "[breathe in=4 out=4 rounds=²]",
        "[pause ٥s]",
        "[bls 30s rate=١]",
        "[repeat " + "9" * 5000 + "]\nHi.\n[end]",
    ],
)
def test_digits_other_than_ascii_are_a_problem_not_a_traceback(directive, runner, tmp_path):
    script = write(tmp_path / "d.md", HEAD + "# A\nHello.\n" + directive + "\n")
    with pytest.raises(ScriptError):
        parser.parse_file(script)
    line = one_line_failure(runner.invoke(cli, ["check", str(script)]))
    assert line == "problems in 1 of 1 file"


@pytest.mark.parametrize("value", ["١٥٠", "¹⁵⁰", "9" * 5000])
def test_profile_numbers_take_ascii_digits_only(value):
    with pytest.raises(SessiongenError, match="rate must be a whole number"):
        profile.from_fields({"rate": value}, "client.yaml")


# -- arguments and rosters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("option", [["--var", "name=Sam\udcff"], ["--voice", "calm\udcfe"], ["--say", "Sam\udcff=sam"]])
def test_undecodable_arguments_are_a_usage_error(tmp_path, runner, option):
    script = write(tmp_path / "s.md", HEAD + "# A\nHello {{ name }}.\n")
    out = tmp_path / "out.wav"
    result = runner.invoke(cli, ["render", str(script), *option, *FAKE, "-o", str(out)])
    assert "is not UTF-8 text" in one_line_failure(result, code=2)
    assert "\\xff" in result.output or "\\xfe" in result.output  # the bytes as they were typed
    assert list(tmp_path.iterdir()) == [script]


@pytest.fixture
def roster_folder(tmp_path):
    write(tmp_path / "calm.md", HEAD + "# A\nHello {{ name }}. [pause 2s]\n")
    return tmp_path


def test_an_oversized_cell_makes_only_its_row_invalid(roster_folder):
    huge, long_value, long_path = "x" * 200_000, "y" * 5000, "p" * 400 + ".md"
    roster = write(
        roster_folder / "r.csv",
        f'client_id,technique,name\na,calm.md,Sam\nb,calm.md,"{huge}"\nc,calm.md,{long_value}\nd,{long_path},Ann\ne,calm.md,Robin\n',
    )
    rows = read_roster(roster)
    jobs, invalid = validate(roster, rows, BatchOptions(out_dir=roster_folder / "out"))
    assert [job.client_id for job in jobs] == ["a", "e"]
    assert [(o.row, o.client_id) for o in invalid] == [(2, "b"), (3, "c"), (4, "d")]
    assert all(len(o.error) < 300 for o in invalid)
    assert f"limit of {limits.MAX_CELL_CHARS:,} characters" in invalid[0].error


def test_a_yaml_roster_with_a_long_nested_value_marks_that_row(roster_folder):
    roster = write(
        roster_folder / "r.yaml",
        "- {client_id: a, technique: calm.md, variables: {name: " + "w" * 3000 + "}}\n- {client_id: b, technique: calm.md, name: Kim}\n",
    )
    jobs, invalid = validate(roster, read_roster(roster), BatchOptions(out_dir=roster_folder / "out"))
    assert [job.client_id for job in jobs] == ["b"] and invalid[0].client_id == "a"


@pytest.mark.parametrize(
    "template",
    ["{client_id:999999999}", "{row:0>99999999999999}", "{date:{row}}", "{client_id.__class__}", "{technique:" + "9" * 5000 + "}"],
)
def test_a_name_template_with_a_huge_width_or_a_lookup_is_refused_before_anything(roster_folder, runner, template):
    with pytest.raises(SessiongenError, match="name template"):
        output_path(template, {"client_id": "a", "technique": "t", "date": "d", "row": 1}, roster_folder, "mp3")
    write(roster_folder / "r.csv", "client_id,technique\na,calm.md\n")
    result = runner.invoke(
        cli, ["batch", str(roster_folder / "r.csv"), "-o", str(roster_folder / "out"), *FAKE, "--name-template", template]
    )
    assert "name template" in one_line_failure(result)
    assert not (roster_folder / "out").exists()


def test_a_short_width_in_a_name_template_still_works(roster_folder):
    path = output_path("{client_id}-{row:03}", {"client_id": "a", "technique": "t", "date": "d", "row": 7}, roster_folder, "mp3")
    assert path.name == "a-007.mp3"


# -- one place for the limits, each in the docs ---------------------------------------------------------------


def test_every_limit_is_listed_in_the_reliability_page():
    names = [name for name in vars(limits) if name.startswith("MAX_")]
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert len(names) > 15
    assert [name for name in names if f"`{name}`" not in page] == []


def test_a_composition_of_large_scripts_is_bounded_by_the_same_step_limit(tmp_path):
    body = "# A\n[repeat 40]\n[repeat 40]\nBreathe. [pause 1s]\n[end]\n[end]\n"  # 3,201 steps each: fine alone
    refs = "+".join(str(write(tmp_path / f"s{i}.md", HEAD.replace("probe", f"probe-{i}") + body)) for i in range(7))
    assert len(compose.load(str(tmp_path / "s0.md")).nodes) == 3201
    with pytest.raises(SessiongenError, match=f"limit of {limits.MAX_STEPS:,} steps"):
        compose.load(refs)


# -- found by the fuzzer (tests/fuzz) and the leftovers of issue 16 ----------------------------------------


@pytest.mark.parametrize(
    "template", ["{{ 'ab' * 400000000 }}", "{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}", "{{ 'x' * 500 }}"]
)
def test_check_renders_templates_and_stops_a_bomb_with_the_line_plan_gives(tmp_path, runner, template):
    script = write(tmp_path / "bomb.md", HEAD + f"# A\nHello {template}.\n")
    checked = runner.invoke(cli, ["check", str(script)])
    assert checked.exit_code == 1 and "Traceback" not in checked.output
    planned = one_line_failure(runner.invoke(cli, ["plan", str(script), *FAKE]))
    assert planned.removeprefix("error: ") == checked.output.splitlines()[0]  # the same limit, the same place


def test_check_renders_a_fragments_templates_with_its_own_defaults(tmp_path, runner):
    fragment = write(tmp_path / "fragments" / "part.md", "---\nvariables:\n  word: calm\n---\nSay {{ word * 100000 }}.\n")
    result = runner.invoke(cli, ["check", str(fragment)])
    assert result.exit_code == 1 and "more than the limit" in result.output


@pytest.mark.parametrize(
    "option",
    [
        ["--artist", "Dr\udcff"],
        ["--album", "\udce9t\udce9"],
        ["--engine", "fa\udcffke"],
        ["--sidecars", "vtt\udcff"],
        ["--ambience", "ra\udcffin"],
    ],
)
def test_every_text_option_refuses_undecodable_bytes_before_anything(tmp_path, runner, option):
    script = write(tmp_path / "s.md", HEAD + "# A\nHello {{ name }}.\n")
    result = runner.invoke(cli, ["render", str(script), *FAKE, *option, "-o", str(tmp_path / "new" / "out.wav")])
    assert "is not UTF-8 text" in one_line_failure(result, code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.md"]


def test_undecodable_bytes_in_every_command_are_a_clean_usage_error(tmp_path):
    """Real argv bytes, through a real process: check, plan, render and batch, --var and the rest."""
    write(tmp_path / "s.md", HEAD + "# A\nHello {{ name }}.\n")
    write(tmp_path / "r.csv", "client_id,technique\na,s.md\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "SESSIONGEN_ENGINES": "fake=fake_engine:FakeEngine"}
    fake = [b"--engine", b"fake"]
    for args in (
        [b"plan", b"s.md", b"--var", b"name=Sam\xff", *fake],
        [b"render", b"s.md", b"--var", b"name=Sam\xff", *fake, b"-o", b"o.wav"],
        [b"render", b"s.md", b"--artist", b"Dr\xff", *fake, b"-o", b"o.wav"],
        [b"batch", b"r.csv", b"--artist", b"\xe9", *fake, b"-o", b"b"],
        [b"batch", b"r.csv", b"--name-template", b"{client_id}\xff", *fake, b"-o", b"b"],
        [b"batch", b"r.csv", b"--date", b"2026\xff", *fake, b"-o", b"b"],
    ):
        done = subprocess.run([sys.executable, "-m", "sessiongen", *args], cwd=tmp_path, env=env, capture_output=True, timeout=120)
        err = done.stderr.decode("utf-8", "backslashreplace")
        assert done.returncode == 2 and "is not UTF-8 text" in err and "Traceback" not in err and "internal" not in err, (args, err)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "s.md"], args


def test_a_profile_variable_that_is_a_list_or_a_mapping_is_one_line(tmp_path, runner):
    script = write(tmp_path / "s.md", HEAD + "# A\nHello {{ name }}.\n")
    for text in ("variables: {name: {x: 1}}\n", "variables: {name: [a, b]}\n"):
        client = write(tmp_path / "p.yaml", text)
        line = one_line_failure(runner.invoke(cli, ["plan", str(script), *FAKE, "--profile", str(client)]))
        assert "variables: name must be text, not a list or a mapping" in line


def test_a_yaml_roster_cell_for_a_variable_that_is_a_mapping_marks_its_row(roster_folder):
    roster = write(
        roster_folder / "r.yaml", "- {client_id: a, technique: calm.md, name: {x: 1}}\n- {client_id: b, technique: calm.md, name: Kim}\n"
    )
    jobs, invalid = validate(roster, read_roster(roster), BatchOptions(out_dir=roster_folder / "out"))
    assert [job.client_id for job in jobs] == ["b"] and "must be text" in invalid[0].error


def test_a_yaml_reader_error_is_one_line(tmp_path, runner):
    script = write(tmp_path / "s.md", HEAD + "# A\nHello.\n")
    client = tmp_path / "p.yaml"
    client.write_bytes(b"\x00name: Sam\n")
    line = one_line_failure(runner.invoke(cli, ["plan", str(script), *FAKE, "--profile", str(client)]))
    assert "unacceptable character" in line and "<unicode string>" not in line


def test_every_error_message_is_one_line_whatever_it_quotes():
    for text in ("a\nb", "a\r\nb", "a\u2028b", "a\x0cb", "  a \n\n b  "):
        error = SessiongenError(text)
        assert str(error) == "a b" and error.message == "a b"


def test_a_roster_cell_with_control_characters_is_shown_on_one_line(roster_folder, runner):
    """Found by tests/fuzz: a client_id holding a form feed split its row's error over two lines."""
    write(roster_folder / "r.csv", 'client_id,technique\n"0\x0c\x1b[2J.",\n"a\nb",calm.md\n')
    result = runner.invoke(
        cli, ["batch", str(roster_folder / "r.csv"), "-o", str(roster_folder / "out"), *FAKE, "--workers", "1", "--dry-run"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    rows = [line for line in result.output.splitlines() if line.startswith("row ")]
    assert len(rows) == 1 and "\x1b" not in rows[0] and "\\x1b[2J" in rows[0]


def test_stems_over_four_gib_are_rf64_and_read_back_whole(tmp_path):
    """A float stereo stem passes WAV's 32-bit sizes after 3 h 23 min: it is written as RF64 then
    (issue 28, class 8), which libsndfile reads back to the frame."""
    import numpy as np
    import soundfile as sf

    from sessiongen.output.encode import SoundfileWriter, stem_format

    assert stem_format(int(3.3 * 3600 * 44_100)) == "wav" and stem_format(int(3.5 * 3600 * 44_100)) == "rf64"
    writer = SoundfileWriter(tmp_path / "voice.wav", 44_100, "rf64", subtype="FLOAT")
    writer.write(np.full((44_100, 2), 0.25, dtype=np.float32))
    writer.close()
    info = sf.info(str(tmp_path / "voice.wav"))
    assert info.format == "RF64" and info.frames == 44_100 and info.subtype == "FLOAT"
