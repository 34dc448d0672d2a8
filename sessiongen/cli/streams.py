"""Printing never fails a command: the command line's stdout and stderr, made safe once at start.

- A reader that stops early (`sessiongen voices | head`) closes the pipe: the next write would
  raise BrokenPipeError. Like a well-behaved Unix tool, the command stops printing quietly (its
  output goes to the null device from then on) and ends with its own status; nothing it was
  writing to disk is cut short.
- A terminal whose encoding cannot show a name (a Cyrillic title on a Latin-1 or cp1252 console)
  gets a replacement character instead of an encoding error.
"""

from __future__ import annotations

import os
import sys


class SafeStream:
    """A text stream whose writes cannot fail on a closed pipe or an unencodable character."""

    def __init__(self, stream):
        self._stream = stream
        self._closed_pipe = False

    def write(self, text: str) -> int:
        if self._closed_pipe:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def flush(self) -> None:
        if self._closed_pipe:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()

    def _to_null(self) -> None:
        """The reader has gone: what is still buffered, and all that follows, goes nowhere."""
        self._closed_pipe = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):  # not a real file: nothing is left to flush
            pass

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def make_safe() -> None:
    """Replace sys.stdout and sys.stderr by safe ones (the command line's entry point calls this)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, SafeStream):
            continue
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
        setattr(sys, name, SafeStream(stream))
