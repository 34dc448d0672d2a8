"""What one session asks for: the defaults, then a client's profile, then the options given.

The command line (or any other front end) gathers the options into `SessionOptions`;
`session_request` applies them in that order of precedence and returns the settings, the
profile and the values a script takes. None (or False for a flag) means "not given".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from pathlib import Path

from sessiongen import pipeline
from sessiongen.errors import SessiongenError
from sessiongen.model.script import Script
from sessiongen.script.profile import Profile, from_fields
from sessiongen.script.profile import load as load_profile
from sessiongen.settings import DEFAULTS, Settings
from sessiongen.speech import pronounce

log = logging.getLogger(__name__)

DUCK_RANGE_DB = (0.0, 30.0)


@dataclass(frozen=True)
class SessionOptions:
    """The session options of `render` and `plan`, as given; each overrides the profile."""

    variables: dict = field(default_factory=dict)
    profile: Path | None = None
    minutes: float | None = None
    voice: str | None = None
    say: tuple = ()  # (word, respelling) pairs, on top of the profile's pronunciations
    rate: int | None = None
    pause_scale: float | None = None
    slow_ending: bool = False
    bls: bool | None = None
    bls_rate: float | None = None
    bls_tone: str | None = None
    bls_depth: float | None = None
    ambience: str | None = None
    ambience_vary: bool = False
    duck: float | None = None
    mono: bool = False
    no_headphone_check: bool = False
    seed: int | None = None
    engine: str | None = None
    language: str | None = None
    no_cache: bool = False
    voice_pack: Path | None = None
    allow_synthetic: bool = False


SESSION_OPTION_NAMES = tuple(f.name for f in fields(SessionOptions))


@dataclass(frozen=True)
class SessionRequest:
    """A session's settings, the profile they came from and the variables given outright."""

    settings: Settings
    profile: Profile
    variables: dict
    use_cache: bool

    def values_for(self, script: Script) -> dict[str, str]:
        """The profile's values the script declares, then every variable given outright."""
        return {**self.profile.values_for(script.meta.defaults), **self.variables}


def session_request(given: SessionOptions) -> SessionRequest:
    """The defaults, the profile on top of them, then every option given on top of both."""
    profile = load_profile(given.profile) if given.profile else Profile()
    lo, hi = DUCK_RANGE_DB
    if given.duck is not None and not lo <= given.duck <= hi:
        raise SessiongenError(f"--duck {given.duck:g} is out of range: use {lo:g} to {hi:g} dB")
    checked = {
        "voice_pack": given.voice_pack, "rate": given.rate, "minutes": given.minutes, "pause_scale": given.pause_scale, "bls_rate": given.bls_rate,
        "bls_depth": given.bls_depth, "seed": given.seed,
    }
    overrides = from_fields({k: v for k, v in checked.items() if v is not None}, "command line", variables_ok=False, as_options=True).settings
    settings = DEFAULTS.but(**profile.settings).but(
        **overrides, voice=given.voice, bls=given.bls, bls_timbre=given.bls_tone, ambience=given.ambience,
        engine=given.engine, language=given.language, mono=given.mono or None, headphone_check=False if given.no_headphone_check else None, duck_db=given.duck, bed_vary=given.ambience_vary or None,
        slow_ending=given.slow_ending or None, allow_synthetic=given.allow_synthetic or None,
        pronunciations=pronounce.merged(profile.settings.get("pronunciations", ()), given.say) or None,
    )
    log.debug("settings from %s: %s", "a profile and options" if given.profile else "options", sorted({**profile.settings, **overrides}))
    return SessionRequest(settings, profile, dict(given.variables), not given.no_cache)


def output_settings(settings: Settings, bitrate_kbps: int | None = None, bit_depth: int | None = None,
                    loudness_lufs: float | None = None, loudness_mode: str | None = None) -> Settings:
    """The settings with the output's bitrate, bit depth, loudness target and mode, where given."""
    if loudness_lufs is not None:
        loudness_lufs = from_fields({"loudness": loudness_lufs}, "command line", as_options=True).settings["loudness_lufs"]
    return settings.but(mp3_bitrate_kbps=bitrate_kbps, bit_depth=bit_depth, loudness_lufs=loudness_lufs, loudness_mode=loudness_mode)


def output_file(output: Path | None, script: Script, values: dict[str, str], fmt: str | None) -> Path:
    """The file to write: the one given, or output/ID[-NAME].FORMAT. Its folder, if missing, is
    made by `output.files.made_folders` around the delivery (and removed if the delivery fails)."""
    return output if output is not None else pipeline.default_output(script, values, fmt or "mp3")


def make_folder(folder: Path) -> None:
    """A folder for output (and its parents), made if it is missing."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SessiongenError(f"{folder}: cannot create the folder ({exc.strerror})") from exc
