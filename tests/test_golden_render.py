"""Behaviour pinned to the sample: three fixed scripts rendered with the fake engine, their PCM
(as a hash) and every sidecar compared exactly with tests/data/golden/render/.

A change that alters what a listener hears or what a sidecar says fails here; a refactoring must
not. To accept a deliberate change: UPDATE_GOLDEN=1 pytest tests/test_golden_render.py, then
review the diff of tests/data/golden/render/ before committing it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from sessiongen.cli import cli

GOLDEN = Path(__file__).parent / "data" / "golden" / "render"
HEAD = "---\nid: golden-{name}\ntitle: Golden {name}\ncategory: grounding\nsummary: s\nduration: {duration}\n{extra}---\n"
SIDECARS = ("vtt", "srt", "lrc", "chapters.json", "manifest.json")

SCRIPTS = {
    "stereo-bed-tones": (
        "1m",
        'ambience: rain\nvariables:\n  name: ""\n',
        "# Arriving\nWelcome{% if name %}, {{ name }}{% endif %}. You can stop at any time.\n[pause 3s..9s]\n"
        "[bls 6s rate=1.0 tone=chime depth=80]\n[bell]\n# Noticing\n[bls on rate=0.8 tone=sine]\n"
        "You might notice your feet on the floor.\nAnd the air on your hands.\n[bls off]\n"
        "[breathe in=2 hold=1 out=3 rounds=2]\n[ambience ocean]\nThank you for taking this time.\n",
        ["--var", "name=Sam", "--seed", "3"],
    ),
    "mono-headphone-check": (
        "40s",
        "",
        "# Check\n[headphone-check]\nIf the tones sound centred, that is fine.\n[pause 2s]\n[bls 4s rate=1.5 tone=woodblock]\n"
        "# Rest\nRest here for a moment.\n[pause 4s..12s]\nWelcome back.\n",
        ["--mono", "--ambience", "pink"],
    ),
    "fitted-slow-ending": (
        "1m",
        "",
        "# One\nSettle in, in your own time.\n[pause 5s..30s]\n[repeat 2]\nBreathe gently.\n[pause 2s]\n[end]\n"
        "# Two\n[bls 5s rate=1.0 tone=sine style=sweep jitter=10]\nLet the day soften around you.\n[pause 3s..20s]\nGoodnight.\n",
        ["--minutes", "1.2", "--slow-ending", "--ambience", "brown", "--duck", "9", "--pause-scale", "1.2"],
    ),
}


def pcm_digest(path: Path) -> str:
    samples, rate = sf.read(str(path), dtype="int16", always_2d=True)
    return hashlib.sha256(np.ascontiguousarray(samples).tobytes() + f"{rate}|{samples.shape[1]}".encode()).hexdigest()


def _without_paths(manifest: str) -> str:
    """The input hash covers the script's path, which is the test's temporary folder."""
    data = json.loads(manifest)
    data["inputs"]["sha256"] = "(depends on where the script is)"
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_fixed_render_is_unchanged(name, tmp_path):
    duration, extra, body, options = SCRIPTS[name]
    script = tmp_path / f"{name}.md"
    script.write_text(HEAD.format(name=name, duration=duration, extra=extra) + body, encoding="utf-8")
    out = tmp_path / f"{name}.wav"
    result = CliRunner().invoke(
        cli, ["render", str(script), "-o", str(out), "--engine", "fake", "--sidecars", "all", "--no-cache", *options]
    )
    assert result.exit_code == 0, result.output
    found = {"pcm.sha256": pcm_digest(out) + "\n"}
    found.update({kind: out.with_name(f"{name}.{kind}").read_text(encoding="utf-8") for kind in SIDECARS})
    found["manifest.json"] = _without_paths(found["manifest.json"])
    folder = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        folder.mkdir(parents=True, exist_ok=True)
        for kind, text in found.items():
            (folder / kind).write_text(text, encoding="utf-8")
    for kind, text in found.items():
        assert (folder / kind).is_file(), f"no golden {name}/{kind}: run with UPDATE_GOLDEN=1 and review it"
        assert text == (folder / kind).read_text(encoding="utf-8"), f"{name}/{kind} changed"
