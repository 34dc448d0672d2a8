"""`render --from-manifest`: a session rebuilt from what its manifest records renders the same
audio, sample for sample, with the phrase cache warm; what a manifest does not keep (the values
of the variables, where a voice pack lives) is asked for in one line."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf
from helpers import script_text

from sessiongen.cli import cli

FAKE = ["--engine", "fake"]
MANY = [
    "--rate",
    "120",
    "--pause-scale",
    "1.3",
    "--duck",
    "12",
    "--bls-tone",
    "chime",
    "--bls-rate",
    "0.8",
    "--bls-depth",
    "70",
    "--bls-level",
    "-9",
    "--bed-level",
    "-21",
    "--seed",
    "7",
    "--say",
    "Sam=sahm",
    "--say",
    "Nguyen=win",
    "--loudness-mode",
    "programme",
    "--loudness",
    "-18",
    "--no-headphone-check",
    "--slow-ending",
    "--bit-depth",
    "24",
]
BODY = (
    "# Arriving\nWelcome{% if name %}, {{ name }}{% endif %}. You can stop at any time.\n[pause 3s..20s]\n"
    "[bls 6s rate=1.0 tone=sine]\n# Resting\nNotice your feet on the floor.\n[pause 4s..30s]\nThank you.\n"
)


def _samples(path):
    samples, rate = sf.read(str(path), dtype="int32", always_2d=True)
    return samples, rate


def _render(runner, *args):
    result = runner.invoke(cli, ["render", *args])
    return result


def test_a_session_rebuilt_from_its_manifest_is_the_same_audio(runner, tmp_path):
    script = tmp_path / "calm.md"
    script.write_text(script_text(BODY, duration="1m", extra='variables:\n  name: ""\n'), encoding="utf-8")
    bed = tmp_path / "room.wav"
    sf.write(str(bed), (0.05 * np.random.default_rng(1).standard_normal((44_100 * 4, 2))).astype("float32"), 44_100)
    first = tmp_path / "first" / "calm.wav"
    done = _render(runner, str(script), "-o", str(first), "--var", "name=Sam", "--minutes", "1.2", "--ambience", str(bed), *FAKE, *MANY)
    assert done.exit_code == 0, done.output
    manifest = first.with_name("calm.manifest.json")
    params = json.loads(manifest.read_text(encoding="utf-8"))["parameters"]
    assert params["source"] == "calm.md" and params["variables"] == ["name"] and "Sam" not in manifest.read_text(encoding="utf-8")
    assert params["rate"] == 120 and params["duck"] == 12 and params["ambience"] == "room.wav" and params["bit_depth"] == 24
    assert params["pronunciations"] == {"Nguyen": "win"} and params["personal_pronunciations"] == 1  # Sam's is left out
    (first.parent / "room.wav").write_bytes(bed.read_bytes())  # a bed is recorded by its name: found beside the manifest
    (first.parent / "calm.md").write_bytes(script.read_bytes())

    again = tmp_path / "again.wav"
    unsaid = _render(runner, "--from-manifest", str(manifest), "-o", str(again), "--var", "name=Sam")
    assert unsaid.exit_code == 1 and "--say NAME=RESPELLING" in unsaid.output
    rebuilt = _render(runner, "--from-manifest", str(manifest), "-o", str(again), "--var", "name=Sam", "--say", "Sam=sahm")
    assert rebuilt.exit_code == 0, rebuilt.output
    (a, rate_a), (b, rate_b) = _samples(first), _samples(again)
    assert rate_a == rate_b and a.shape == b.shape and np.array_equal(a, b)
    assert sf.info(str(again)).subtype == "PCM_24"


def test_a_library_session_needs_only_its_manifest(runner, tmp_path):
    first = tmp_path / "one.wav"
    assert _render(runner, "box-breathing", "-o", str(first), *FAKE, "--mono", "--seed", "5", "--bls-tone", "drum").exit_code == 0
    second = tmp_path / "two.wav"
    rebuilt = _render(runner, "--from-manifest", str(tmp_path / "one.manifest.json"), "-o", str(second))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert np.array_equal(_samples(first)[0], _samples(second)[0]) and sf.info(str(second)).channels == 1
    changed = tmp_path / "three.wav"  # an option given on top changes the recorded one
    assert _render(runner, "--from-manifest", str(tmp_path / "one.manifest.json"), "-o", str(changed), "--seed", "6").exit_code == 0
    assert json.loads((tmp_path / "three.manifest.json").read_text())["parameters"]["seed"] == 6


def test_what_a_manifest_does_not_keep_is_asked_for_in_one_line(runner, tmp_path):
    script = tmp_path / "calm.md"
    script.write_text(script_text(BODY, extra='variables:\n  name: ""\n'), encoding="utf-8")
    out = tmp_path / "calm.wav"
    assert _render(runner, str(script), "-o", str(out), "--var", "name=Sam", *FAKE).exit_code == 0
    manifest = tmp_path / "calm.manifest.json"
    missing = _render(runner, "--from-manifest", str(manifest), "-o", str(tmp_path / "x.wav"))
    assert missing.exit_code == 1 and len(missing.output.strip().splitlines()) == 1
    assert "the session used the value of name" in missing.output and "--var name=VALUE" in missing.output
    assert not (tmp_path / "x.wav").exists()

    script.write_text(script_text(BODY + "Rest now.\n", extra='variables:\n  name: ""\n'), encoding="utf-8")
    changed = _render(runner, "--from-manifest", str(manifest), "-o", str(tmp_path / "y.wav"), "--var", "name=Sam")
    assert changed.exit_code == 0 and "the script has changed since" in changed.output

    for bad, says in [("{", "not a sessiongen manifest"), ('{"parameters": {}}', "not a sessiongen manifest")]:
        (tmp_path / "bad.json").write_text(bad)
        result = _render(runner, "--from-manifest", str(tmp_path / "bad.json"))
        assert result.exit_code == 1 and says in result.output and len(result.output.strip().splitlines()) == 1
    assert _render(runner).exit_code == 2  # neither a script nor a manifest
