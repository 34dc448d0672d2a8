"""Client profiles and roster rows: a client's options (by the names of the option specification)
and personal fields.

A profile (YAML) holds a client's preferences; a roster row holds the same fields as columns.
Personal fields (name, pronouns, safe place, cue word, anchor) become script variables where the
script declares them, so one profile works with every technique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.options.apply import changes, given, merged
from sessiongen.options.kinds import text_of
from sessiongen.options.table import BY_NAME, PROFILE
from sessiongen.script import yamlfile
from sessiongen.words import ENGLISH

PERSONAL = ("name", "pronouns", "safe_place", "cue_word", "anchor")
ANCHORS = ENGLISH.anchors  # said in the script's language once personalised (words.anchor_in)
FIELDS = (*PERSONAL, *(name for name, option in BY_NAME.items() if PROFILE in option.fronts))


@dataclass(frozen=True)
class Profile:
    """A client's preferences: settings to change, and variable values."""

    client_id: str = ""
    settings: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)  # personal fields and explicit variables
    explicit: tuple[str, ...] = ()  # variables named outright: every script using them must declare them

    def values_for(self, declared) -> dict[str, str]:
        """The values a given script takes: personal fields it declares, and every explicit one."""
        return {k: v for k, v in self.values.items() if k in declared or k in self.explicit}

    def merged(self, other: Profile) -> Profile:
        """`other` on top of this one (a roster row over its profile file)."""
        return Profile(
            client_id=other.client_id or self.client_id,
            settings=merged(self.settings, other.settings),
            values={**self.values, **other.values},
            explicit=tuple(dict.fromkeys(self.explicit + other.explicit)),
        )


def personal(key: str, raw, where: str, anchors: bool = True) -> str:
    """A personal field's text (an anchor's short name becomes its words)."""
    try:
        text = text_of(raw)
    except ValueError as exc:
        raise SessiongenError(f"{where}: {key} {exc}", option=key) from None
    return ANCHORS.get(text.lower(), text) if key == "anchor" and anchors else text


def from_fields(data: dict, where: str, variables_ok: bool = True) -> Profile:
    """Fields (a profile mapping or a roster row) -> Profile; the first bad one is an error."""
    options, values, explicit, client_id = {}, {}, [], ""
    for key, raw in data.items():
        if raw is None or (isinstance(raw, str) and not raw.strip() and key not in PERSONAL):
            continue  # an empty cell keeps the default
        if key == "client_id":
            client_id = str(raw).strip()
        elif key == "variables" and variables_ok:
            if not isinstance(raw, dict):
                raise SessiongenError(f"{where}: 'variables' must be a mapping of names to text")
            values.update({str(k): personal(str(k), v, f"{where}: variables", anchors=False) for k, v in raw.items()})
            explicit += [str(k) for k in raw]
        elif key in PERSONAL:
            values[key] = personal(key, raw, where)
        elif key in FIELDS:
            options[key] = raw
        else:
            raise SessiongenError(f"{where}: unknown field '{key}'{suggest(str(key), FIELDS)}")
    settings = changes({k: v for k, v in options.items() if given(v)}, lambda option: f"{where}: {option.name}")
    return Profile(client_id=client_id, settings=settings, values=values, explicit=tuple(explicit))


def load(path: Path | str) -> Profile:
    path = Path(path)
    data = yamlfile.read(path, "profile")
    if not isinstance(data, dict):
        raise SessiongenError(f"{path}: a profile is a mapping of fields, e.g. 'name: Sam'")
    return from_fields(data, str(path))
