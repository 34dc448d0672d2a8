"""A session rebuilt from its manifest (`render --from-manifest`): the options it recorded become
the base of a new request, the script is found again, and the variables' values are asked for
again (the manifest keeps only their names)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sessiongen import options
from sessiongen.errors import SessiongenError, display_path
from sessiongen.options.kinds import Bed, Folder


@dataclass(frozen=True)
class Recorded:
    path: Path
    source: str  # the script as it was named: a library id, a composition, or a file's name
    script_version: str
    settings: dict  # settings changes, by field
    variables: tuple[str, ...]
    format: str
    voice_pack: str | None  # the pack's name, where a recorded voice spoke
    personal_pronunciations: int = 0  # pronunciations of personal values, left out of the manifest

    def script_ref(self) -> str:
        """The script to load: a library reference as recorded, or the file found beside the
        manifest or in the working folder."""
        return "+".join(self._found(part) for part in self.source.split("+"))

    def _found(self, part: str) -> str:
        if not Path(part).suffix:
            return part  # a library id
        for place in (self.path.parent / part, Path(part)):
            if place.is_file():
                return str(place)
        raise SessiongenError(
            f"{display_path(self.path)}: the session's script {self.source} is neither beside the manifest nor here: "
            f"give it, as in `sessiongen render SCRIPT --from-manifest {display_path(self.path)}`"
        )

    def changes(self, script) -> list[str]:
        """A warning if the script is no longer the one the manifest recorded."""
        from sessiongen.output.manifest import script_version

        now = script_version(script)
        if now == self.script_version:
            return []
        return [
            f"the script has changed since {display_path(self.path)} was written (version {self.script_version}, now {now}): the audio will differ"
        ]

    def check_pack(self, settings) -> None:
        if self.voice_pack and not settings.voice_pack:
            raise SessiongenError(
                f"{display_path(self.path)}: the session was spoken by the voice pack {self.voice_pack}, which a manifest names only: "
                f"give its folder with --voice-pack"
            )

    def check_values(self, values: dict, settings) -> None:
        """Every value the session used is given again, and the pronunciations of them."""
        said = " ".join(values.values()).casefold()
        personal = [word for word, _ in settings.pronunciations if word.casefold() in said]
        if len(personal) < self.personal_pronunciations:
            raise SessiongenError(
                f"{display_path(self.path)}: the session said {self.personal_pronunciations} personal value(s) as respelled, which a manifest "
                "does not keep: give the pronunciation again, e.g. --say NAME=RESPELLING"
            )
        missing = [name for name in self.variables if name not in values]
        if missing:
            shown = ", ".join(missing)
            raise SessiongenError(
                f"{display_path(self.path)}: the session used the value{'s' * (len(missing) > 1)} of {shown}, which a manifest does not keep: "
                f"give {'each' if len(missing) > 1 else 'it'} again, e.g. --var {missing[0]}=VALUE"
            )


def read_manifest(path: Path) -> Recorded:
    """The session a manifest records; one clear line if it cannot be read or is not one."""
    shown = display_path(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        params, fmt = data["parameters"], data["output"]["format"]
        source, version, variables = params["source"], params["script_version"], tuple(params["variables"])
    except OSError as exc:
        raise SessiongenError(f"{shown}: cannot read the manifest ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise SessiongenError(
            f"{shown}: not a sessiongen manifest of version 0.2 or later ({type(exc).__name__}: {exc}): give a NAME.manifest.json written by render"
        ) from None
    pack = params.get("voice_pack")
    values = {name: _beside(path, name, params.get(name)) for name in options.BY_NAME if name in params and name != "voice_pack"}
    if pack:  # the manifest keeps the pack's name only; the engine and voice recorded are the synthetic ones
        values = {k: v for k, v in values.items() if k not in ("engine", "voice") or v}
    settings = options.changes(values, lambda option: f"{shown}: {option.name}")
    return Recorded(
        Path(path), str(source), str(version), settings, variables, str(fmt), pack, int(params.get("personal_pronunciations") or 0)
    )


def _beside(manifest: Path, name: str, value):
    """A bed file or a folder recorded by its name is looked for beside the manifest first."""
    kind = options.BY_NAME[name].kind
    if isinstance(kind, (Bed, Folder)) and isinstance(value, str) and (manifest.parent / value).exists():
        return str(manifest.parent / value)
    return value
