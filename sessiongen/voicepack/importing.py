"""Importing takes into a pack: find each phrase, check it, clean it, keep it; all or nothing.

One long take or several (said in the sheet's order) are split and aligned (split.py); a folder
of files named by phrase number ("007.wav", "phrase 7.m4a") gives each file to its phrase. The
pack is changed in a copy (store.changing): an error leaves it as it was.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sessiongen.errors import SessiongenError
from sessiongen.output.files import safe_file_name
from sessiongen.settings import Settings
from sessiongen.timefmt import clock
from sessiongen.voicepack import matching, split, store
from sessiongen.voicepack.cleanup import clean, room
from sessiongen.voicepack.report import Report, check_phrase, write_report
from sessiongen.voicepack.takes import ACCEPTED, HOP_S, Envelope, check_lengths, cut, envelope

CONTEXT_S = 0.35  # room tone cut around each phrase, for measuring and fades
ROOM_TONE_S = 2.0
_NUMBER = re.compile(r"(\d+)")


@dataclass
class Found:
    """A phrase found in a take: frames of the take, and the takes it replaced."""

    phrase_id: int
    take: int
    start: int
    stop: int
    replaced: list[tuple[int, float, float]] = field(default_factory=list)  # take, start_s, stop_s
    match: dict | None = None  # how sure the match is (matching.Confidence), for a take aligned by content


def take_files(given: list[Path]) -> tuple[list[Path], dict[Path, int] | None]:
    """(the take files in order, phrase number by file for a numbered folder or None)."""
    for path in given:
        if not path.exists():
            raise SessiongenError(f"{path}: no such take")
    if len(given) == 1 and given[0].is_dir():
        files = sorted(p for p in given[0].iterdir() if p.is_file() and p.suffix.lower() in ACCEPTED and _NUMBER.search(p.stem))
        if not files:
            raise SessiongenError(f"{given[0]}: no audio files named by phrase number (e.g. 007.wav) in this folder")
        return files, {p: int(_NUMBER.search(p.stem).group(1)) for p in files}
    for path in given:
        if path.is_dir():
            raise SessiongenError(f"{path}: a folder: give a folder of numbered files on its own, or take files")
        if path.suffix.lower() not in ACCEPTED:
            raise SessiongenError(f"{path}: not a take this can read: use WAV, FLAC, OGG, MP3 or M4A")
    return list(given), None


def import_takes(folder: Path, given: list[Path], settings: Settings) -> Report:
    """Import takes into a pack, holding it: a second run into the same pack is refused while
    this one runs (its copy of the pack would lack this run's recordings)."""
    with store.holding(folder):
        return _import_takes(folder, given, settings)


def _import_takes(folder: Path, given: list[Path], settings: Settings) -> Report:
    pack = store.load(folder)
    files, numbered = take_files(given)
    check_lengths(files)  # a take over 4 hours: one line, before any work
    rate = settings.sample_rate_hz
    envelopes = [envelope(path, rate) for path in files]
    if numbered is None:
        found, report = _aligned(pack, envelopes, settings)
    else:
        found, report = _numbered(pack, envelopes, numbered)
    if not found:
        raise SessiongenError(f"no phrase of the sheet was found in {', '.join(p.name for p in files)}: the pack is unchanged")
    with store.changing(pack.folder) as staging:
        names = _keep_takes(staging, files, pack)
        clips = store.clip_folder(staging, rate, settings.voice_rms_db)
        for stale in (staging / "clips").glob("*") if (staging / "clips").is_dir() else []:
            shutil.rmtree(stale)  # derived from the takes: made again when needed
        clips.mkdir(parents=True)
        if numbered is None:
            pack.recorded = {}
        for item in _cleaned(found, envelopes, settings):
            spot, cleaned = item
            store.write_clip(clips / f"{spot.phrase_id:03d}.wav", cleaned.samples, rate)
            pack.recorded[spot.phrase_id] = _entry(spot, cleaned, envelopes, names, rate)
            report.add(check_phrase(pack.phrase(spot.phrase_id), pack.recorded[spot.phrase_id], report.pace))
        pack.folder, pack.takes = staging, pack.takes + [n for n in names if n not in pack.takes]
        report.finish(pack)
        store.save(pack)
        write_report(staging, report, clips.relative_to(staging).as_posix())
    pack.folder = Path(folder)
    return report


def _keep_takes(staging: Path, files: list[Path], pack: store.Pack) -> list[str]:
    (staging / "takes").mkdir(exist_ok=True)
    names = []
    for path in files:
        name = safe_file_name(path.name, 80)
        if (staging / "takes" / name).exists() and name not in pack.takes:
            name = f"{len(pack.takes) + len(names) + 1:03d}-{name}"
        shutil.copyfile(path, staging / "takes" / name)
        names.append(name)
    return names


def _aligned(pack: store.Pack, envelopes: list[Envelope], settings: Settings) -> tuple[list[Found], Report]:
    islands = split.islands(envelopes)
    said = matching.what_was_said(pack, islands, envelopes, settings)
    scores = said.scores
    aligned = split.align(islands, [p.expected_s for p in pack.phrases], scores)
    report = Report(pack.name, [e.path.name for e in envelopes], aligned.pace)
    found = []
    for index, (phrase, group, retakes) in enumerate(zip(pack.phrases, aligned.kept, aligned.retakes)):
        if group is None:
            report.missing(phrase)
            continue
        first, last = islands[group[0]], islands[group[1]]
        hop = envelopes[first.take].rate_hz * HOP_S
        replaced = [(islands[a].take, islands[a].start * HOP_S, islands[b].stop * HOP_S) for a, b in retakes]
        sure = matching.confidence(scores, group, index, retakes, _slot(aligned.kept, index, len(islands)))
        if index in aligned.ragged:  # sound beside it left out: a part of it, perhaps
            sure = matching.Confidence(sure.score, min(sure.margin, 0.0), sure.rival_phrase, sure.rival_group)
        rival = _rival(pack, islands, sure)
        found.append(
            Found(
                phrase.id,
                first.take,
                int(first.start * hop),
                int(last.stop * hop),
                replaced,
                {
                    "confidence": round(sure.value, 2),
                    "score": round(sure.score, 2),
                    "check": sure.doubtful,
                    "rival": rival,
                    **said.heard(group),
                },
            )
        )
        for take, start_s, stop_s in replaced:
            report.retake(phrase, take, start_s, stop_s)
        if sure.doubtful:
            report.check(phrase, first.take, first.start * HOP_S, sure.value, rival)
    for index in aligned.extras:
        island = islands[index]
        report.extra(island.take, island.start * HOP_S, island.stop * HOP_S)
    return found, report


def _slot(kept: list[tuple[int, int] | None], index: int, islands_n: int) -> tuple[int, int]:
    """The islands a phrase could have been in: after the phrase kept before it, before the next."""
    before = next((g[1] for g in reversed(kept[:index]) if g is not None), -1)
    after = next((g[0] for g in kept[index + 1 :] if g is not None), islands_n)
    return before, after


def _rival(pack: store.Pack, islands: list[split.Island], sure: matching.Confidence) -> str:
    """The nearest rival of a match, in words: 'phrase 7' or 'take.wav at 2:04'."""
    if sure.rival_phrase is not None:
        return f"phrase {pack.phrases[sure.rival_phrase].id}"
    if sure.rival_group is not None:
        island = islands[sure.rival_group[0]]
        return f"another place at {clock(island.start * HOP_S)}"
    return ""


def _numbered(pack: store.Pack, envelopes: list[Envelope], numbers: dict[Path, int]) -> tuple[list[Found], Report]:
    report = Report(pack.name, [e.path.name for e in envelopes], 1.0)
    ids = {p.id for p in pack.phrases}
    found: dict[int, Found] = {}
    for take, env in enumerate(envelopes):
        number = numbers[env.path]
        islands = split.islands([env])
        if number not in ids:
            report.unknown(take, number)
        elif not islands:
            report.silent(take, number)
        else:
            hop = env.rate_hz * HOP_S
            found[number] = Found(number, take, int(islands[0].start * hop), int(islands[-1].stop * hop))
    if found:  # the pace of the reader: from the files themselves
        report.pace = float(
            np.median(
                [(f.stop - f.start) / envelopes[f.take].rate_hz / max(pack.phrase(f.phrase_id).expected_s, 0.05) for f in found.values()]
            )
        )
    return list(found.values()), report


def _room_tone(env: Envelope) -> tuple[int, int] | None:
    """The longest quiet stretch of a take (at most ROOM_TONE_S), in frames."""
    floor = split.threshold_db(env.level_db)[0]
    runs = split._runs(env.level_db < floor + 4.0)
    if not runs:
        return None
    a, b = max(runs, key=lambda r: r[1] - r[0])
    hop = env.rate_hz * HOP_S
    b = min(b, a + int(ROOM_TONE_S / HOP_S))
    return int((a + 2) * hop), int(max(a + 3, b - 2) * hop)


def _cleaned(found: list[Found], envelopes: list[Envelope], settings: Settings):
    """(found, cleaned) for each phrase, take by take, each take decoded once more."""
    for take, env in enumerate(envelopes):
        spots = [f for f in found if f.take == take]
        if not spots:
            continue
        rate, context = env.rate_hz, int(CONTEXT_S * env.rate_hz)
        tone = _room_tone(env)
        room_tone = room(next(cut(env.path, rate, [tone]))[1] if tone else None, rate)
        spans = [(max(0, f.start - context), min(env.frames, f.stop + context)) for f in spots]
        for index, samples in cut(env.path, rate, spans):
            yield spots[index], clean(samples, rate, room_tone, settings)


def _entry(spot: Found, cleaned, envelopes: list[Envelope], names: list[str], rate: int) -> dict:
    env = envelopes[spot.take]
    hops = slice(int(spot.start / rate / HOP_S), max(int(spot.start / rate / HOP_S) + 1, int(spot.stop / rate / HOP_S)))
    peak = float(env.peak_db[hops].max()) if env.peak_db[hops].size else -120.0
    clipped = int(np.count_nonzero(env.peak_db[hops] >= -0.05))
    return {
        "take": names[spot.take],
        "start_s": round(spot.start / rate, 3),
        "stop_s": round(spot.stop / rate, 3),
        "duration_s": round((spot.stop - spot.start) / rate, 3),
        "peak_db": round(peak, 1),
        "clipped_hops": clipped,
        "speech_db": round(cleaned.before.speech_db, 1),
        "noise_db": round(cleaned.before.noise_db, 1),
        "snr_db": round(cleaned.before.snr_db, 1),
        "noise_db_after": round(cleaned.after.noise_db, 1),
        "snr_db_after": round(cleaned.after.snr_db, 1),
        "clicks": cleaned.clicks,
        "clip_frames": len(cleaned.samples),
        **({"match": spot.match} if spot.match else {}),
        "retakes": [{"take": names[t], "start_s": round(a, 3), "stop_s": round(b, 3)} for t, a, b in spot.replaced],
    }
