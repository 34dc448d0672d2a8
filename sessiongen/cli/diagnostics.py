"""What the user sees when something goes wrong, or when asking for detail.

- A problem the user can fix (SessiongenError, a file the system refuses) is one line on stderr
  and exit 1; a script's problems are shown as `check` shows the first of them.
- Ctrl-C is one line and exit 130; SIGTERM and SIGHUP too, with 143 and 129 (`signals`). Click's
  own usage errors exit 2.
- Anything else is a bug: one line, `error: internal error: ...`, and exit 1; with --debug its
  traceback comes first.
- `--verbose` shows the library's INFO log messages on stderr, `--debug` its DEBUG ones too. Both
  are accepted by the group and by every command (`sessiongen render X --debug`).
"""

from __future__ import annotations

import contextlib
import logging

import click

from sessiongen.errors import ScriptError, SessiongenError
from sessiongen.speech import isolated

LOGGER = logging.getLogger("sessiongen")  # the parent of every module's logger
LEVEL_KEY = "sessiongen.log_level"  # in the invocation's ctx.meta, shared by nested commands
DEFAULT_LEVEL = logging.WARNING


class _Echo(logging.Handler):
    """Log records on stderr through click, so they go wherever click's output goes."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # logging must never break a command
            self.handleError(record)


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.levelno <= logging.DEBUG:
            text = f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


HANDLER = _Echo()
HANDLER.setFormatter(_Format())


def diagnostic_options() -> list[click.Option]:
    """--verbose and --debug, new for each command that takes them."""
    return [
        click.Option(
            ["--verbose"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_lowering(logging.INFO),
            help="Say what is happening (log messages on stderr).",
        ),
        click.Option(
            ["--debug"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_lowering(logging.DEBUG),
            help="Detail for developers, and the traceback of an internal error.",
        ),
    ]


def _lowering(level: int):
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.meta[LEVEL_KEY] = min(ctx.meta.get(LEVEL_KEY, DEFAULT_LEVEL), level)
            if HANDLER in LOGGER.handlers:  # a command's flag, after the group's
                _apply(ctx.meta[LEVEL_KEY])

    return callback


def _apply(level: int) -> None:
    HANDLER.setLevel(level)
    LOGGER.setLevel(level)


def debugging(ctx: click.Context) -> bool:
    return ctx.meta.get(LEVEL_KEY, DEFAULT_LEVEL) <= logging.DEBUG


@contextlib.contextmanager
def logging_to_stderr(ctx: click.Context):
    """The library's log messages on stderr for one invocation, at the level asked for."""
    previous = LOGGER.level
    LOGGER.addHandler(HANDLER)
    _apply(ctx.meta.get(LEVEL_KEY, DEFAULT_LEVEL))
    try:
        yield
    finally:
        LOGGER.removeHandler(HANDLER)
        LOGGER.setLevel(previous)


@contextlib.contextmanager
def reported_errors(ctx: click.Context):
    """Every exception of a command turned into the line (and exit status) described above."""
    try:
        yield
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise  # click reports these itself (usage errors exit 2)
    except ScriptError as exc:
        _fail(ctx, str(exc), 1)  # the first problem, and how many more `check` will show
    except SessiongenError as exc:
        _fail(ctx, f"error: {exc}", 1)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP as signals.Stopped
        isolated.stop_all()
        name = getattr(exc, "signal_name", "Ctrl-C")
        _fail(
            ctx, f"interrupted{'' if name == 'Ctrl-C' else f' ({name})'}: nothing was left half-written", getattr(exc, "exit_status", 130)
        )
    except OSError as exc:  # a file the user named that the system refuses (too long, no access, ...)
        name = exc.filename or ""
        _fail(ctx, f"error: {name}{': ' if name else ''}{exc.strerror or exc}", 1)
    except Exception as exc:  # a bug: one line, and its traceback with --debug
        hint = "" if debugging(ctx) else " (run again with --debug to see where)"
        _fail(ctx, f"error: internal error: {type(exc).__name__}: {exc}{hint}", 1)


def _fail(ctx: click.Context, line: str, status: int):
    """The line, after the traceback when --debug asked for it (a user's error has one too)."""
    LOGGER.debug("where the error below was raised:", exc_info=True)
    click.echo(line, err=True)
    ctx.exit(status)
