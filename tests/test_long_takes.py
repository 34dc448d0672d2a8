"""Takes over 4 hours (issue 28, class 8): refused in one line before any work, never cut short
with the phrases after the cut reported missing. The take is a sparse file (a WAV header saying
4 h 1 min of 8 kHz silence), so it costs no disk and, refused from its header, no decoding."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.voicepack import takes

SCRIPT = Path(__file__).parent / "data" / "voicepack-script.md"
RATE_HZ = 8_000


def _sparse_wav(path: Path, seconds: float) -> Path:
    """A valid 8-bit mono WAV of `seconds` of silence, its data a hole in the file."""
    frames = int(seconds * RATE_HZ)
    header = b"RIFF" + struct.pack("<I", 36 + frames) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, RATE_HZ, RATE_HZ, 1, 8)
    with open(path, "wb") as out:
        out.write(header + b"data" + struct.pack("<I", frames))
        out.truncate(44 + frames)
    return path


def _pack(tmp_path: Path) -> Path:
    made = CliRunner().invoke(cli, ["voice-pack", "sheet", str(SCRIPT), "-o", str(tmp_path / "pack"), "--engine", "fake"])
    assert made.exit_code == 0, made.output
    return tmp_path / "pack"


def test_a_take_over_four_hours_is_refused_before_any_work(tmp_path, monkeypatch):
    pack = _pack(tmp_path)
    before = sorted(p.relative_to(pack) for p in pack.rglob("*"))
    long_take = _sparse_wav(tmp_path / "long.wav", 4 * 3600 + 61)
    decoded = []
    monkeypatch.setattr(takes, "stream_audio", lambda *a, **k: decoded.append(a) or iter(()))
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["voice-pack", "import", str(pack), str(tmp_path / "short.wav"), str(long_take)])
    assert result.exit_code == 1 and "no such take" in result.output  # the files are checked first
    sf.write(tmp_path / "short.wav", np.zeros(RATE_HZ * 3, np.float32), RATE_HZ)
    result = CliRunner().invoke(cli, ["voice-pack", "import", str(pack), str(tmp_path / "short.wav"), str(long_take)])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == (
        f"error: {long_take}: is 4:01:01 long, longer than the limit of 4:00:00 for one take: split it into takes of at most "
        "4 hours and import them together, in the sheet's order: the pack is unchanged"
    )
    assert decoded == [] and time.monotonic() - started < 10  # nothing decoded, not even the short take before it
    assert sorted(p.relative_to(pack) for p in pack.rglob("*")) == before


def test_a_take_whose_header_hides_its_length_is_an_error_when_decoding_passes_the_limit(tmp_path, monkeypatch):
    """A stream (no length in its header) is not cut short without a word either."""
    monkeypatch.setattr(takes, "MAX_TAKE_S", 2.0)
    monkeypatch.setattr(takes, "length_s", lambda path: None)
    take = tmp_path / "t.wav"
    sf.write(take, np.zeros(RATE_HZ * 5, np.float32), RATE_HZ)
    takes.check_lengths([take])  # unknown: let through
    with pytest.raises(SessiongenError, match="longer than the limit of 0:02 for one take"):
        list(takes.mono_blocks(take, 48_000))
