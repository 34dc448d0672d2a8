"""A batch skips a row whose file is up to date, whoever speaks it: the speech identity a batch
checks is the one the render records (pipeline.speech_identity), for a voice pack as for the
synthetic voice."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf
from voicepack_takes import RATE_HZ, WordsEngine, build

from sessiongen import pipeline
from sessiongen.cli import cli
from sessiongen.settings import Settings
from sessiongen.speech import get_engine
from sessiongen.voicepack import importing, sheet, store

SCRIPT = Path(__file__).parent / "data" / "voicepack-script.md"
SETTINGS = Settings(engine="fake")


def _pack(folder: Path, tmp_path: Path, monkeypatch) -> Path:
    """A pack whose sheet a voice that says words read (takes are matched by what is said)."""
    from sessiongen import speech

    monkeypatch.setitem(speech.ENGINES, "fake-words", WordsEngine)
    script = pipeline.load(str(SCRIPT))
    pack = sheet.make_pack([script], [str(SCRIPT)], get_engine("fake-words"), "fake-words", SETTINGS, tmp_path / "cache", folder, "neutral")
    store.create(folder, pack, sheet.html(pack, [script.meta.title]))
    sf.write(tmp_path / "take.wav", build(store.load(folder).phrases).samples, RATE_HZ)
    importing.import_takes(folder, [tmp_path / "take.wav"], SETTINGS)
    return folder


def test_a_second_run_finds_a_voice_pack_row_and_a_synthetic_row_up_to_date(runner, tmp_path, monkeypatch):
    pack = _pack(tmp_path / "pack", tmp_path, monkeypatch)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"client_id,technique,voice_pack\nA,{SCRIPT},{pack}\nB,{SCRIPT},\n", encoding="utf-8")
    args = ["batch", str(roster), "-o", str(tmp_path / "out"), "--engine", "fake", "--workers", "1", "--no-report"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0 and "2 rendered" in first.output, first.output
    second = runner.invoke(cli, args)
    assert second.exit_code == 0 and "2 up to date" in second.output, second.output
    assert pipeline.speech_identity(SETTINGS.but(voice_pack=str(pack)), "en").startswith("voice-pack:")
