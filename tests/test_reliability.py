"""Reliability: a damaged cache is healed, a failing engine is restarted, nothing touches the network."""

from __future__ import annotations

import json
import socket
import time

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from helpers import script_text

from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.speech.cache import PhraseCache
from sessiongen.speech.isolated import IsolatedEngine

RATE = 44_100


def test_damaged_cache_entries_are_found_removed_and_made_again(tmp_path):
    cache = PhraseCache(tmp_path, RATE)
    tone = (0.3 * np.sin(np.arange(RATE) / 10)).astype(np.float32)
    path = cache.put("ab" * 32, tone)
    assert cache.frames("ab" * 32) == RATE
    data = bytearray(path.read_bytes())
    data[5000] ^= 0xFF  # one flipped byte in the samples
    path.write_bytes(bytes(data))
    assert cache.frames("ab" * 32) is None and not path.exists()
    path = cache.put("cd" * 32, tone)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # truncated
    assert cache.frames("cd" * 32) is None
    path.parent.joinpath("ef" * 32 + ".wav").write_bytes(b"")  # empty
    assert cache.frames("ef" * 32) is None


def test_a_render_heals_a_damaged_cache(tmp_path, fake_engine, monkeypatch):
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "cache"))
    script = tmp_path / "s.md"
    script.write_text(script_text("Hello there. Welcome back.\n"), encoding="utf-8")
    args = ["render", str(script), "-o", str(tmp_path / "a.wav"), "--engine", "fake", "--sidecars", "none"]
    CliRunner().invoke(cli, args)
    entries = list((tmp_path / "cache").rglob("*.wav"))
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:100])
    calls = len(fake_engine.calls)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and len(fake_engine.calls) == calls + len(entries)


def test_a_hanging_engine_is_restarted_and_then_named(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSIONGEN_ENGINES", "flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("FLAKY_STATE", str(tmp_path / "state"))
    engine = IsolatedEngine("flaky", "flaky:1", timeout_s=2.0)
    try:
        (tmp_path / "state").write_text("hang-once")
        audio = engine.synthesize("Hello there.", "fake/en", 105, 1.0)  # hangs, is killed, succeeds on the retry
        assert len(audio.samples) > 0
        (tmp_path / "state").write_text("crash-once")
        assert len(engine.synthesize("Hello again.", "fake/en", 105, 1.0).samples) > 0  # the process dies, is restarted
        (tmp_path / "state").write_text("hang-always")
        with pytest.raises(
            SessiongenError, match=r'the speech engine \(flaky\) failed 3 times on the phrase "Stuck here\.": no answer within 2 s'
        ):
            engine.synthesize("Stuck here.", "fake/en", 105, 1.0)
        (tmp_path / "state").write_text("")
        with pytest.raises(SessiongenError, match="unknown voice 'klingon'"):
            engine.resolve_voice("klingon")  # the engine's own user errors pass straight through
    finally:
        engine.close()


@pytest.fixture
def flaky(monkeypatch, tmp_path):
    """An isolated FlakyEngine with a 2 s timeout; its state file and the log of phrases it was asked for."""
    monkeypatch.setenv("SESSIONGEN_ENGINES", "flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("FLAKY_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("FLAKY_LOG", str(tmp_path / "log"))
    engine = IsolatedEngine("flaky", "flaky:1", timeout_s=2.0)
    yield engine, tmp_path / "state", tmp_path / "log"
    engine.close()


def _calls(*texts: str) -> list[tuple]:
    return [(text, "fake/en", 105, 1.0) for text in texts]


def _same_audio(audio, text: str) -> bool:
    from fake_engine import FakeEngine

    expected = FakeEngine().synthesize(text, "fake/en", 105, 1.0)
    return audio.rate_hz == expected.rate_hz and np.array_equal(audio.samples, expected.samples)


def test_a_batch_is_one_request_answered_phrase_by_phrase_in_order(flaky):
    engine, _, log = flaky
    texts = ["One.", "Two words.", "Three words here.", "One."]
    sent = []
    original = engine._send
    engine._send = lambda verb, calls: sent.append(len(calls)) or original(verb, calls)
    audios = list(engine.synthesize_many(_calls(*texts)))
    assert sent == [4]  # one round trip for the batch
    assert all(_same_audio(audio, text) for audio, text in zip(audios, texts))
    assert log.read_text().split("\n")[:-1] == texts


def test_an_engine_working_slowly_is_waited_for_and_one_stuck_is_not(monkeypatch, tmp_path):
    """On a machine with many more processes than cores, a long phrase takes longer than the
    timeout in wall time: an engine that is working is waited for (it failed three times before);
    one that works past the timeout in CPU time, or does nothing for it, is named."""
    monkeypatch.setenv("SESSIONGEN_ENGINES", "flaky=fake_engine:FlakyEngine")
    monkeypatch.setenv("FLAKY_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("FLAKY_CRAWL_CPU_S", "1.3")  # under the 2 s timeout, spread over at least 5 s
    engine = IsolatedEngine("flaky", "flaky:1", timeout_s=2.0)
    try:
        (tmp_path / "state").write_text("crawl-always")
        started = time.monotonic()
        assert len(engine.synthesize("Slowly now.", "fake/en", 105, 1.0).samples) > 0
        assert time.monotonic() - started >= 5.0  # one answer, waited for past the 2 s timeout (13 rests of 0.3 s, 1.3 s of work)
        monkeypatch.setenv("FLAKY_CRAWL_CPU_S", "3")  # more than the timeout's worth of work, however busy the machine
        engine.close()
        with pytest.raises(SessiongenError, match="no answer within 2 s"):
            engine.synthesize("Forever now.", "fake/en", 105, 1.0)
    finally:
        engine.close()


def test_a_hang_mid_batch_restarts_the_engine_and_resumes_at_that_phrase(flaky):
    engine, state, log = flaky
    state.write_text("hang-once@Two words.")
    audios = engine.synthesize_many(_calls("One.", "Two words.", "Three words here."))
    assert _same_audio(next(audios), "One.")
    pid = engine._process.pid
    rest = list(audios)  # "Two words." hangs, is killed after 2 s, and is asked for again
    assert engine._process.pid != pid
    assert [_same_audio(a, t) for a, t in zip(rest, ["Two words.", "Three words here."])] == [True, True]
    assert log.read_text().split("\n")[:-1] == ["One.", "Two words.", "Two words.", "Three words here."]


def test_a_phrase_that_hangs_every_time_is_named_after_three_attempts(flaky):
    engine, state, _ = flaky
    state.write_text("hang-always@Stuck here.")
    audios = engine.synthesize_many(_calls("Fine.", "Stuck here.", "Never reached."))
    assert _same_audio(next(audios), "Fine.")
    with pytest.raises(SessiongenError, match=r'failed 3 times on the phrase "Stuck here\.": no answer within 2 s'):
        next(audios)
    state.write_text("")
    assert _same_audio(engine.synthesize("Afterwards.", "fake/en", 105, 1.0), "Afterwards.")


def test_a_crash_mid_batch_is_retried_without_repeating_the_phrases_before_it(flaky):
    engine, state, log = flaky
    state.write_text("crash-once@Two words.")
    texts = ["One.", "Two words.", "Three words here."]
    assert all(_same_audio(a, t) for a, t in zip(engine.synthesize_many(_calls(*texts)), texts))
    assert log.read_text().split("\n")[:-1] == ["One.", "Two words.", "Two words.", "Three words here."]


def test_an_abandoned_batch_never_answers_the_next_request(flaky):
    """Answers still on their way for a batch nobody reads must not be taken for another phrase's."""
    engine, _, _ = flaky
    abandoned = engine.synthesize_many(_calls("One.", "Two words.", "Three words here."))
    assert _same_audio(next(abandoned), "One.")
    assert _same_audio(engine.synthesize("Something else entirely.", "fake/en", 105, 1.0), "Something else entirely.")
    assert engine.resolve_voice("Fake English") == "fake/en"
    del abandoned


def test_the_speaker_asks_for_all_missing_phrases_in_one_request(flaky, tmp_path):
    from sessiongen.settings import Settings
    from sessiongen.speech.clips import Speaker

    engine, _, log = flaky
    speaker = Speaker(engine, PhraseCache(tmp_path / "cache", RATE), Settings(engine="flaky"))
    sent = []
    original = engine._send
    engine._send = lambda verb, calls: sent.append((verb, len(calls))) or original(verb, calls)
    speaker.clips({"a": ("Hello there.", None), "b": ("Welcome back to this place.", 90)})
    clips = speaker.clips({"a": ("Hello there.", None), "c": ("Goodbye.", None), "d": ("Goodbye.", None)})
    assert sent == [("synthesize", 2), ("synthesize", 1)]  # cached phrases and repeats are not asked for
    assert log.read_text().split("\n")[:-1] == ["Hello there.", "Welcome back to this place.", "Goodbye."]
    assert (speaker.stats.synthesised, speaker.stats.cached) == (3, 2)
    assert clips["c"].path == clips["d"].path and clips["c"].duration_s == pytest.approx(60 / 105, abs=0.1)


def test_the_file_path_rejects_a_clip_whose_length_does_not_fit_its_phrase():
    """pyttsx3's file path can find another phrase's audio under a phrase's name (../shared/RESEARCH.md §7)."""
    from sessiongen.sound.audio import Audio
    from sessiongen.speech.engines.pyttsx3 import Pyttsx3Engine, plausible

    def clip(seconds):
        return Audio(np.zeros((int(seconds * 22_050), 1), dtype=np.float32), 22_050)

    sentence = "Let your shoulders soften and feel the weight of your arms resting at your sides."  # 15 words
    assert plausible(clip(8.0), sentence, 105)
    assert not plausible(clip(1.0), sentence, 105)  # "Hello." where a sentence should be
    assert plausible(clip(1.0), "Hello.", 105)
    assert not plausible(clip(12.0), "Hello.", 105)  # a sentence where "Hello." should be

    engine = Pyttsx3Engine(in_memory=False)
    engine._start = lambda: None  # no pyttsx3: the files it would write are these
    files = iter([clip(12.0), None, clip(1.0)])  # another phrase's file, none in time, then its own
    engine._try_once = lambda *args: next(files)
    assert engine.synthesize("Hello.", "gmw/en", 105, 1.0).duration_s == pytest.approx(1.0)


def test_in_memory_and_file_clips_never_share_cache_entries():
    from sessiongen.speech.engines.pyttsx3 import Pyttsx3Engine

    assert Pyttsx3Engine(in_memory=True).identity() != Pyttsx3Engine(in_memory=False).identity()


def test_a_silent_clip_is_an_error_not_silence(tmp_path, monkeypatch):
    from fake_engine import FakeEngine

    from sessiongen.sound.audio import Audio

    class Silent(FakeEngine):
        def identity(self):  # its own cache entries: the fake engine's clip of the same text is not this one's
            return "silent:1"

        def synthesize(self, text, voice, rate_wpm, volume, options=None):
            return Audio(np.zeros((22_050, 1), dtype=np.float32), 22_050)

    from sessiongen import speech

    monkeypatch.setitem(speech.ENGINES, "silent", Silent)
    monkeypatch.delitem(speech._made, "silent", raising=False)
    script = tmp_path / "s.md"
    script.write_text(script_text("Hello there.\n"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(tmp_path / "x.wav"), "--engine", "silent"])
    assert result.exit_code == 1 and 'returned silence for: "Hello there."' in result.output
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.e2e
def test_a_full_render_with_the_real_engine_and_no_network(tmp_path, monkeypatch):
    """Sockets are refused in this process and in the engine's own process (the same guard)."""
    monkeypatch.setenv("SESSIONGEN_NO_NETWORK", "1")
    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, getattr(socket.socket, name))  # restored after the test
    for name in ("create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, getattr(socket, name))
    from sessiongen import offline, speech

    for engine in ("pyttsx3", "kokoro"):  # a fresh engine process, guarded too (kokoro: the default)
        monkeypatch.delitem(speech._made, engine, raising=False)
    assert offline.guard()
    with pytest.raises(OSError, match="network access refused"):
        socket.create_connection(("127.0.0.1", 9))
    script = tmp_path / "s.md"
    script.write_text(script_text("Welcome. [pause 2s]\n[bls 4s]\n[bell]\nGoodbye.\n", duration="20s"), encoding="utf-8")
    out = tmp_path / "offline.mp3"
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["speech"]["phrases_synthesised"] == 2
    assert len(sf.read(str(out))[0]) > 10 * RATE


def test_ctrl_c_during_a_render_leaves_nothing_behind(tmp_path, monkeypatch):
    from sessiongen.output import encode

    script = tmp_path / "s.md"
    script.write_text(script_text("Hello there.\n[pause 40s]\n", duration="50s"), encoding="utf-8")
    out = tmp_path / "x.mp3"
    out.write_bytes(b"the previous recording")
    calls = {"n": 0}
    original = encode.Mp3Writer.write

    def interrupt_later(self, block):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        original(self, block)

    monkeypatch.setattr(encode.Mp3Writer, "write", interrupt_later)
    result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--engine", "fake", "--stems", str(tmp_path / "stems")])
    assert result.exit_code == 130 and "interrupted" in result.output
    assert out.read_bytes() == b"the previous recording"  # the old file, never a fragment
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("s.md", "x.mp3")]
    assert leftovers == []


def test_ctrl_c_during_a_batch_reports_and_a_rerun_resumes(tmp_path, monkeypatch):
    from sessiongen.batch import jobs as batch

    script = tmp_path / "s.md"
    script.write_text(script_text("Hello there.\n[pause 5s]\n", duration="10s"), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\na,s.md\nb,s.md\nc,s.md\n", encoding="utf-8")
    original = batch.render_job

    def stop_at_second(job, queue=None):
        if job.client_id == "b":
            raise KeyboardInterrupt
        return original(job, queue)

    monkeypatch.setattr(batch, "render_job", stop_at_second)
    args = ["batch", str(roster), "-o", str(tmp_path / "out"), "--workers", "1", "--engine", "fake", "--date", "2026-01-01"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 130
    statuses = {r["client_id"]: r["status"] for r in json.loads((tmp_path / "out" / "report.json").read_text())["rows"]}
    assert statuses == {"a": "rendered", "b": "interrupted", "c": "interrupted"}
    assert not list((tmp_path / "out").glob("*.part"))
    monkeypatch.setattr(batch, "render_job", original)
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0
    statuses = {r["client_id"]: r["status"] for r in json.loads((tmp_path / "out" / "report.json").read_text())["rows"]}
    assert statuses == {"a": "up to date", "b": "rendered", "c": "rendered"}


def test_reading_the_umask_never_sets_it(monkeypatch, tmp_path):
    """A new file's mode follows the umask, read without the os.umask(0) dance: a thread creating a
    file while another wrote one made it world-writable (6 of 389,596 files, issue 28)."""
    import os

    from sessiongen.output import files

    calls = []
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or 0)
    mask = files._umask()
    with files.atomic_path(tmp_path / "x.txt") as temp:
        temp.write_text("x")
    assert not calls and (tmp_path / "x.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_cache_that_cannot_be_written_names_itself_and_the_way_out(tmp_path, monkeypatch, runner):
    """A full, read-only or foreign-owned phrase cache: one line with its folder and --no-cache."""
    import errno
    from pathlib import Path

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    monkeypatch.setenv("SESSIONGEN_CACHE_DIR", str(tmp_path / "cache"))
    script = tmp_path / "s.md"
    script.write_text(script_text("A phrase the cache has never seen, said once.\n"), encoding="utf-8")
    result = runner.invoke(cli, ["render", str(script), "-o", str(tmp_path / "x.wav"), "--engine", "fake"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert "the phrase cache" in result.output and str(tmp_path / "cache") in result.output and "--no-cache" in result.output
    assert "No space left on device" in result.output
