"""What goes with a rendered file: its render parameters, the manifest, the input hash.

Variable values are personal (a client's name, their safe place), so they never appear here:
only their names, and a hash of the values so a batch can tell whether a file is up to date.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict
from pathlib import Path

from sessiongen import __version__
from sessiongen.model.script import Bls, BlsOn, Script
from sessiongen.output.packaging import Packaging
from sessiongen.settings import Settings
from sessiongen.words import ENGLISH, words_for

DISCLAIMER = ENGLISH.disclaimer


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def audio_identity(path: Path | str) -> dict:
    """What a resume checks before it trusts a file: its size and content hash, as written."""
    return {"bytes": Path(path).stat().st_size, "sha256": _sha256_file(str(path))}


def same_audio(path: Path, recorded: dict) -> bool:
    """Whether the file is still the one a manifest recorded (not cut short, emptied or replaced)."""
    try:
        return path.stat().st_size == recorded["bytes"] and _sha256_file(str(path)) == recorded["sha256"]
    except (OSError, KeyError, TypeError):
        return False


def script_version(script: Script) -> str:
    """A short hash of every file the script was built from (the script and its fragments)."""
    digest = hashlib.sha256()
    for path in script.sources:
        digest.update(_sha256_file(path).encode())
    return digest.hexdigest()[:12]


def values_hash(values: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def render_params(script: Script, values: dict[str, str], source: str, options: dict) -> dict:
    """Enough to render the file again (`render --from-manifest`, given the same values): the
    script as it was named and its version, the variables' names, and every option by name as
    the session used it (options.recorded); written into the tags too."""
    tones = [
        json.loads(t) for t in sorted({json.dumps(asdict(n.tone), sort_keys=True) for n in script.nodes if isinstance(n, (Bls, BlsOn))})
    ]
    return {
        "generator": f"sessiongen {__version__}",
        "script": script.meta.id,
        "source": source,
        "script_version": script_version(script),
        "variables": sorted(values),
        "script_language": script.meta.language,
        "tones": tones,  # the script's sets as played: rate_hz, timbre, depth_pct, pitch_hz, style, jitter_pct, level_db
        **options,
    }


def comment(settings: Settings, language: str | None = None) -> str:
    """The general-wellness disclaimer for the tags, in the session's language."""
    words = words_for(language)
    return f"{words.disclaimer} {words.speaker_note}" if settings.mono else words.disclaimer


def inputs_hash(script: Script, values: dict[str, str], settings: Settings, engine_identity: str, packaging: Packaging) -> str:
    """Changes whenever anything that shapes the output changes: scripts, values, settings,
    engine and voice, a bed or cover file, packaging. A batch skips a row whose manifest carries
    the same hash; pipeline.deliver writes it."""
    bed_file = settings.ambience if settings.ambience and Path(settings.ambience).is_file() else ""
    extra_files = [str(packaging.cover or ""), bed_file]
    digest = hashlib.sha256()
    for path in (*script.sources, *[p for p in extra_files if p]):
        digest.update(path.encode() + b"\0" + _sha256_file(path).encode())
    digest.update(values_hash(values).encode())
    digest.update(json.dumps(asdict(settings), sort_keys=True, default=str).encode())
    digest.update(engine_identity.encode())
    digest.update(json.dumps(packaging.hashable(), sort_keys=True).encode())
    digest.update(__version__.encode())
    return digest.hexdigest()


LOUDNESS_METHODS = {
    "voice": "ITU-R BS.1770-4 loudness of the narration alone as placed in the mix (speech-gated, libebur128), "
    "brought to the target by one gain for the whole mix; the programme's integrated loudness is measured, not set",
    "programme": "ITU-R BS.1770-4 integrated loudness of the whole mix (EBU R128, libebur128), brought to the target "
    "(predicted from the parts, measured as written, mastered again if the prediction missed)",
}


def _db(value: float) -> float | None:
    """A level for JSON: rounded, None where there is none (silence is -inf)."""
    return round(value, 2) if math.isfinite(value) else None


def loudness(rendered, settings: Settings) -> dict:
    """The loudness section of the manifest: the method, the target, what was measured."""
    d, programme = rendered.delivered, rendered.loudness_mode == "programme"
    mean_db, worst_db = rendered.limiter_on_speech_db
    return {
        "mode": rendered.loudness_mode,
        "method": LOUDNESS_METHODS[rendered.loudness_mode],
        "target_lufs": settings.target_lufs,
        "voice_lufs": _db(rendered.voice_lufs),
        "integrated_lufs": _db(d.integrated_lufs),
        "max_momentary_lufs": _db(d.max_momentary_lufs),
        "true_peak_dbtp": _db(d.true_peak_db),
        "mix_lufs_before_mastering": _db(rendered.measured.integrated_lufs),
        **({"mix_lufs_predicted": _db(rendered.predicted_lufs), "mastering_passes": rendered.passes} if programme else {}),
        "gain_db": _db(rendered.gain_db),
        "limiter_db": _db(rendered.limiter_db),
        "limiter_on_speech_db": {"mean": round(mean_db, 3), "worst": round(worst_db, 2)},
        "against_voice_lu": rendered.against_voice_lu,
    }


def manifest(rendered, script: Script, values: dict[str, str], settings: Settings, params: dict, input_hash: str) -> dict:
    tl = rendered.timeline
    return {
        "generator": f"sessiongen {__version__}",
        "output": {
            "file": Path(rendered.path).name,
            "format": rendered.format,
            "channels": settings.channels,
            "sample_rate_hz": tl.rate_hz,
            "duration_s": round(tl.duration_s, 3),
        },
        "script": {"id": script.meta.id, "title": script.meta.title, "version": params["script_version"]},
        "parameters": params,
        "chapters": [{"title": t, "start_s": round(s / tl.rate_hz, 3)} for t, s in tl.chapters],
        "loudness": loudness(rendered, settings),
        "speech": {"phrases_synthesised": rendered.speak.synthesised, "phrases_cached": rendered.speak.cached},
        "inputs": {
            "sha256": input_hash,
            "values_sha256": values_hash(values),
            "sources": [{"file": Path(p).name, "sha256": _sha256_file(p)} for p in script.sources],
        },
    }
