"""The pipeline end to end: parse -> personalise -> speak -> plan -> render -> master -> encode.

Each stage is a function of plain data; this module only wires them together (stages 1-3, up to
the timeline, are wired in preparing.py).
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from sessiongen import options, records
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
from sessiongen.plan import duration_note
from sessiongen.preparing import cache_root, prepare, speech_identity  # noqa: F401 (speech_identity: the library's, batch compares it)
from sessiongen.request import SessionRequest
from sessiongen.script import compose, imports, parser
from sessiongen.script.imports import Imported
from sessiongen.settings import Settings
from sessiongen.sound.useraudio import over_full_scale_note
from sessiongen.voicepack import source as voicepack_source
from sessiongen.words import words_for


def load(ref: str, language: str | None = None) -> Script:
    """A script by path or library id, or a composition (`a+b`, a session file), parsed. Library
    ids are looked up in `language` (a tag such as es; None: the library's own, English)."""
    return compose.load(ref, language)


def render(
    ref: str, request: SessionRequest, output: Path | None = None, packaging: Packaging | None = None, progress=None, speaking=None
) -> Delivery:
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


def speak_ahead(ref: str, request: SessionRequest, speaking=None) -> SpeakStats:
    """Speak into the phrase cache what a session will say, rendering nothing, so that a render
    asked for later finds its phrases ready (the studio does this once a technique and a voice are
    chosen). What was spoken stays cached if it is stopped part-way."""
    script = load(ref, request.settings.language)
    with cache_root(True) as root:
        return prepare(script, request.values_for(script), request.settings, root, progress=speaking).speak


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


def write(
    prepared: Prepared,
    settings: Settings,
    out: Path,
    fmt: str | None = None,
    stems: Path | None = None,
    tags: TagInfo | None = None,
    progress=None,
) -> Rendered:
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
    return Rendered(
        out,
        fmt,
        tl,
        mastered.mix,
        mastered.gain_db,
        mastered.limiter_db,
        mastered.delivered,
        prepared.speak,
        predicted,
        mastered.passes,
        loudness_mode=mode,
        voice_lufs=voice_delivered,
        limiter_on_speech_db=mastered.on_speech,
        against_voice_lu=levels,
    )


def _master_once(
    renderer: Renderer, settings: Settings, fmt: str, frame: Frame, temp: Path, stem_temps: dict[str, Path], gain: float, report
) -> Mastered:
    """One pass: the mix rendered window by window (each layer into its stem, where asked),
    mastered with `gain` and encoded into `temp`."""
    tl = renderer.tl
    opened = open_writer(temp, fmt, tl.rate_hz, settings.mp3_bitrate_kbps, settings.channels, settings.bit_depth, length_frames=tl.frames)
    writer = BackgroundWriter(opened)
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


def deliver(
    prepared: Prepared,
    values: dict[str, str],
    settings: Settings,
    out: Path,
    packaging: Packaging | None = None,
    progress=None,
    source: str | None = None,
) -> Delivery:
    """The whole delivery of one session: audio with tags and chapters, then its sidecars.
    `source` is the script as it was named (a library id, a composition, a file), recorded in
    the manifest so that `render --from-manifest` can find it again."""
    packaging = packaging or Packaging()
    fmt = format_for(out, packaging.format)
    beds = {e.bed for e in prepared.timeline.events if e.bed and Path(e.bed).is_file()}
    _check_targets(out, packaging, [*prepared.script.sources, *([packaging.cover] if packaging.cover else []), *beds])
    records.check_sidecars_are_ours(out, prepared.script, values)
    cover, mime = read_cover(packaging.cover) if packaging.cover else (default_cover(prepared.script.meta.title), "image/png")
    script = prepared.script
    params, input_hash = _records(prepared, values, settings, packaging, source)
    info = TagInfo(
        title=_tag_title(script, values, packaging),
        artist=packaging.artist,
        album=packaging.album,
        comment=delivery.comment(settings, script.meta.language),
        genre=words_for(script.meta.language).genre,
        cover=cover,
        cover_mime=mime,
        params=params,
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


def _records(prepared: Prepared, values: dict[str, str], settings: Settings, packaging: Packaging, source: str | None) -> tuple[dict, str]:
    """(the render's parameters, its input hash), checked to be UTF-8 text: the manifest and the
    tags record them, so a bad byte is refused now, not after the audio is written."""
    script = prepared.script
    try:
        resolved = records.resolved_options(prepared, settings, values)
        params = delivery.render_params(script, values, records.recorded_source(source, script), options.recorded(settings, resolved))
        params["personal_pronunciations"] = len(settings.pronunciations) - len(resolved["pronunciations"])
        if prepared.voice_pack is not None:  # shown on the review page; the manifest lists every phrase
            params["synthetic_phrases"] = voicepack_source.synthetic_summary(prepared.voice_pack)
        input_hash = delivery.inputs_hash(script, values, settings, prepared.engine_identity, packaging)
        json.dumps([params, values, str(packaging.cover or "")], ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SessiongenError(
            f"{shown(exc.object)}: not valid UTF-8 text (an undecodable byte in an argument or file name): use UTF-8"
        ) from None
    return params, input_hash


def _beside(out: Path, rendered: Rendered, manifest: dict, script: Script, packaging: Packaging) -> Delivery:
    """The sidecars and the review of a recording just written."""
    paths = sidecar_files.write(out, rendered.timeline, packaging.sidecars, manifest)
    result = Delivery(rendered, manifest, tuple(paths))
    if packaging.review:
        from sessiongen import review  # matplotlib loads only when a review is asked for

        pages = review.write_review(
            result, client_id=packaging.client_id, techniques=script.meta.id.split("+"), cautions=list(script.meta.cautions)
        )
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
    out = list(prepared.script.notes) + list(prepared.notes)
    out += filter(None, [duration_note(prepared.script, prepared.timeline, settings)])
    beds = dict.fromkeys(e.bed for e in prepared.timeline.events if e.kind == EventKind.AMBIENCE and e.bed)
    out += filter(None, (over_full_scale_note(bed) for bed in beds))
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
