"""Every user-facing option, declared once (`table.OPTIONS`), and applied the same way by every
front end: the command line, profiles and rosters, the studio, the manifest."""

from sessiongen.options.apply import changes, check, merged, parse, recorded
from sessiongen.options.table import BY_FIELD, BY_NAME, CLI, INTERNAL, OPTIONS, OUTPUT, PROFILE, SESSION, STUDIO, Option

__all__ = [
    "BY_FIELD",
    "BY_NAME",
    "CLI",
    "INTERNAL",
    "OPTIONS",
    "OUTPUT",
    "PROFILE",
    "SESSION",
    "STUDIO",
    "Option",
    "changes",
    "check",
    "merged",
    "parse",
    "recorded",
]
