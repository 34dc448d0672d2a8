"""A user's recording as a seamless stereo loop, kept on disk and read window by window.

The loop is built as the recording is decoded (useraudio.stream_audio): its samples go to an
unnamed temporary file (removed by the system when it is closed, or when the process ends,
however it ends), and only its first and last SEAM_S stay in memory, to make the seam. So memory
does not grow with the recording's length, nor with the session's. Reading is by position
(pread), so the windows rendered on another thread share one open file safely.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

import numpy as np

from sessiongen.errors import SessiongenError

SEAM_S = 2.0  # crossfade where the loop's end meets its start
CHANNELS = 2
FRAME_BYTES = CHANNELS * 4  # float32


class LoopFile:
    """`frames` frames of stereo float32 in an open temporary file; read() scales them to RMS 1."""

    def __init__(self, handle, frames: int, scale: float):
        self._handle, self.frames, self.scale = handle, frames, np.float32(scale)

    def __len__(self) -> int:
        return self.frames

    def read(self, start: int, frames: int) -> np.ndarray:
        """`frames` frames of the loop from absolute position `start`, wrapping around: a new array."""
        out = np.empty((frames, CHANNELS), dtype=np.float32)
        position, done = start % self.frames, 0
        while done < frames:
            n = min(frames - done, self.frames - position)
            self._read_into(out[done : done + n], position)
            done, position = done + n, 0
        out *= self.scale
        return out

    def _read_into(self, view: np.ndarray, position: int) -> None:
        buffer = memoryview(view).cast("B")
        offset, got = position * FRAME_BYTES, 0
        while got < len(buffer):
            n = os.preadv(self._handle.fileno(), [buffer[got:]], offset + got)
            if n <= 0:
                raise SessiongenError("the bed's temporary file was cut short: render again")
            got += n


def build_loop(blocks: Iterable[np.ndarray], rate_hz: int, name: str) -> LoopFile:
    """The blocks (stereo float32) as a seamless loop: its end crossfades (equal power) into its
    start over SEAM_S (a quarter of it, when shorter than 4 * SEAM_S), and it is scaled to RMS 1."""
    seam_max = int(SEAM_S * rate_hz)
    handle = tempfile.TemporaryFile(prefix="sessiongen-bed-")  # noqa: SIM115 - open while the loop is in use
    try:
        head, held, energy = np.zeros((0, CHANNELS), np.float32), np.zeros((0, CHANNELS), np.float32), 0.0
        for block in blocks:
            if len(head) < seam_max:
                head = np.concatenate([head, block[: seam_max - len(head)]])
            data = np.concatenate([held, block])
            cut = max(0, len(data) - seam_max)  # the last seam_max frames are held back: they may be the end
            energy += _write(handle, data[:cut], name)
            held = data[cut:]
        frames, energy = _close_seam(handle, head, held, energy, name)
    except BaseException:
        handle.close()
        raise
    level = float(np.sqrt(energy / max(1, frames * CHANNELS)))
    return LoopFile(handle, frames, 1.0 / max(level, 1e-9))


def _close_seam(handle, head: np.ndarray, held: np.ndarray, energy: float, name: str) -> tuple[int, float]:
    """Write what was held back, less the end, and blend the end into the start: (frames, energy)."""
    written = handle.tell() // FRAME_BYTES
    seam = min(len(held), (written + len(held)) // 4)
    energy += _write(handle, held[: len(held) - seam], name)
    frames = handle.tell() // FRAME_BYTES
    if not frames or not seam:
        raise SessiongenError(f"{name}: the audio is too short to loop")
    theta = (np.arange(seam) + 0.5) / seam * (np.pi / 2)
    start = head[:seam].astype(np.float64)
    blended = (start * np.sin(theta)[:, None] + held[len(held) - seam :] * np.cos(theta)[:, None]).astype(np.float32)
    energy += float(np.sum(np.square(blended, dtype=np.float64))) - float(np.sum(np.square(start)))
    handle.seek(0)
    _write(handle, blended, name)
    handle.flush()
    return frames, energy


def _write(handle, samples: np.ndarray, name: str) -> float:
    """Append the samples to the loop's file; their energy (sum of squares)."""
    if not len(samples):
        return 0.0
    try:
        handle.write(memoryview(np.ascontiguousarray(samples, dtype=np.float32)).cast("B"))
    except OSError as exc:
        raise SessiongenError(
            f"{name}: no room to prepare the bed in the temporary folder ({exc.strerror}): free some space or set TMPDIR"
        ) from None
    return float(np.sum(np.square(samples, dtype=np.float64)))
