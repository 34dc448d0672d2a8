"""Client profiles and roster fields: one table maps each field to a setting or a script variable.

A profile (YAML) holds a client's preferences; a roster row holds the same fields as columns.
Personal fields (name, pronouns, safe place, cue word, anchor) become script variables where the
script declares them, so one profile works with every technique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sessiongen.errors import SessiongenError, suggest
from sessiongen.script import yamlfile
from sessiongen.script.durations import WHOLE_NUMBER
from sessiongen.script.limits import MAX_FIELD_CHARS
from sessiongen.script.pacing import PAUSE_SCALE_RANGE
from sessiongen.script.words import ENGLISH
from sessiongen.sound import catalog
from sessiongen.speech import pronounce

PERSONAL = ("name", "pronouns", "safe_place", "cue_word", "anchor")
ANCHORS = ENGLISH.anchors  # said in the script's language once personalised (script/words.anchor_in)


def _text(value) -> str:
    if isinstance(value, (list, dict, tuple, set)):
        raise ValueError("must be text, not a list or a mapping")
    text = str(value).strip()
    if len(text) > MAX_FIELD_CHARS:
        raise ValueError(f"is longer than the limit of {MAX_FIELD_CHARS} characters")
    return text


def _number(lo: float, hi: float, kind=float):
    def convert(value):
        try:
            if isinstance(value, str) and not (value.strip().isascii() and (kind is float or WHOLE_NUMBER.fullmatch(value.strip()))):
                raise ValueError(value)  # other scripts' digits, or an integer too long for int()
            number = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number from {_show(lo)} to {_show(hi)}") from None
        if not lo <= number <= hi:
            raise ValueError(f"must be from {_show(lo)} to {_show(hi)}, not {value}")
        return number

    return convert


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "on", "1", "y"):
        return True
    if text in ("no", "false", "off", "0", "n", ""):
        return False
    raise ValueError("must be yes or no")


def _choice(choices):
    def convert(value):
        text = str(value).strip()
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}{suggest(text, choices)}")
        return text

    return convert


def _anchor(value) -> str:
    text = _text(value)
    return ANCHORS.get(text.lower(), text)


def _ambience(value) -> str:
    text = str(value).strip()
    try:
        is_file = Path(text).is_file()
    except OSError as exc:  # a name too long for the file system, ...
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    if text in catalog.BEDS or text == "none" or is_file:
        return str(Path(text).resolve()) if is_file else text
    raise ValueError(f"must be a bed name, an audio file or none{suggest(text, catalog.BEDS)}")


def _voice_pack(value) -> str:
    """A voice pack folder (made absolute: a roster's packs are found from wherever it runs)."""
    text = _text(value)
    try:
        is_folder = Path(text).is_dir()
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    if not is_folder:
        raise ValueError(f"must be a voice pack folder: {text} is not a folder")
    return str(Path(text).resolve())


def _pronunciations(value) -> tuple:
    try:
        return pronounce.parse(value, "")
    except SessiongenError as exc:
        raise ValueError(exc.message) from None


LOUDNESS_MODES = ("voice", "programme")  # what lands on the loudness target: the narration, or the whole mix

# field -> (setting name or None for a variable, converter)
FIELDS = {
    "name": (None, _text),
    "pronouns": (None, _text),
    "safe_place": (None, _text),
    "cue_word": (None, _text),
    "anchor": (None, _anchor),
    "voice": ("voice", _text),
    "voice_pack": ("voice_pack", _voice_pack),
    "allow_synthetic": ("allow_synthetic", _flag),
    "pronunciations": ("pronunciations", _pronunciations),
    "rate": ("rate_wpm", _number(60, 400, int)),
    "pause_scale": ("pause_scale", _number(*PAUSE_SCALE_RANGE)),
    "slow_ending": ("slow_ending", _flag),
    "bls": ("bls", _flag),
    "bls_rate": ("bls_rate_hz", _number(catalog.BLS_RATE_MIN_HZ, catalog.BLS_RATE_MAX_HZ)),
    "bls_tone": ("bls_timbre", _choice(tuple(catalog.TIMBRES))),
    "bls_depth": ("bls_depth_pct", _number(0, 100)),
    "ambience": ("ambience", _ambience),
    "loudness": ("loudness_lufs", _number(-30, -10)),
    "loudness_mode": ("loudness_mode", _choice(LOUDNESS_MODES)),
    "minutes": ("minutes", _number(0.5, 240)),
    "seed": ("seed", _number(0, 2**31 - 1, int)),
}


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
            settings={**self.settings, **other.settings, **_merged_pronunciations(self.settings, other.settings)},
            values={**self.values, **other.values},
            explicit=tuple(dict.fromkeys(self.explicit + other.explicit)),
        )


def _merged_pronunciations(under: dict, over: dict) -> dict:
    if "pronunciations" not in under or "pronunciations" not in over:
        return {}
    return {"pronunciations": pronounce.merged(under["pronunciations"], over["pronunciations"])}


def from_fields(data: dict, where: str, variables_ok: bool = True, as_options: bool = False) -> Profile:
    """Fields (a profile mapping, a roster row, or command-line options with as_options) ->
    Profile; the first bad one is an error."""
    settings, values, explicit, client_id = {}, {}, [], ""
    for key, raw in data.items():
        if raw is None or (isinstance(raw, str) and not raw.strip() and key not in PERSONAL):
            continue  # an empty cell keeps the default
        if key == "client_id":
            client_id = str(raw).strip()
        elif key == "variables" and variables_ok:
            if not isinstance(raw, dict):
                raise SessiongenError(f"{where}: 'variables' must be a mapping of names to text")
            values.update({str(k): _converted(_text, v, f"{where}: variables: {k}") for k, v in raw.items()})
            explicit += [str(k) for k in raw]
        elif key in FIELDS:
            target, convert = FIELDS[key]
            value = _converted(convert, raw, f"--{key.replace('_', '-')}" if as_options else f"{where}: {key}")
            if target is None:
                values[key] = value
            else:
                settings[target] = value
        else:
            raise SessiongenError(f"{where}: unknown field '{key}'{suggest(str(key), FIELDS)}")
    return Profile(client_id=client_id, settings=settings, values=values, explicit=tuple(explicit))


def _converted(convert, raw, label: str):
    """A field's value converted, or the SessiongenError naming the field (never a bare ValueError)."""
    try:
        return convert(raw)
    except ValueError as exc:
        raise SessiongenError(f"{label} {exc}") from None


def load(path: Path | str) -> Profile:
    path = Path(path)
    data = yamlfile.read(path, "profile")
    if not isinstance(data, dict):
        raise SessiongenError(f"{path}: a profile is a mapping of fields, e.g. 'name: Sam'")
    return from_fields(data, str(path))
