"""An over-loud bed (issue 28, class 9): one line naming the file and what to do, never Python's
RuntimeWarnings nor "please report it". Real processes, so everything printed is seen."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from helpers import script_text
from test_signals import start


def _bed(path, scale: float, rate_hz: int = 44_100, subtype: str = "FLOAT", damage=None):
    samples = np.random.default_rng(7).uniform(-1, 1, (rate_hz * 5, 2)) * scale
    if damage is not None:
        samples[1000, 0] = damage
    sf.write(path, samples.astype(np.float32), rate_hz, subtype=subtype)
    return path


@pytest.mark.parametrize(
    "scale, subtype, damage, code, line",
    [
        pytest.param(1.0, "PCM_16", None, 0, None, id="full-scale-noise"),
        pytest.param(4.0, "FLOAT", None, 0, "the bed's samples go beyond full scale (peak +12.0 dBFS)", id="12-dB-over"),
        pytest.param(3e38, "FLOAT", None, 1, "its samples reach +770 dBFS, far beyond full scale", id="float-max"),
        pytest.param(1.0, "FLOAT", np.nan, 1, "a sample at 0:00 is not a number (NaN or infinity)", id="nan"),
        pytest.param(1.0, "FLOAT", np.inf, 1, "a sample at 0:00 is not a number (NaN or infinity)", id="inf"),
    ],
)
def test_a_loud_or_damaged_bed_is_one_line_naming_it(tmp_path, scale, subtype, damage, code, line):
    script = tmp_path / "s.md"
    script.write_text(script_text("Hello there.\n", duration="5s"), encoding="utf-8")
    bed = _bed(tmp_path / "bed.wav", scale, subtype=subtype, damage=damage)
    process = start(["render", str(script), "--engine", "fake", "-o", str(tmp_path / "s.wav"), "--ambience", str(bed)], tmp_path)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    assert "RuntimeWarning" not in stderr and "please report" not in stderr and "Traceback" not in stderr, stderr
    about_the_bed = [text for text in stderr.splitlines() if str(bed) in text]
    if line is None:
        assert about_the_bed == [], stderr
    else:
        assert len(about_the_bed) == 1 and line in about_the_bed[0] and "export it again" in about_the_bed[0], stderr
        assert about_the_bed[0].startswith("warning: " if code == 0 else "error: ")
    assert (tmp_path / "s.wav").exists() == (code == 0)
