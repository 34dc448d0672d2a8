"""Diagnostics: --verbose and --debug on every command, internal errors as one line (or a traceback
with --debug), and a batch row's traceback kept in the run's log file."""

from __future__ import annotations

import json
import logging

import click
import pytest
from helpers import script_text

from sessiongen import pipeline
from sessiongen.batch import execute
from sessiongen.cli import COMMANDS, cli

FAKE = ["--engine", "fake"]


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "calm.md"
    body = "# Start\nWelcome{% if name %}, {{ name }}{% endif %}.\n[pause 2s]\n# End\nGoodbye.\n"
    path.write_text(script_text(body, duration="20s", extra='variables:\n  name: ""\n'), encoding="utf-8")
    return path


def every_command(group=cli, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield [*prefix, name], command
        if isinstance(command, click.Group):
            yield from every_command(command, (*prefix, name))


def test_the_registry_is_the_group():
    assert sorted(c.name for c in COMMANDS) == sorted(cli.commands)


@pytest.mark.parametrize("path", [p for p, _ in every_command()], ids=" ".join)
def test_every_command_has_help_and_takes_verbose_and_debug(runner, path):
    command = dict((tuple(p), c) for p, c in every_command())[tuple(path)]
    assert command.help
    for flag in ("--verbose", "--debug"):
        result = runner.invoke(cli, [*path, flag, "--help"])
        assert result.exit_code == 0, result.output
        assert flag in result.output
        assert runner.invoke(cli, [flag, *path, "--help"]).exit_code == 0  # on the group too


def test_flags_after_the_command_work_and_logging_is_put_back(runner, script):
    package = logging.getLogger("sessiongen")
    level, handlers = package.level, list(package.handlers)
    quiet = runner.invoke(cli, ["plan", str(script), *FAKE])
    debug = runner.invoke(cli, ["plan", str(script), *FAKE, "--debug"])
    assert quiet.exit_code == debug.exit_code == 0
    assert "debug: " not in quiet.output
    assert "debug: sessiongen.request: " in debug.output  # the library's DEBUG messages, named by module
    assert debug.stdout == quiet.stdout  # stdout is the same; messages go to stderr
    assert (package.level, package.handlers) == (level, handlers)


@pytest.fixture
def broken_load(monkeypatch):
    def load(ref, language=None):
        raise RuntimeError("a bug in the loader")

    monkeypatch.setattr(pipeline, "load", load)


def test_an_internal_error_is_one_line_and_exit_1(runner, script, broken_load):
    result = runner.invoke(cli, ["render", str(script), *FAKE])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: internal error: RuntimeError: a bug in the loader")


@pytest.mark.parametrize("where", ["group", "command"])
def test_debug_shows_the_traceback_of_an_internal_error(runner, script, broken_load, where):
    args = ["--debug", "render", str(script), *FAKE] if where == "group" else ["render", str(script), *FAKE, "--debug"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.output and "in load" in result.output
    assert result.output.strip().splitlines()[-1] == "error: internal error: RuntimeError: a bug in the loader"


def test_user_errors_stay_one_line_and_usage_errors_exit_2_with_or_without_debug(runner, tmp_path):
    result = runner.invoke(cli, ["render", str(tmp_path / "missing.md"), *FAKE])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    debug = runner.invoke(cli, ["render", str(tmp_path / "missing.md"), *FAKE, "--debug"])
    assert debug.exit_code == 1 and debug.output.strip().splitlines()[-1] == result.output.strip()
    assert runner.invoke(cli, ["render", "x", "--no-such-option", "--debug"]).exit_code == 2


ROWS = "client_id,technique,name\nc-1,{script},Sam\nc-2,{script},Robin\nc-3,{script},Alex\n"


@pytest.mark.parametrize("stage", ["prepare", "deliver"])  # prepare: while speaking ahead; deliver: while rendering
def test_a_batch_row_with_an_internal_error_logs_its_traceback_and_the_others_render(runner, script, tmp_path, monkeypatch, stage):
    original = getattr(pipeline, stage)

    def broken(*args, **kwargs):
        if args[1].get("name") == "Robin":
            raise RuntimeError("a bug for one row")
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, stage, broken)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROWS.format(script=script), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["batch", str(roster), "-o", str(out), "--workers", "1", "--date", "2026-01-02", *FAKE])
    assert result.exit_code == 1
    rows = {r["client_id"]: r for r in json.loads((out / "report.json").read_text())["rows"]}
    assert {k: r["status"] for k, r in rows.items()} == {"c-1": "rendered", "c-2": "failed", "c-3": "rendered"}
    assert rows["c-2"]["error"] == "internal error: RuntimeError: a bug for one row"  # the row's outcome as before
    assert "Traceback" not in result.output and "batch.log" in result.output
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert "row 2 (client_id c-2) failed with an internal error" in log
    assert "Traceback (most recent call last)" in log and "in broken" in log
    assert "RuntimeError: a bug for one row" in log
    assert not any(name in log for name in ("Sam", "Robin", "Alex"))  # no personal values in the log


def test_a_batch_without_bugs_logs_rows_by_number_only(runner, script, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROWS.format(script=script), encoding="utf-8")
    out = tmp_path / "out"
    assert runner.invoke(cli, ["batch", str(roster), "-o", str(out), "--workers", "1", *FAKE]).exit_code == 0
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert "row 3: rendered" in log and "Traceback" not in log
    assert not any(name in log for name in ("Sam", "Robin", "Alex"))


class BrokenQueue:
    def empty(self):
        return False

    def get_nowait(self):
        raise EOFError("the manager went away")


def test_a_broken_progress_queue_is_logged_not_swallowed(caplog):
    with caplog.at_level(logging.WARNING, logger="sessiongen"):
        assert execute._drain(BrokenQueue(), lambda row, fraction: None) is False
    assert "progress updates stopped (EOFError: the manager went away)" in caplog.text
