"""Reading audio a user supplies (beds): any common format, decoded block by block and only as
far as it is needed, resampled to the mix rate, stereo, and every sample checked.

WAV, FLAC, OGG and MP3 are read by libsndfile, BLOCK_FRAMES at a time; other formats (m4a, aac,
...) by ffmpeg, when it is on the PATH, streamed as raw samples and cut at the duration asked
for. A sample that is not a number (NaN or infinity: a damaged float file) is an error naming
the file and the time, never mixed: there is no right value to put in its place, and a recording
that is damaged there may be damaged elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from sessiongen.errors import SessiongenError
from sessiongen.sound.audio import Audio
from sessiongen.timefmt import clock

MIN_DURATION_S = 2.0
BLOCK_FRAMES = 1 << 16  # decoded at a time: 1.4 s at 48 kHz, 0.5 MB of stereo float32
FAR_BEYOND_DB = 80.0  # a float file's peak above this (dBFS) is no recording: refused before arithmetic overflows float32
_PEAKS_DB: dict[str, float] = {}  # a file read in this process -> its peak over full scale (dBFS > 0), for one warning


def over_full_scale_note(path: str | Path) -> str | None:
    """One warning line for a bed read in this process whose samples went beyond full scale."""
    peak_db = _PEAKS_DB.get(str(Path(path).resolve()))
    if peak_db is None:
        return None
    return (
        f"{path}: the bed's samples go beyond full scale (peak {peak_db:+.1f} dBFS): it was levelled like any bed, "
        "but a file this loud is often clipped or distorted: export it again at a normal level"
    )


def stream_audio(path: str | Path, rate_hz: int, max_duration_s: float, min_duration_s: float = MIN_DURATION_S) -> Iterator[np.ndarray]:
    """The first max_duration_s of a user's audio file as stereo float32 blocks at rate_hz.

    A file that is not audio, is empty, is shorter than MIN_DURATION_S, or has a sample that is
    NaN or infinite is a SessiongenError naming it (raised from the generator: a caller that
    keeps what it has been given so far throws it away)."""
    path = Path(path)
    if not path.is_file():
        raise SessiongenError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise SessiongenError(f"{path}: the file is empty: choose another audio file")
    blocks, file_rate = _open(path, rate_hz, max_duration_s)
    resampler = soxr.ResampleStream(file_rate, rate_hz, 2, dtype="float32", quality="HQ") if file_rate != rate_hz else None
    decoded = 0
    for block in blocks:
        _check_finite(path, block, decoded, file_rate)
        _check_level(path, block)
        decoded += len(block)
        stereo = _stereo(block)
        out = resampler.resample_chunk(stereo, last=False) if resampler else stereo
        if len(out):
            _check_finite(path, out, 0, rate_hz, resampled=True)
            yield out
    if decoded < min_duration_s * file_rate or not decoded:
        raise SessiongenError(
            f"{path}: the audio is shorter than {min_duration_s:g} s: a bed needs at least that to loop"
            if min_duration_s
            else f"{path}: the file holds no audio"
        )
    if resampler:
        yield resampler.resample_chunk(np.zeros((0, 2), dtype=np.float32), last=True)


def read_audio(path: str | Path, rate_hz: int, max_duration_s: float) -> Audio:
    """The first max_duration_s of a user's audio file, whole (stream_audio's blocks joined)."""
    blocks = list(stream_audio(path, rate_hz, max_duration_s))
    return Audio(np.concatenate(blocks).astype(np.float32, copy=False), rate_hz)


def _check_finite(path: Path, block: np.ndarray, position: int, rate_hz: int, resampled: bool = False) -> None:
    if not block.size or (np.isfinite(block.min()) and np.isfinite(block.max())):
        return
    if resampled:  # finite samples so large that resampling overflowed float32
        raise SessiongenError(f"{path}: its samples are far beyond full scale: the file is damaged: export it again or choose another")
    at = position + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
    raise SessiongenError(
        f"{path}: a sample at {clock(at / rate_hz)} is not a number (NaN or infinity): the file is damaged: export it again or choose another"
    )


def _check_level(path: Path, block: np.ndarray) -> None:
    """A peak beyond full scale is remembered for a warning; one beyond FAR_BEYOND_DB is refused
    (resampling, the loop's seam and mixing would overflow float32 into infinities)."""
    peak = float(np.max(np.abs(block))) if block.size else 0.0
    if peak <= 1.0:
        return
    peak_db = 20 * float(np.log10(peak))
    if peak_db > FAR_BEYOND_DB:
        raise SessiongenError(
            f"{path}: its samples reach {peak_db:+.0f} dBFS, far beyond full scale: the file is damaged or not audio: "
            "export it again at a normal level, or choose another"
        )
    key = str(path.resolve())
    _PEAKS_DB[key] = max(peak_db, _PEAKS_DB.get(key, 0.0))


def _stereo(block: np.ndarray) -> np.ndarray:
    if block.shape[1] == 1:
        return np.repeat(block, 2, axis=1)
    if block.shape[1] > 2:  # surround: even channels to the left, odd ones to the right
        return np.stack([block[:, 0::2].mean(axis=1), block[:, 1::2].mean(axis=1)], axis=1).astype(np.float32)
    return np.ascontiguousarray(block, dtype=np.float32)


def _open(path: Path, rate_hz: int, max_duration_s: float) -> tuple[Iterator[np.ndarray], int]:
    """(blocks at the file's rate, that rate): libsndfile, or else ffmpeg (which gives rate_hz)."""
    try:
        handle = sf.SoundFile(str(path))
    except (RuntimeError, sf.LibsndfileError):
        return _ffmpeg_blocks(path, rate_hz, max_duration_s), rate_hz
    return _soundfile_blocks(path, handle, int(max_duration_s * handle.samplerate)), int(handle.samplerate)


def _soundfile_blocks(path: Path, handle: sf.SoundFile, max_frames: int) -> Iterator[np.ndarray]:
    with handle:
        left = max_frames
        while left > 0:
            try:
                block = handle.read(min(BLOCK_FRAMES, left), dtype="float32", always_2d=True)
            except (RuntimeError, sf.LibsndfileError):
                raise SessiongenError(f"{path}: cannot be read as audio: use WAV, FLAC, OGG or MP3") from None
            if not len(block):
                return
            left -= len(block)
            yield block


def _ffmpeg_blocks(path: Path, rate_hz: int, max_duration_s: float) -> Iterator[np.ndarray]:
    """Stereo float32 at rate_hz from ffmpeg's standard output, cut by ffmpeg at max_duration_s;
    ffmpeg is stopped when the blocks are no longer wanted. (Not pydub: it decodes the whole
    file into memory and needs ffprobe, which the ffmpeg of imageio-ffmpeg does not bring.)"""
    unreadable = SessiongenError(f"{path}: cannot be read as audio: use WAV, FLAC, OGG or MP3")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise unreadable
    command = [
        ffmpeg,
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-t",
        f"{max_duration_s:.3f}",
        "-vn",
        "-ac",
        "2",
        "-ar",
        str(rate_hz),
        "-f",
        "f32le",
        "-",
    ]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    frame_bytes, given = 8, 0
    try:
        while chunk := process.stdout.read(BLOCK_FRAMES * frame_bytes):
            usable = len(chunk) // frame_bytes * frame_bytes
            given += usable
            yield np.frombuffer(chunk[:usable], dtype="<f4").reshape(-1, 2)
        if process.wait() != 0 and not given:
            raise unreadable
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
