"""Kokoro's files without its model running: blends, the catalogue, choosing the engine, resolving
a voice by name and language, installing the voices from a tarball (no network), a damaged or
wrong model refused in one line."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import script_text

from sessiongen import speech
from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.speech import kokorofiles as files
from sessiongen.speech import kokoroinstall
from sessiongen.speech.engines import kokoro

REAL_HOME = files.home()
REAL_VOICES = sorted((REAL_HOME / "voices").glob("*.bin")) if (REAL_HOME / "voices").is_dir() else []
needs_voices = pytest.mark.skipif(len(REAL_VOICES) != 54, reason="Kokoro's voices are not installed (sessiongen voices install)")


def fake_home(tmp_path: Path, monkeypatch, names=("af_heart", "bf_emma", "ef_dora", "am_michael", "jf_alpha")) -> Path:
    """A Kokoro folder whose voice files have the right size (content is checked only when spoken or hashed)."""
    home = tmp_path / "kokoro"
    (home / "voices").mkdir(parents=True)
    for name in names:
        (home / "voices" / f"{name}.bin").write_bytes(b"\0" * files.VOICE_BYTES)
    monkeypatch.setenv(files.HOME_ENV, str(home))
    return home


def test_the_catalogue_is_kokoro_js_with_names_that_say_language_and_gender():
    catalogue = files.catalogue()
    assert len(catalogue) == 54
    heart, emma, alex = catalogue["af_heart"], catalogue["bf_emma"], catalogue["pm_alex"]
    assert (heart.language, heart.gender, heart.grade) == ("en-us", "female", "A")
    assert (emma.language, emma.gender) == ("en-gb", "female") and (alex.language, alex.gender) == ("pt-br", "male")
    assert all(len(v.sha256) == 64 for v in catalogue.values())


def test_blends_are_normalised_and_named_canonically():
    assert files.parse_blend("af_heart") == (("af_heart", 1.0),)
    blend = files.parse_blend(" af_heart:60, bf_emma:40 ")
    assert blend == (("af_heart", 0.6), ("bf_emma", 0.4))
    assert files.blend_id(blend) == "af_heart:60,bf_emma:40"
    assert files.blend_id(files.parse_blend("af_heart:3,bf_emma:1")) == "af_heart:75,bf_emma:25"
    assert files.parse_blend("af_heart,am_michael") == (("af_heart", 0.5), ("am_michael", 0.5))
    assert files.is_kokoro("af_heart:60,bf_emma:40") and files.is_kokoro("af_heart")
    assert not files.is_kokoro("joe") and not files.is_kokoro("gmw/en") and not files.is_kokoro(None)


@pytest.mark.parametrize(
    "voice, message",
    [
        ("af_heart:60,bf_emmma:40", "unknown Kokoro voice 'bf_emmma' (did you mean 'bf_emma'?)"),
        ("af_heart:0,bf_emma:40", "give every voice a weight above 0"),
        ("af_heart:60,af_heart:40", "a voice is named twice"),
        ("af_heart:60,bf emma", "must look like NAME:WEIGHT"),
    ],
)
def test_a_bad_blend_is_one_line(voice, message):
    with pytest.raises(SessiongenError, match=re.escape(message)):
        files.parse_blend(voice)


def test_the_default_voice_is_the_best_graded_for_the_language(tmp_path, monkeypatch):
    fake_home(tmp_path, monkeypatch)
    assert kokoro.resolve(None, None) == "af_heart"
    assert kokoro.resolve(None, "en-gb") == "bf_emma"  # a British script: a British voice where one is installed
    assert kokoro.resolve(None, "en-au") == "af_heart"  # else the best English voice
    assert kokoro.resolve(None, "es") == "ef_dora"
    assert kokoro.resolve("am_michael", "en") == "am_michael"
    assert kokoro.resolve("bf_emma:40,af_heart:60", None) == "bf_emma:40,af_heart:60"
    with pytest.raises(
        SessiongenError,
        match="the voice af_heart speaks English \\(US\\), but the script's language is 'es': voices that speak it: ef_dora",
    ):
        kokoro.resolve("af_heart", "es")
    with pytest.raises(SessiongenError, match="the Kokoro voice af_bella is not installed .*sessiongen voices install"):
        kokoro.resolve("af_bella", None)
    with pytest.raises(SessiongenError, match="phonemiser \\(misaki\\) is not installed"):
        kokoro.resolve("jf_alpha", None)
    with pytest.raises(SessiongenError, match="no installed Kokoro voice speaks 'fr'"):
        kokoro.resolve(None, "fr")


def test_the_default_engine_is_kokoro_and_joe_with_a_line_where_its_voices_are_missing(tmp_path, monkeypatch):
    fake_home(tmp_path, monkeypatch)
    assert speech.choose_engine(None, None) == ("kokoro", None)
    assert speech.choose_engine(None, "bf_emma") == ("kokoro", None)
    assert speech.choose_engine(None, "joe") == ("piper", None)
    assert speech.choose_engine("pyttsx3", None) == ("pyttsx3", None)
    monkeypatch.setenv(files.HOME_ENV, str(tmp_path / "empty"))
    engine, note = speech.choose_engine(None, None)
    assert engine == "piper" and note == (
        "Kokoro's voices are not installed: run `sessiongen voices install` (or `make install`); narrating with joe (Piper) meanwhile"
    )


def test_voices_lists_kokoro_with_gender_and_grade_and_filters(tmp_path, monkeypatch):
    fake_home(tmp_path, monkeypatch)
    listed = json.loads(CliRunner().invoke(cli, ["voices", "--json", "--engine", "kokoro"]).output)
    assert [v["name"][:5] for v in listed][:1] == ["Heart"]
    heart = listed[0]
    assert {k: heart[k] for k in ("id", "engine", "language", "gender", "quality", "sample_rate_hz")} == {
        "id": "af_heart",
        "engine": "kokoro",
        "language": "en-us",
        "gender": "female",
        "quality": "A",
        "sample_rate_hz": 24_000,
    }
    women = json.loads(CliRunner().invoke(cli, ["voices", "--json", "--gender", "female", "--language", "en"]).output)
    assert {v["id"] for v in women if v["engine"] == "kokoro"} == {"af_heart", "bf_emma"}
    assert all(v["gender"] == "female" for v in women)
    men = json.loads(CliRunner().invoke(cli, ["voices", "--json", "--gender", "male"]).output)
    assert "am_michael" in {v["id"] for v in men} and "en_US-joe-medium" in {v["id"] for v in men}
    table = CliRunner().invoke(cli, ["voices", "--language", "es"]).output
    assert "ef_dora" in table and "female" in table and "GENDER" in table


def _tarball(path: Path, voices: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in voices.items():
            info = tarfile.TarInfo(f"package/voices/{name}.bin")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@needs_voices
def test_voices_install_from_a_tarball_checks_every_file(tmp_path, monkeypatch):
    monkeypatch.setenv(files.HOME_ENV, str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / files.MODEL_NAME).symlink_to(REAL_HOME / files.MODEL_NAME)
    voices = {p.stem: p.read_bytes() for p in REAL_VOICES}
    tampered = _tarball(tmp_path / "bad.tgz", {**voices, "af_heart": voices["af_heart"][:-4] + b"\0\0\0\1"})
    result = CliRunner().invoke(cli, ["voices", "install", "--from", str(tampered)])
    assert result.exit_code == 1 and "bad.tgz: the voice af_heart in it is not kokoro-js 1.2.1's" in result.output
    assert not (tmp_path / "home" / "voices").exists()  # nothing written
    good = _tarball(tmp_path / "kokoro-js-1.2.1.tgz", voices)
    result = CliRunner().invoke(cli, ["voices", "install", "--from", str(good)])
    assert result.exit_code == 0, result.output
    assert "installed 54 Kokoro voices" in result.output and len(files.installed()) == 54


def test_voices_install_says_how_to_get_the_tarball(tmp_path, monkeypatch):
    monkeypatch.setenv(files.HOME_ENV, str(tmp_path / "home"))
    monkeypatch.setattr(kokoroinstall.shutil, "which", lambda name: None)
    result = CliRunner().invoke(cli, ["voices", "install"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "npm is not installed here" in line and "`npm pack kokoro-js@1.2.1`" in line and "--from kokoro-js-1.2.1.tgz" in line
    result = CliRunner().invoke(cli, ["voices", "install", "--from", str(tmp_path / "nowhere.tgz")])
    assert result.exit_code == 1 and "nowhere.tgz: no such file" in result.output
    partial = _tarball(tmp_path / "partial.tgz", {})
    result = CliRunner().invoke(cli, ["voices", "install", "--from", str(partial)])
    assert result.exit_code == 1 and "lacks 54 voices" in result.output
    monkeypatch.setattr(kokoroinstall.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setenv("SESSIONGEN_NO_NETWORK", "1")
    result = CliRunner().invoke(cli, ["voices", "install"])
    assert result.exit_code == 1 and "the network is refused" in result.output


def test_the_model_is_assembled_once_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv(files.HOME_ENV, str(tmp_path / "home"))
    path = files.model_path()
    assert path == tmp_path / "home" / files.MODEL_NAME and path.stat().st_size > 90_000_000
    stamp = path.stat().st_mtime_ns
    assert files.model_path() == path and path.stat().st_mtime_ns == stamp  # not assembled again


def test_parts_that_do_not_give_the_model_are_refused_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv(files.HOME_ENV, str(tmp_path / "home"))
    part = tmp_path / "part.bin"
    part.write_bytes(b"not a model")
    monkeypatch.setattr(files, "_part_files", lambda: [part])
    with pytest.raises(SessiongenError, match="the installed Kokoro model parts do not give the expected model"):
        files.model_path()
    assert not list((tmp_path / "home").iterdir())


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_model_is_refused_in_one_line_naming_it_and_nothing_is_written(tmp_path, monkeypatch, damage):
    home = fake_home(tmp_path, monkeypatch)
    good = (REAL_HOME / files.MODEL_NAME) if (REAL_HOME / files.MODEL_NAME).is_file() else files.model_path()
    data = bytearray(good.read_bytes())
    model = home / files.MODEL_NAME
    model.write_bytes(
        bytes(data[: len(data) // 2]) if damage == "truncated" else bytes(data[:1000]) + bytes([data[1000] ^ 1]) + bytes(data[1001:])
    )
    script = tmp_path / "s.md"
    script.write_text(script_text("Welcome.\n", duration="5s"), encoding="utf-8")
    out = tmp_path / "x.mp3"
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--no-cache"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ") and str(model) in line and "the Kokoro model is damaged" in line
    assert not list(tmp_path.glob("x*"))


# -- plans never wait for synthesis --------------------------------------------------------------


def test_the_estimate_is_calibrated_on_the_sentences_the_voices_are_paced_with():
    from sessiongen.speech import calibration, estimate

    assert [estimate.syllables(w) for w in ("calm", "notice", "breathing", "gentle", "you", "comfortable")] == [1, 2, 2, 2, 1, 4]
    for language in ("en", "es", "fr"):
        sentences = calibration.sentences(language)
        words = sum(len(s.split()) for s in sentences)
        for rate in (80, 105, 140):
            spoken = sum(estimate.phrase_s(s, rate, language) - estimate.TRIM_MARGINS_S for s in sentences)
            assert spoken == pytest.approx(words * 60 / (rate * estimate.PACE_VS_ESPEAK), rel=1e-9)
    short, long = estimate.phrase_s("Breathe in.", 105), estimate.phrase_s("Breathe in, and when you are ready, breathe out slowly.", 105)
    assert 0.5 < short < 2.0 < long < 6.0
    assert estimate.phrase_s("Rest, here.", 105) > estimate.phrase_s("Rest here.", 105)  # a comma is a pause


@needs_voices
def test_plan_and_techniques_show_estimate_without_starting_a_worker(tmp_path, monkeypatch):
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "cold"))
    monkeypatch.delitem(speech._made, "kokoro", raising=False)
    result = CliRunner().invoke(cli, ["plan", "safe-place"])
    assert result.exit_code == 0, result.output
    assert "(length estimated: " in result.output and "phrases not spoken yet; a render fits it exactly)" in result.output
    planned = json.loads(CliRunner().invoke(cli, ["plan", "safe-place", "--json"]).output)
    assert planned["estimated_phrases"] > 10
    shown = CliRunner().invoke(cli, ["techniques", "show", "tre-release"])
    assert shown.exit_code == 0 and "(estimated: phrases not spoken yet)" in shown.output
    assert speech.get_engine("kokoro")._pool is None  # nothing was spoken, no model loaded
