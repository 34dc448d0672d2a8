"""The pipeline end to end: parse -> personalise -> speak -> plan -> render -> master -> encode.

Each stage is a function of plain data; this module only wires them together.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sessiongen.errors import SessiongenError
from sessiongen.master.fades import Fades
from sessiongen.master.levels import against_voice
from sessiongen.master.loudness import LoudnessMeter, OutputMeter, gain_for
from sessiongen.master.onspeech import LimitingOnSpeech
from sessiongen.mix.predict import predict_lufs
from sessiongen.mix.render import LAYERS, Renderer, prefetched
from sessiongen.mix.voice import speech_spans, voice_lufs
from sessiongen.model.results import Delivered, Delivery, Loudness, Prepared, Rendered, SpeakStats
from sessiongen.model.script import Script
from sessiongen.model.timeline import EventKind, Timeline
from sessiongen.output import manifest as delivery
from sessiongen.output import sidecars as sidecar_files
from sessiongen.output.cover import default_cover, read_cover
from sessiongen.output.encode import BackgroundWriter, SoundfileWriter
from sessiongen.output.files import atomic_path, claim, safe_file_name, same_file_key, shown
from sessiongen.output.formats import format_for, level_change_db, open_writer
from sessiongen.output.packaging import Packaging
from sessiongen.output.tags import TagInfo, write_tags
from sessiongen.plan import plan, texts_to_speak
from sessiongen.script import compose
from sessiongen.script.pacing import pace
from sessiongen.script.personalise import personalise
from sessiongen.settings import Settings
from sessiongen.sound.audio import gain_to_db
from sessiongen.sound.limiter import Limiter
from sessiongen.speech import choose_engine, fingerprint, get_engine
from sessiongen.speech.cache import PhraseCache, default_root
from sessiongen.speech.clips import Speaker
from sessiongen.voicepack import source


def load(ref: str) -> Script:
    """A script by path or library id, or a composition (`a+b`, a session file), parsed."""
    return compose.load(ref)


def prepare(script: Script, values: dict[str, str], settings: Settings, cache_root: Path, estimate: bool = False, progress=None) -> Prepared:
    """`estimate`: for plans and previews, phrases the cache lacks are not spoken but their length
    estimated, with engines whose synthesis is slow (`estimated_plans`); prepared.speak.estimated
    counts them. `progress(fraction)`: told as the phrases the cache lacks are spoken."""
    if settings.voice_pack:
        return _prepare_recorded(script, values, settings, cache_root)
    personal = pace(personalise(script, values), settings)
    engine_name, note, speaker = _synthetic_speaker(personal, settings, cache_root)
    guess = estimate and getattr(speaker.engine, "estimated_plans", False)
    phrases = texts_to_speak(personal, settings)
    clips = speaker.estimated_clips(phrases) if guess else speaker.clips(phrases, progress)
    timeline = plan(personal, {t: c.frames for t, c in clips.items()}, settings)
    return Prepared(personal, clips, timeline, speaker.stats, speaker.voice_name, fingerprint(speaker.engine, speaker.voice), engine_name, (note,) if note else ())


def _synthetic_speaker(personal: Script, settings: Settings, cache_root: Path) -> tuple[str, str | None, Speaker]:
    """(the engine chosen, a note about the choice or None, its Speaker over the phrase cache)."""
    engine_name, note = choose_engine(settings.engine, settings.voice)
    speaker = Speaker(get_engine(engine_name), PhraseCache(cache_root, settings.sample_rate_hz), settings,
                      personal.meta.language, personal.meta.pronunciations)
    return engine_name, note, speaker


def _prepare_recorded(script: Script, values: dict[str, str], settings: Settings, cache_root: Path) -> Prepared:
    """prepare() with a voice pack as the clip source; the synthetic voice says only what the
    pack lacks, when settings.allow_synthetic lets it (voicepack/source.py)."""
    pack = source.open_pack(settings.voice_pack)
    voiced_script, neutral, chosen = source.script_for(pack, script, values)
    personal = pace(voiced_script, settings)
    clips, left, voiced = source.pack_clips(pack, texts_to_speak(personal, settings), settings, settings.allow_synthetic, chosen)
    voiced.neutral = neutral
    engine_name, identity, notes, stats = "voice-pack", voiced.identity, [], None
    if left:
        engine_name, note, speaker = _synthetic_speaker(personal, settings, cache_root)
        clips.update(speaker.clips(left))
        stats, identity = speaker.stats, f"{identity}|{fingerprint(speaker.engine, speaker.voice)}"
        notes = [n for n in [note, f"{len(left)} phrase{'s' * (len(left) != 1)} not in the voice pack {pack.name} spoken by the synthetic voice ({speaker.voice_name})"] if n]
        engine_name = f"voice-pack+{engine_name}"
    timeline = plan(personal, {t: c.frames for t, c in clips.items()}, settings)
    return Prepared(personal, clips, timeline, stats or SpeakStats(), f"recorded ({pack.name})", identity, engine_name, tuple(notes), voiced.as_dict())


@contextlib.contextmanager
def cache_root(use_cache: bool):
    """The shared phrase cache, or a throw-away one for --no-cache."""
    if use_cache:
        root = default_root()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SessiongenError(f"the phrase cache folder {root} cannot be used ({exc.strerror}): set SESSIONGEN_CACHE_DIR to a folder, or use --no-cache") from None
        yield root
    else:
        with tempfile.TemporaryDirectory(prefix="sessiongen-nocache-") as folder:
            yield Path(folder)


def fold(block: np.ndarray, settings: Settings) -> np.ndarray:
    """The mix as it is delivered: stereo, or folded down to one channel for a speaker."""
    return block.mean(axis=1, keepdims=True, dtype=np.float32) if settings.mono else block


PREDICTION_TOLERANCE_LU = 0.1  # a prediction further than this from the measured mix is mastered again


def write(prepared: Prepared, settings: Settings, out: Path, fmt: str | None = None, stems: Path | None = None, tags: TagInfo | None = None, progress=None) -> Rendered:
    """Render, master, encode and tag `out` (atomically: no half-written file is ever left).

    The gain is anchored on the voice (settings.loudness_mode "voice"): the speech-gated
    loudness of the narration, measured before mastering (mix/voice.py), lands on the target,
    and everything else keeps its level against the voice. With "programme", or in a session
    without narration, the whole mix lands on the target: its loudness is predicted
    (mix/predict.py) and measured as it goes by; should the prediction miss by more than
    PREDICTION_TOLERANCE_LU, the session is mastered again with the measured gain.

    With `stems`, also writes each layer as it enters the mix (after ducking, before mastering)
    as a 32-bit float WAV in that folder, sample-aligned with the mix. `progress(fraction)` is
    called as the work goes on.
    """
    report = progress or (lambda fraction: None)
    fmt = format_for(out, fmt)
    check_folder(out)
    if stems is not None:
        check_folder(stems / "voice.wav")
    tl = prepared.timeline
    renderer = Renderer(tl, prepared.clips, settings)
    codec_db = level_change_db(fmt, settings.mp3_bitrate_kbps, tl.rate_hz)
    target_lufs = settings.target_lufs - codec_db  # the codec's level change is made up
    voice = voice_lufs(renderer)
    mode = settings.loudness_mode if np.isfinite(voice) else "programme"
    predicted = predict_lufs(renderer) if mode == "programme" else float("nan")
    with contextlib.ExitStack() as files:
        temp = files.enter_context(atomic_path(out))
        stem_temps = {name: files.enter_context(atomic_path(stems / f"{name}.wav")) for name in LAYERS} if stems is not None else {}
        master = lambda gain: _master(renderer, settings, fmt, temp, stem_temps, gain, codec_db, report)  # noqa: E731
        mastered = master(gain_for(voice if mode == "voice" else predicted, target_lufs))
        passes = 1
        if mode == "programme" and _missed(predicted, mastered.mix.integrated_lufs):
            mastered, passes = master(gain_for(mastered.mix.integrated_lufs, target_lufs)), 2
        if tags is not None:
            write_tags(temp, fmt, tags)
    gain_db = gain_to_db(mastered.gain)
    voice_delivered = voice + gain_db + codec_db
    levels = against_voice(tl, mastered.delivered.momentary_lufs, voice_delivered, settings.duck_hold_s + settings.duck_release_s)
    return Rendered(out, fmt, tl, mastered.mix, gain_db, mastered.limiter_db, mastered.delivered, prepared.speak, predicted, passes,
                    loudness_mode=mode, voice_lufs=voice_delivered, limiter_on_speech_db=mastered.on_speech, against_voice_lu=levels)


def _missed(predicted_lufs: float, measured_lufs: float) -> bool:
    if not (np.isfinite(predicted_lufs) and np.isfinite(measured_lufs)):
        return np.isfinite(predicted_lufs) != np.isfinite(measured_lufs)
    return abs(predicted_lufs - measured_lufs) > PREDICTION_TOLERANCE_LU


@dataclass
class _Mastered:
    gain: float
    limiter_db: float
    delivered: Delivered
    mix: Loudness  # the mix before mastering, measured as it went by
    on_speech: tuple[float, float]  # the limiter's gain reduction over speech: mean, worst (dB)


def _master(renderer: Renderer, settings: Settings, fmt: str, temp: Path, stem_temps: dict[str, Path], gain: float, codec_db: float, report) -> _Mastered:
    """Render the session window by window, master it (gain, limiter, fades) and write it to
    `temp` (and each layer to stem_temps), measuring the mix and what is delivered."""
    tl = renderer.tl
    limiter = Limiter(tl.rate_hz, settings.peak_ceiling_db, settings.channels)
    fades = Fades(tl.frames, tl.rate_hz, settings.fade_in_s, settings.fade_out_s)
    mix_meter, meter = LoudnessMeter(tl.rate_hz, settings.channels), OutputMeter(tl.rate_hz, settings.channels)
    on_speech = LimitingOnSpeech(speech_spans(renderer))
    writer = BackgroundWriter(open_writer(temp, fmt, tl.rate_hz, settings.mp3_bitrate_kbps, settings.channels, settings.bit_depth))
    stem_writers = {name: SoundfileWriter(path, tl.rate_hz, "wav", subtype="FLOAT") for name, path in stem_temps.items()}
    windows = prefetched(renderer.windows(layered=bool(stem_writers)))
    position = 0

    def deliver_block(limited: np.ndarray) -> None:
        nonlocal position
        on_speech.add(position, len(limited), limiter.last_gain)
        block = fades.apply(limited, position)
        writer.write(block)
        meter.add(block)
        position += len(block)

    try:
        for window in windows:
            for name, stem in stem_writers.items():
                stem.write(window.layer(name))
            mix = fold(window.mix(), settings)
            mix_meter.add(mix)
            deliver_block(limiter.process(mix * np.float32(gain)))
            report((window.start + len(window.voice)) / tl.frames)
        deliver_block(limiter.flush())
    finally:
        windows.close()
        for w in [writer, *stem_writers.values()]:
            w.close()
    true_peak_db = min(gain_to_db(limiter.peak), settings.peak_ceiling_db)  # the limiter holds the ceiling
    return _Mastered(gain, limiter.reduction_db, meter.result(true_peak_db, codec_db), mix_meter.result(), (on_speech.mean_db, on_speech.worst_db))


def check_folder(out: Path) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise SessiongenError(f"{out}: {folder} is a file, not a folder: choose another output path")
    if not folder.is_dir():
        raise SessiongenError(f"{out}: the folder {folder} does not exist: create it or choose another output path")


def slug(text: str, limit: int = 80) -> str:
    """Lower case, letters of every script kept (ASCII for accented Latin), the rest '-' ('' if nothing is left)."""
    return safe_file_name(re.sub(r"[._]+", "-", text.lower()), limit, fallback="")


def default_output(script: Script, values: dict[str, str], fmt: str = "mp3", folder: Path = Path("output")) -> Path:
    """output/<technique>[-<name>].mp3 (a name in any script is kept: Андрей gives calm-андрей.mp3)"""
    parts = [slug(script.meta.id.replace("+", "-then-")) or Path(script.path).stem]
    name = slug(values.get("name", ""), 40)
    if name:
        parts.append(name)
    return folder / f"{'-'.join(parts)}.{fmt}"


def deliver(prepared: Prepared, values: dict[str, str], settings: Settings, out: Path, packaging: Packaging | None = None, progress=None) -> Delivery:
    """The whole delivery of one session: audio with tags and chapters, then its sidecars."""
    packaging = packaging or Packaging()
    fmt = format_for(out, packaging.format)
    beds = {e.bed for e in prepared.timeline.events if e.bed and Path(e.bed).is_file()}
    _check_targets(out, packaging, [*prepared.script.sources, *([packaging.cover] if packaging.cover else []), *beds])
    cover, mime = read_cover(packaging.cover) if packaging.cover else (default_cover(prepared.script.meta.title), "image/png")
    script = prepared.script
    try:  # the manifest and tags record these as UTF-8 text: refused now, not after the audio is written
        params = delivery.render_params(script, values, settings, prepared.voice, prepared.engine)
        if prepared.voice_pack is not None:  # shown on the review page; the manifest lists every phrase
            params["voice_pack"] = prepared.voice_pack["pack"]
            params["synthetic_phrases"] = source.synthetic_summary(prepared.voice_pack)
        input_hash = delivery.inputs_hash(script, values, settings, prepared.engine_identity, packaging)
        json.dumps([params, values, str(packaging.cover or "")], ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SessiongenError(f"{shown(exc.object)}: not valid UTF-8 text (an undecodable byte in an argument or file name): use UTF-8") from None
    info = TagInfo(
        title=_tag_title(script, values, packaging), artist=packaging.artist, album=packaging.album,
        comment=delivery.comment(settings), cover=cover, cover_mime=mime, params=params,
        chapters=chapter_spans(prepared.timeline),
    )
    rendered = write(prepared, settings, out, fmt, packaging.stems, info, progress)
    manifest = delivery.manifest(rendered, script, values, settings, params, input_hash)
    if prepared.voice_pack is not None:
        manifest["voice_pack"] = prepared.voice_pack
    try:
        return _beside(out, rendered, manifest, script, packaging)
    except (KeyboardInterrupt, SystemExit):  # a stop once the new audio is in place: its sidecars follow it, then the stop
        _beside(out, rendered, manifest, script, packaging)
        raise


def _beside(out: Path, rendered: Rendered, manifest: dict, script: Script, packaging: Packaging) -> Delivery:
    """The sidecars and the review of a recording just written."""
    paths = sidecar_files.write(out, rendered.timeline, packaging.sidecars, manifest)
    result = Delivery(rendered, manifest, tuple(paths))
    if packaging.review:
        from sessiongen import review  # matplotlib loads only when a review is asked for

        pages = review.write_review(result, client_id=packaging.client_id, techniques=script.meta.id.split("+"), cautions=list(script.meta.cautions))
        result = replace(result, sidecars=result.sidecars + tuple(pages))
    return result


def delivery_targets(out: Path, packaging: Packaging) -> list[tuple[str, Path]]:
    """Every file a delivery writes, as (what, path): the audio, its sidecars, stems and review."""
    targets = [("the audio", out)] + [(f"the {kind} sidecar", sidecar_files.sidecar_path(out, kind)) for kind in packaging.sidecars]
    targets += [(f"the {name} stem", packaging.stems / f"{name}.wav") for name in LAYERS] if packaging.stems else []
    if packaging.review:
        from sessiongen.review import review_paths

        page, image = review_paths(out)
        targets += [("the review page", page), ("the timeline image", image)]
    return targets


def _check_targets(out: Path, packaging: Packaging, inputs=()) -> None:
    """Before any work: every file the delivery writes is a regular file or nothing, is named in
    UTF-8, is written once (the audio is never also a stem, a sidecar never the review page) and
    is none of its `inputs` (the script, a bed, the cover)."""
    claim(delivery_targets(out, packaging), {same_file_key(path): f"an input ({Path(path).name})" for path in inputs})


def _tag_title(script: Script, values: dict[str, str], packaging: Packaging) -> str:
    name = values.get("name", "").strip()
    return f"{script.meta.title} for {name}" if packaging.tag_names and name else script.meta.title


def chapter_spans(tl: Timeline) -> tuple[tuple[str, float, float], ...]:
    starts = [start for _, start in tl.chapters] + [tl.frames]
    return tuple((title, start / tl.rate_hz, starts[i + 1] / tl.rate_hz) for i, (title, start) in enumerate(tl.chapters))


def warnings(prepared: Prepared, settings: Settings) -> list[str]:
    """Things worth knowing about a render that are not errors."""
    out = list(prepared.notes)
    if settings.mono and any(e.kind in (EventKind.BLS, EventKind.HEADPHONE_CHECK) for e in prepared.timeline.events):
        out.append(
            f"{prepared.script.meta.title} uses tones that alternate between the ears; this speaker "
            "version centres them (render without --mono for earbuds, or with --no-bls to drop them)"
        )
    elif settings.mono and prepared.script.meta.category == "bilateral":
        out.append(f"{prepared.script.meta.title} is a bilateral technique; its speaker version has no tones alternating between ears")
    return out


def outline(script: Script, timeline: Timeline) -> dict:
    """What a clinician needs to know before giving a technique to a client."""
    m = script.meta
    return {
        "id": m.id,
        "title": m.title,
        "category": m.category,
        "summary": m.summary,
        "duration_s": round(timeline.duration_s, 3),
        "nominal_duration_s": m.duration_s,
        "range_s": [round(f / timeline.rate_hz, 3) for f in timeline.range_frames],
        "cautions": list(m.cautions),
        "variables": [{"name": n, "default": d} for n, d in m.variables],
        "chapters": [{"title": t, "start_s": round(s / timeline.rate_hz, 3)} for t, s in timeline.chapters],
        "bilateral_sets": sum(1 for e in timeline.events if e.kind == EventKind.BLS),
    }
