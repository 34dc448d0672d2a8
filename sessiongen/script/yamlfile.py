"""Reading a small YAML file a user wrote (a profile, a session file), with one-line errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from sessiongen.errors import SessiongenError


def read(path: Path, what: str = "file"):
    """The file's data (loaded safely); every problem is a SessiongenError naming the file and line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SessiongenError(f"{path}: no such {what}") from None
    except UnicodeDecodeError:
        raise SessiongenError(f"{path}: is not UTF-8 text: save it as UTF-8") from None
    except OSError as exc:
        raise SessiongenError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SessiongenError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
