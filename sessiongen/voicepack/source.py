"""A voice pack as the speech stage's clip source: a `Clip` per phrase from the clinician's
recording, so planning, mixing, mastering and output work as with the synthetic voice.

A phrase is looked up by the hash of its text as the session says it (after personalising, with
each personal phrase the pack speaks neutrally put back to its neutral variant). A phrase the
pack does not hold (the script changed since the recording, or it was not recorded) stops the
render, unless the synthetic voice is allowed for it; every phrase the synthetic voice says is
listed. The cleaned clips stay in the pack; none is put into the shared phrase cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from sessiongen.errors import SessiongenError
from sessiongen.model.results import Clip
from sessiongen.model.script import Script
from sessiongen.output.jsontext import json_text
from sessiongen.settings import Settings
from sessiongen.sound.audio import resample
from sessiongen.speech.clips import level as level_like_synthetic
from sessiongen.voicepack import store
from sessiongen.voicepack.phrases import text_hash, voiced_script

SHOWN = 5  # phrases named in an error; the rest counted


@dataclass(frozen=True)
class Voiced:
    """How a session's phrases were spoken: what the manifest records."""

    pack: str
    recorded: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()  # personal phrases said in their recorded neutral variant
    synthetic: tuple[dict, ...] = ()  # {"phrase", "text", "why"}: said by the synthetic voice

    def as_dict(self) -> dict:
        return {
            "pack": self.pack,
            "phrases_recorded": len(self.recorded),
            "personal_spoken_neutral": list(self.neutral),
            "synthetic": list(self.synthetic),
        }


def open_pack(folder: str | Path) -> store.Pack:
    pack = store.load(folder)
    if not pack.recorded:
        raise SessiongenError(
            f"{folder}: nothing is recorded in this voice pack yet: import a take with `sessiongen voice-pack import {folder} TAKE`"
        )
    return pack


def script_for(pack: store.Pack, script: Script, values: dict[str, str]) -> tuple[Script, list[str], dict[str, str]]:
    modes = {p.hash: p.mode for p in pack.phrases if p.personal}
    return voiced_script(script, values, modes)


def pack_clips(
    pack: store.Pack, phrases: dict[str, tuple[str, int]], settings: Settings, allow_synthetic: bool, chosen: dict[str, str] | None = None
) -> tuple[dict[str, Clip], dict[str, tuple[str, int]], Voiced]:
    """(clips from the recording, the phrases left for the synthetic voice, what was done).
    `chosen`: client sentences the pack has the synthetic voice say (-> their phrase's hash)."""
    by_hash = {p.hash: p for p in pack.phrases}
    chosen = chosen or {}
    clips, left, recorded, synthetic = {}, {}, [], []
    for key, (text, rate) in phrases.items():
        if text in chosen:  # personal: the manifest names the phrase, not the client's words
            phrase = by_hash[chosen[text]]
            left[key] = (text, rate)
            synthetic.append({"phrase": phrase.id, "text": phrase.template, "why": "personal: the pack has the synthetic voice say it"})
            continue
        phrase = by_hash.get(text_hash(text))
        if phrase is not None and phrase.id in pack.recorded and not store.doubtful(pack.recorded[phrase.id]):
            clips[key] = _clip(pack, phrase.id, text, settings)
            recorded.append(text)
            continue
        left[key] = (text, rate)
        synthetic.append({"phrase": phrase.id if phrase else None, "text": text, "why": _why(pack, phrase)})
    lacking = [s for s in synthetic if not s["why"].startswith("personal")]
    if lacking and not allow_synthetic:
        raise SessiongenError(_refusal(pack, lacking))
    return clips, left, Voiced(pack.name, tuple(recorded), synthetic=tuple(synthetic))


def _why(pack: store.Pack, phrase) -> str:
    if phrase is None:
        return "not in the voice pack (changed or added since the recording)"
    if phrase.id in pack.recorded:
        return f"marked check at the import: listen to it, then `sessiongen voice-pack accept {pack.name} {phrase.id}`, or record it again"
    return "not recorded"


def _refusal(pack: store.Pack, missing: list[dict]) -> str:
    named = "; ".join(f'"{m["text"][:50]}" ({m["why"]})' for m in missing[:SHOWN])
    more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
    return (
        f"{len(missing)} phrase{'s' * (len(missing) != 1)} of this session {'are' if len(missing) != 1 else 'is'} "
        f"not in the voice pack {pack.name} as sure recordings: {named}{more}: "
        "record them (voice-pack sheet, then import), accept the ones marked check, or render with --allow-synthetic to have the synthetic voice say them"
    )


def identity(pack: store.Pack) -> str:
    """The recording's identity: which take and span each phrase came from."""
    blob = json_text({k: (v["take"], v["start_s"], v["stop_s"]) for k, v in sorted(pack.recorded.items())}, "voice pack")
    return "voice-pack:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _clip(pack: store.Pack, phrase_id: int, text: str, settings: Settings) -> Clip:
    path = store.clip_folder(pack.folder, settings.sample_rate_hz, settings.voice_rms_db) / f"{phrase_id:03d}.wav"
    if not path.is_file():
        _derive(pack, phrase_id, path, settings)
    try:
        frames = sf.info(str(path)).frames
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise SessiongenError(f"{path}: a damaged clip of the voice pack ({exc}): import the take again") from None
    return Clip(text, str(path), frames, settings.sample_rate_hz)


def _derive(pack: store.Pack, phrase_id: int, path: Path, settings: Settings) -> None:
    """A clip at another rate or level, from the cleaned clip there is (kept beside it)."""
    sources = sorted((pack.folder / "clips").glob(f"*/{phrase_id:03d}.wav")) if (pack.folder / "clips").is_dir() else []
    if not sources:
        raise SessiongenError(f"{pack.folder}: the clip of phrase {phrase_id} is missing: import its take again")
    samples, rate = sf.read(str(sources[0]), dtype="float32")
    mono = level_like_synthetic(resample(samples, rate, settings.sample_rate_hz), settings.sample_rate_hz, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    store.write_clip(path, mono, settings.sample_rate_hz)


def synthetic_summary(voiced: dict, shown: int = SHOWN) -> str:
    """The phrases the synthetic voice said in a voice-pack session, in a line: 'none', or
    'phrase 4 "It is not a…" (not recorded); …'."""
    said = voiced["synthetic"]
    if not said:
        return "none"
    items = [
        f'{"phrase " + str(s["phrase"]) if s["phrase"] else "new"} "{s["text"][:40]}{"…" * (len(s["text"]) > 40)}" ({s["why"]})'
        for s in said[:shown]
    ]
    return "; ".join(items) + (f"; and {len(said) - shown} more" if len(said) > shown else "")
