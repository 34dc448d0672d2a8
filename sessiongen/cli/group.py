"""The command groups: every command in them takes --verbose and --debug, and the top group
reports every error of every command in one place (`diagnostics`)."""

from __future__ import annotations

import click

from sessiongen.cli.diagnostics import diagnostic_options, logging_to_stderr, reported_errors
from sessiongen.cli.options import require_text


def _take_diagnostics(command: click.Command) -> None:
    given = {name for param in command.params for name in param.opts}
    command.params.extend(option for option in diagnostic_options() if not given & set(option.opts))
    require_text(command)


class Group(click.Group):
    """A group that takes --verbose and --debug, and gives them to every command added to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for command in (self, *self.commands.values()):
            _take_diagnostics(command)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _take_diagnostics(cmd)
        super().add_command(cmd, name)


class TopGroup(Group):
    """The `sessiongen` group: logs to stderr at the level asked for, and turns errors into lines."""

    def invoke(self, ctx: click.Context):
        with logging_to_stderr(ctx), reported_errors(ctx):
            return super().invoke(ctx)
