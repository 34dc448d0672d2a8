"""What one session asks for: the defaults, then a manifest's record (`render --from-manifest`),
then a client's profile, then the options given.

A front end (the command line, the studio) gathers what it was given into `SessionOptions`, with
options by the names of the option specification (sessiongen/options/table.py);
`session_request` applies them in that order of precedence and returns the settings, the
profile and the values a script takes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sessiongen import options
from sessiongen.errors import SessiongenError
from sessiongen.model.script import Script
from sessiongen.options.profile import Profile
from sessiongen.options.profile import load as load_profile
from sessiongen.rebuild import Recorded, read_manifest
from sessiongen.settings import DEFAULTS, Settings

log = logging.getLogger(__name__)


def on_command_line(option: options.Option) -> str:
    return option.label_on_command_line


@dataclass(frozen=True)
class SessionOptions:
    """A session's inputs as a front end gathered them; options by name, None ('' or ()) meaning
    'not given'."""

    options: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    profile: Path | None = None
    manifest: Path | None = None  # render --from-manifest: the session recorded there is the base
    no_cache: bool = False
    label: Callable[[options.Option], str] = on_command_line  # how an error names an option


@dataclass(frozen=True)
class SessionRequest:
    """A session's settings, the profile they came from and the variables given outright."""

    settings: Settings
    profile: Profile
    variables: dict
    use_cache: bool
    recorded: Recorded | None = None  # the manifest it was rebuilt from

    def values_for(self, script: Script) -> dict[str, str]:
        """The profile's values the script declares, then every variable given outright."""
        values = {**self.profile.values_for(script.meta.defaults), **self.variables}
        if self.recorded is not None:
            self.recorded.check_values(values, self.settings)
        return values


def session_request(given: SessionOptions) -> SessionRequest:
    """The defaults, a manifest's record, the profile, then every option given, each on top."""
    recorded = read_manifest(given.manifest) if given.manifest else None
    profile = load_profile(given.profile) if given.profile else Profile()
    chosen = options.changes(given.options, given.label)
    layers = (recorded.settings if recorded else {}, profile.settings, chosen)
    settings = options.check(DEFAULTS.but(**options.merged(*layers)))
    if recorded is not None:
        recorded.check_pack(settings)
    log.debug("settings given: %s", sorted(options.merged(*layers)))
    return SessionRequest(settings, profile, dict(given.variables), not given.no_cache, recorded)


def make_folder(folder: Path) -> None:
    """A folder for output (and its parents), made if it is missing."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SessiongenError(f"{folder}: cannot create the folder ({exc.strerror})") from exc
