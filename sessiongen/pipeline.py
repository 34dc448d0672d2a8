"""The pipeline end to end: parse -> personalise -> speak -> plan -> render -> master -> encode.

Each stage is a function of plain data; this module only wires them together.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from sessiongen import options
from sessiongen.errors import SessiongenError
from sessiongen.master.levels import against_voice
from sessiongen.master.session import Frame, Mastered, master, mastered_on_target
from sessiongen.mix.predict import predict_lufs
from sessiongen.mix.render import LAYERS, Renderer, prefetched
from sessiongen.mix.voice import voice_lufs
from sessiongen.model.results import Delivery, Prepared, Rendered, SpeakStats
from sessiongen.model.script import Script
from sessiongen.model.timeline import EventKind, Timeline
from sessiongen.output import manifest as delivery
from sessiongen.output import sidecars as sidecar_files
from sessiongen.output.cover import default_cover, read_cover
from sessiongen.output.encode import BackgroundWriter, SoundfileWriter, stem_format
from sessiongen.output.files import atomic_path, claim, made_folders, one_writer, safe_file_name, same_file_key, shown, write_text_atomic
from sessiongen.output.formats import format_for, level_change_db, open_writer
from sessiongen.output.packaging import Packaging
from sessiongen.output.tags import TagInfo, write_tags
from sessiongen.plan import duration_note, plan, texts_to_speak
from sessiongen.request import SessionRequest
from sessiongen.script import compose, imports, parser
from sessiongen.script.imports import Imported
from sessiongen.script.library import in_library
from sessiongen.script.pacing import pace
from sessiongen.script.personalise import personalise
from sessiongen.settings import Settings
from sessiongen.speech import choose_engine, fingerprint, get_engine
from sessiongen.speech.cache import PhraseCache, default_root
from sessiongen.speech.clips import Speaker
from sessiongen.voicepack import source as voicepack_source


def load(ref: str, language: str | None = None) -> Script:
    """A script by path or library id, or a composition (`a+b`, a session file), parsed. Library
    ids are looked up in `language` (a tag such as es; None: the library's own, English)."""
    return compose.load(ref, language)


def render(ref: str, request: SessionRequest, output: Path | None = None, packaging: Packaging | None = None, progress=None,
           speaking=None) -> Delivery:
    """The whole recipe of one session, as every front end asks for it: load the script, take its
    values, speak, plan, render and deliver (into output/ID[-NAME].FORMAT when no file is given;
    a missing folder is made, and removed again if the delivery fails). `speaking(fraction)` as
    the phrases the cache lacks are spoken, `progress(fraction)` as the session is rendered."""
    packaging = packaging or Packaging()
    script = load(ref, request.settings.language)
    values = request.values_for(script)
    with cache_root(request.use_cache) as root:
        prepared = prepare(script, values, request.settings, root, progress=speaking)
        out = output or default_output(script, values, packaging.format or (request.recorded.format if request.recorded else "mp3"))
        with made_folders(out.parent, packaging.stems), one_writer(out, "this file"):
            result = deliver(prepared, values, request.settings, out, packaging, progress, source=ref)
    notes = warnings(prepared, request.settings) + (request.recorded.changes(script) if request.recorded else [])
    return replace(result, warnings=tuple(notes))


def import_script(source_file: Path, out: Path | None = None, dialect: str | None = None) -> Imported:
    """A script written for another speech tool (SSML, bracket pauses) in our format, checked by
    parsing it, and written atomically to `out` when given (never over the file it came from)."""
    imported = imports.import_file(source_file, dialect)
    parser.parse_text(imported.text, f"{Path(source_file).name} (as imported)")
    if out is not None:
        if out.exists() and same_file_key(out) == same_file_key(Path(source_file)):
            raise SessiongenError(f"{shown(out)}: is the file being imported: write the script to another file with -o")
        check_folder(out)
        write_text_atomic(out, imported.text)
    return imported


def prepare(script: Script, values: dict[str, str], settings: Settings, cache_root: Path, estimate: bool = False, progress=None) -> Prepared:
    """`estimate`: for plans and previews, phrases the cache lacks are not spoken but their length
    estimated, with engines whose synthesis is slow (`estimated_plans`); prepared.speak.estimated
    counts them. `progress(fraction)`: told as the phrases the cache lacks are spoken."""
    options.check(settings)
    if settings.voice_pack:
        return _prepare_recorded(script, values, settings, cache_root)
    personal = pace(personalise(script, values), settings)
    engine_name, note, speaker = _synthetic_speaker(personal, settings, cache_root)
    guess = estimate and getattr(speaker.engine, "estimated_plans", False)
    phrases = texts_to_speak(personal, settings)
    clips = speaker.estimated_clips(phrases) if guess else speaker.clips(phrases, progress)
    timeline = plan(personal, {t: c.frames for t, c in clips.items()}, settings)
    return Prepared(personal, clips, timeline, speaker.stats, speaker.voice_name, speech_identity(settings, script.meta.language), engine_name,
                    (note,) if note else ())


def speech_identity(settings: Settings, language: str) -> str:
    """Who speaks a session, as its input hash knows it: the synthetic engine and voice (the voice
    file's content), or a voice pack's recording (with the synthetic voice, where it may say what
    the pack lacks or its personal phrases). pipeline.prepare records it; a batch compares it to
    skip the rows that are up to date."""
    engine_name, _ = choose_engine(settings.engine, settings.voice)
    engine = get_engine(engine_name)
    with _about("voice"):
        voice = engine.resolve_voice(settings.voice, language) if getattr(engine, "voice_identity", None) else ""
    synthetic = fingerprint(engine, voice)
    if not settings.voice_pack:
        return synthetic
    return f"{voicepack_source.identity(voicepack_source.open_pack(settings.voice_pack))}|{synthetic}"


def _synthetic_speaker(personal: Script, settings: Settings, cache_root: Path) -> tuple[str, str | None, Speaker]:
    """(the engine chosen, a note about the choice or None, its Speaker over the phrase cache)."""
    engine_name, note = choose_engine(settings.engine, settings.voice)
    engine = get_engine(engine_name)
    with _about("voice"):
        speaker = Speaker(engine, PhraseCache(cache_root, settings.sample_rate_hz), settings, personal.meta.language, personal.meta.pronunciations)
    return engine_name, note, speaker


@contextlib.contextmanager
def _about(option: str):
    """A user's error raised inside is about `option` (the studio shows it beside that field)."""
    try:
        yield
    except SessiongenError as exc:
        exc.option = exc.option or option
        raise


def _prepare_recorded(script: Script, values: dict[str, str], settings: Settings, cache_root: Path) -> Prepared:
    """prepare() with a voice pack as the clip source; the synthetic voice says only what the
    pack lacks, when settings.allow_synthetic lets it (voicepack/source.py)."""
    pack = voicepack_source.open_pack(settings.voice_pack)
    voiced_script, neutral, chosen = voicepack_source.script_for(pack, script, values)
    personal = pace(voiced_script, settings)
    clips, left, voiced = voicepack_source.pack_clips(pack, texts_to_speak(personal, settings), settings, settings.allow_synthetic, chosen)
    engine_name, notes, stats = "voice-pack", [], SpeakStats()
    if left:
        engine_name, note, speaker = _synthetic_speaker(personal, settings, cache_root)
        clips.update(speaker.clips(left))
        stats, engine_name = speaker.stats, f"voice-pack+{engine_name}"
        notes = [n for n in [note, f"{len(left)} phrase{'s' * (len(left) != 1)} not in the voice pack {pack.name} spoken by the synthetic voice ({speaker.voice_name})"] if n]
    timeline = plan(personal, {t: c.frames for t, c in clips.items()}, settings)
    return Prepared(personal, clips, timeline, stats, f"recorded ({pack.name})", speech_identity(settings, script.meta.language), engine_name, tuple(notes),
                    replace(voiced, neutral=tuple(neutral)).as_dict())


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


def write(prepared: Prepared, settings: Settings, out: Path, fmt: str | None = None, stems: Path | None = None, tags: TagInfo | None = None, progress=None) -> Rendered:
    """Render, master (master/session.py), encode and tag `out`, atomically: no half-written file
    is ever left. With `stems`, also writes each layer as it enters the mix (after ducking, before
    mastering) as a 32-bit float WAV in that folder, sample-aligned with the mix. `progress(fraction)`
    is called as the work goes on."""
    options.check(settings)
    fmt = format_for(out, fmt)
    check_folder(out)
    if stems is not None:
        check_folder(stems / "voice.wav")
    tl = prepared.timeline
    renderer = Renderer(tl, prepared.clips, settings)
    frame = Frame(tl.frames, tl.rate_hz, renderer.spans.clips, level_change_db(fmt, settings.mp3_bitrate_kbps, tl.rate_hz))
    target_lufs = settings.target_lufs - frame.codec_db  # the codec's level change is made up
    voice = voice_lufs(renderer)
    mode = settings.loudness_mode if np.isfinite(voice) else "programme"
    predicted = predict_lufs(renderer) if mode == "programme" else float("nan")
    with contextlib.ExitStack() as files:
        temp = files.enter_context(atomic_path(out))
        stem_temps = {name: files.enter_context(atomic_path(stems / f"{name}.wav")) for name in LAYERS} if stems is not None else {}
        once = lambda gain: _master_once(renderer, settings, fmt, frame, temp, stem_temps, gain, progress or (lambda fraction: None))  # noqa: E731
        mastered = mastered_on_target(once, voice if mode == "voice" else predicted, target_lufs, programme=mode == "programme")
        if tags is not None:
            write_tags(temp, fmt, tags)
    voice_delivered = voice + mastered.gain_db + frame.codec_db
    levels = against_voice(tl, mastered.delivered.momentary_lufs, voice_delivered, renderer.spans.ducked)
    return Rendered(out, fmt, tl, mastered.mix, mastered.gain_db, mastered.limiter_db, mastered.delivered, prepared.speak, predicted, mastered.passes,
                    loudness_mode=mode, voice_lufs=voice_delivered, limiter_on_speech_db=mastered.on_speech, against_voice_lu=levels)


def _master_once(renderer: Renderer, settings: Settings, fmt: str, frame: Frame, temp: Path, stem_temps: dict[str, Path], gain: float, report) -> Mastered:
    """One pass: the mix rendered window by window (each layer into its stem, where asked),
    mastered with `gain` and encoded into `temp`."""
    tl = renderer.tl
    writer = BackgroundWriter(open_writer(temp, fmt, tl.rate_hz, settings.mp3_bitrate_kbps, settings.channels, settings.bit_depth))
    stem_writers = {name: SoundfileWriter(path, tl.rate_hz, stem_format(tl.frames), subtype="FLOAT") for name, path in stem_temps.items()}
    windows = prefetched(renderer.windows(layered=bool(stem_writers)))

    def mixes():
        for window in windows:
            for name, stem in stem_writers.items():
                stem.write(window.layer(name))
            yield window.mix()

    try:
        return master(mixes(), frame, settings, gain, writer.write, report)
    finally:
        windows.close()
        for w in [writer, *stem_writers.values()]:
            w.close()


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


def deliver(prepared: Prepared, values: dict[str, str], settings: Settings, out: Path, packaging: Packaging | None = None, progress=None,
            source: str | None = None) -> Delivery:
    """The whole delivery of one session: audio with tags and chapters, then its sidecars.
    `source` is the script as it was named (a library id, a composition, a file), recorded in
    the manifest so that `render --from-manifest` can find it again."""
    packaging = packaging or Packaging()
    fmt = format_for(out, packaging.format)
    beds = {e.bed for e in prepared.timeline.events if e.bed and Path(e.bed).is_file()}
    _check_targets(out, packaging, [*prepared.script.sources, *([packaging.cover] if packaging.cover else []), *beds])
    _check_sidecars_are_ours(out, prepared.script, values)
    cover, mime = read_cover(packaging.cover) if packaging.cover else (default_cover(prepared.script.meta.title), "image/png")
    script = prepared.script
    try:  # the manifest and tags record these as UTF-8 text: refused now, not after the audio is written
        resolved = _resolved(prepared, settings, values)
        params = delivery.render_params(script, values, recorded_source(source, script), options.recorded(settings, resolved))
        params["personal_pronunciations"] = len(settings.pronunciations) - len(resolved["pronunciations"])
        if prepared.voice_pack is not None:  # shown on the review page; the manifest lists every phrase
            params["synthetic_phrases"] = voicepack_source.synthetic_summary(prepared.voice_pack)
        input_hash = delivery.inputs_hash(script, values, settings, prepared.engine_identity, packaging)
        json.dumps([params, values, str(packaging.cover or "")], ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SessiongenError(f"{shown(exc.object)}: not valid UTF-8 text (an undecodable byte in an argument or file name): use UTF-8") from None
    info = TagInfo(
        title=_tag_title(script, values, packaging), artist=packaging.artist, album=packaging.album,
        comment=delivery.comment(settings, script.meta.language), cover=cover, cover_mime=mime, params=params,
        chapters=chapter_spans(prepared.timeline),
    )
    rendered = write(prepared, settings, out, fmt, packaging.stems, info, progress)
    manifest = delivery.manifest(rendered, script, values, settings, params, input_hash)
    manifest["output"].update(delivery.audio_identity(out))  # a resume checks the file is still this one
    if prepared.voice_pack is not None:
        manifest["voice_pack"] = prepared.voice_pack
    try:
        return _beside(out, rendered, manifest, script, packaging)
    except (KeyboardInterrupt, SystemExit):  # a stop once the new audio is in place: its sidecars follow it, then the stop
        _beside(out, rendered, manifest, script, packaging)
        raise


def _resolved(prepared: Prepared, settings: Settings, values: dict[str, str]) -> dict:
    """What the manifest records where the settings left it open (the engine and voice that
    spoke, the synthetic ones beside a voice pack; the loudness target) or must not say: a
    pronunciation of a word in a personal value (a client's name) is left out, and counted."""
    said = " ".join(values.values()).casefold()
    public = tuple((word, say) for word, say in settings.pronunciations if word.casefold() not in said)
    if prepared.voice_pack is None:
        engine, voice = prepared.engine, prepared.voice
    else:
        engine, voice = prepared.engine.removeprefix("voice-pack").removeprefix("+") or settings.engine, settings.voice
    return {"engine": engine, "voice": voice, "loudness": settings.target_lufs, "pronunciations": public}


def recorded_source(ref: str | None, script: Script) -> str:
    """The script as a manifest names it: library ids as given, files by their name only (where
    they live may name a client)."""
    if ref is None:
        return script.meta.id if in_library(Path(script.path)) else Path(script.path).name
    return "+".join(Path(part).name if Path(part).suffix else part for part in ref.split("+"))


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


def _check_sidecars_are_ours(out: Path, script: Script, values: dict[str, str]) -> None:
    """The sidecars beside `out` (NAME.vtt, NAME.manifest.json, the review page) are shared by
    every format of NAME: a render to s.wav must not replace what describes another session still
    there (s.mp3 of another script, or for another client). The manifest says whose they are; the
    same session in another format may share them."""
    manifest = sidecar_files.sidecar_path(out, "manifest")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        owner, same = data["output"]["file"], (data["script"]["id"], data["inputs"]["values_sha256"]) == (script.meta.id, delivery.values_hash(values))
    except (OSError, ValueError, KeyError, TypeError):
        return  # none there, or not ours to read: nothing to protect
    if not same and isinstance(owner, str) and owner != out.name and (out.parent / owner).is_file():
        raise SessiongenError(f"{out}: its transcript, manifest and review page would replace those of {owner} beside it: "
                              f"choose another name, or delete {owner} first")


def _tag_title(script: Script, values: dict[str, str], packaging: Packaging) -> str:
    name = values.get("name", "").strip()
    return f"{script.meta.title} for {name}" if packaging.tag_names and name else script.meta.title


def chapter_spans(tl: Timeline) -> tuple[tuple[str, float, float], ...]:
    starts = [start for _, start in tl.chapters] + [tl.frames]
    return tuple((title, start / tl.rate_hz, starts[i + 1] / tl.rate_hz) for i, (title, start) in enumerate(tl.chapters))


def warnings(prepared: Prepared, settings: Settings) -> list[str]:
    """Things worth knowing about a render that are not errors."""
    out = list(prepared.script.notes) + list(prepared.notes)
    out += filter(None, [duration_note(prepared.script, prepared.timeline, settings)])
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
