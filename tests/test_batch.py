"""Clinician workflow: profiles, exact lengths, and batch production for many clients."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from click.testing import CliRunner

from sessiongen import pipeline
from sessiongen.batch.roster import MAX_NAME, read_roster, safe_name
from sessiongen.batch.validate import BatchOptions, validate
from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.options.profile import ANCHORS, from_fields
from sessiongen.plan import texts_to_speak
from sessiongen.script import library
from sessiongen.script.pacing import ENDING_RATE_FACTOR, pace
from sessiongen.settings import Settings

FAKE = ["--engine", "fake"]
SHORT = "short.md"


@pytest.fixture
def folder(tmp_path):
    """A roster folder with a short script of our own, so batches render in seconds."""
    (tmp_path / SHORT).write_text(
        "---\nid: short-settle\ntitle: Short Settle\ncategory: grounding\nsummary: s\nduration: 40s\n"
        'variables:\n  name: ""\n  safe_place: "a quiet place"\n---\n# One\nHello{% if name %}, {{ name }}{% endif %}. '
        "Picture {{ safe_place }}. [pause 5s..40s]\n[bls 4s]\n# Two\nGoodbye.\n",
        encoding="utf-8",
    )
    return tmp_path


def write_roster(folder, text, name="roster.csv"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run_batch(roster, out, *extra):
    return CliRunner().invoke(cli, ["batch", str(roster), "-o", str(out), "--date", "2026-01-02", "--workers", "1", *FAKE, *extra])


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_batch_with_a_failing_row_hostile_ids_and_a_resumed_second_run(folder):
    roster = write_roster(
        folder,
        (
            "client_id,technique,name,minutes,safe_place\n"
            f"c-001,{SHORT},Sam,0.75,a lake at dawn\n"
            f"c-001,{SHORT} ,Sam,,\n"
            f"../../x,{SHORT},,,\n"
            f"con,{SHORT},,,\n"
            f"a/b\\\\c,{SHORT},,,\n"
            f"c-002,{SHORT},Robin,30,\n"
        ),
    )
    out = folder / "out"
    first = run_batch(roster, out, "--name-template", "{client_id}-{row}")
    assert first.exit_code == 1, first.output  # one row invalid: out of reach, found before any row renders (as --dry-run finds it)
    report = json.loads((out / "report.json").read_text())
    statuses = {r["row"]: r["status"] for r in report["rows"]}
    assert statuses == {1: "rendered", 2: "rendered", 3: "rendered", 4: "rendered", 5: "rendered", 6: "invalid"}
    assert "out of reach" in report["rows"][5]["error"] and "c-002" in first.output
    names = sorted(p.name for p in out.glob("*.mp3"))
    assert names == ["a-b-c-5.mp3", "c-001-1.mp3", "c-001-2.mp3", "con-4.mp3", "x-3.mp3"]
    everything = {p for p in folder.rglob("*") if p.is_file()}
    assert all(p.parent == out or p.parent == folder for p in everything)  # nothing outside the folder
    assert (out / "c-001.m3u").read_text().splitlines()[2] == "c-001-1.mp3"  # a playlist for the client with two
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp3")}
    # fix the bad row and run again: only that row renders, the rest are up to date
    write_roster(folder, roster.read_text().replace("Robin,30,", "Robin,0.7,"))
    second = run_batch(roster, out, "--name-template", "{client_id}-{row}")
    assert second.exit_code == 0, second.output
    statuses = {r["row"]: r["status"] for r in json.loads((out / "report.json").read_text())["rows"]}
    assert statuses == {1: "up to date", 2: "up to date", 3: "up to date", 4: "up to date", 5: "up to date", 6: "rendered"}
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp3") if p.name in stamps} == stamps
    forced = run_batch(roster, out, "--name-template", "{client_id}-{row}", "--force")
    assert json.loads((out / "report.json").read_text())["summary"]["rendered"] == 6 and forced.exit_code == 0


def test_lengths_are_exact_and_names_stay_out_of_tags(folder):
    roster = write_roster(folder, f"client_id,technique,name,minutes\nc-9,{SHORT},Robin,0.75\n")
    out = folder / "out"
    assert run_batch(roster, out).exit_code == 0
    produced = out / "c-9-short-settle-2026-01-02.mp3"
    manifest = json.loads(produced.with_name(produced.stem + ".manifest.json").read_text())
    assert manifest["output"]["duration_s"] == pytest.approx(45.0, abs=0.5)
    assert b"Robin" not in produced.read_bytes() and "Robin" not in json.dumps(manifest)
    assert run_batch(roster, folder / "named", "--tag-names").exit_code == 0
    assert b"R\x00o\x00b\x00i\x00n" in (folder / "named" / produced.name).read_bytes()  # UTF-16 title tag


def test_rendering_is_deterministic_byte_for_byte(folder):
    roster = write_roster(folder, f"client_id,technique,name\nc-1,{SHORT},Sam\n")
    run_batch(roster, folder / "a")
    run_batch(roster, folder / "b")
    name = "c-1-short-settle-2026-01-02.mp3"
    assert digest(folder / "a" / name) == digest(folder / "b" / name)


def test_two_worker_processes(folder):
    roster = write_roster(folder, "".join(["client_id,technique,name\n"] + [f"c-{i},{SHORT},Client {i}\n" for i in range(3)]))
    result = CliRunner().invoke(cli, ["batch", str(roster), "-o", str(folder / "out"), "--workers", "2", *FAKE])
    assert result.exit_code == 0, result.output
    assert json.loads((folder / "out" / "report.json").read_text())["summary"]["rendered"] == 3


def test_phrases_many_clients_share_are_spoken_once_before_any_row_renders(folder, fake_engine):
    roster = write_roster(folder, "".join(["client_id,technique,name\n"] + [f"c-{i},{SHORT},Shared {i % 2}\n" for i in range(4)]))
    result = CliRunner().invoke(cli, ["batch", str(roster), "-o", str(folder / "out"), "--workers", "2", "--date", "2026-01-02", *FAKE])
    assert result.exit_code == 0, result.output
    assert sorted(fake_engine.calls) == sorted(set(fake_engine.calls))  # spoken here, each phrase once
    assert (
        "Hello, Shared zero." in fake_engine.calls and "Hello, Shared one." in fake_engine.calls
    )  # names no other test uses (said as words)
    for i in range(4):
        manifest = json.loads((folder / "out" / f"c-{i}-short-settle-2026-01-02.manifest.json").read_text())
        assert manifest["speech"]["phrases_synthesised"] == 0  # the rows' workers found every phrase cached


@pytest.mark.parametrize(
    "rows, message",
    [
        ("c-1,box-breathng,\n", "no technique 'box-breathng'"),
        ("c-1,{short},,0\n", "minutes must be from 0.5 to 240, not 0"),
        (",{short},,\n", "client_id and technique must not be empty"),
        ("c-1,{short},,,x\n", "unknown column 'colour'"),
        ("c-1,{short},,\nc-1,{short},,\n", "the same output as row 1"),
    ],
)
def test_bad_rows_are_invalid_and_named_while_good_rows_still_count(folder, rows, message):
    roster = write_roster(
        folder, "client_id,technique,name,minutes" + (",colour" if "x\n" in rows else "") + "\n" + rows.format(short=SHORT)
    )
    result = run_batch(roster, folder / "out", "--dry-run")
    assert result.exit_code == 1
    assert message in result.output
    report = (folder / "out" / "report.csv").read_text()
    assert "invalid" in report and not list((folder / "out").glob("*.mp3"))


def test_roster_errors_that_stop_everything(folder):
    missing = write_roster(folder, "client,technique\nx,y\n")
    result = run_batch(missing, folder / "out")
    assert result.exit_code == 1 and "needs the column client_id" in result.output
    assert "no such roster" in run_batch(folder / "nope.csv", folder / "out").output


def test_yaml_roster_and_profiles(folder):
    (folder / "sam.yaml").write_text("client_id: c-7\nname: Sam\nanchor: hands\nrate: 95\nbls: no\npause_scale: 1.2\n", encoding="utf-8")
    roster = write_roster(
        folder, f"rows:\n  - client_id: c-7\n    technique: {SHORT}\n    profile: sam.yaml\n    rate: 100\n", "roster.yaml"
    )
    jobs, invalid = validate(roster, read_roster(roster), BatchOptions(out_dir=folder / "out", base=Settings(engine="fake")))
    assert not invalid
    job = jobs[0]
    assert job.settings.rate_wpm == 100 and job.settings.bls is False and job.settings.pause_scale == 1.2  # row over profile
    assert job.values == {"name": "Sam"}  # the script declares no anchor, so the profile's is not passed


def test_profile_fields_and_their_errors():
    profile = from_fields({"name": "Sam", "anchor": "feet", "bls_rate": "0.8", "bls_tone": "chime", "slow_ending": "yes"}, "p.yaml")
    assert profile.values["anchor"] == ANCHORS["feet"]
    assert profile.settings == {"bls_rate_hz": 0.8, "bls_timbre": "chime", "slow_ending": True}
    with pytest.raises(SessiongenError, match="p.yaml: bls_rate must be from 0.3 to 2, not 3"):
        from_fields({"bls_rate": "3"}, "p.yaml")
    with pytest.raises(SessiongenError, match=r"unknown field 'nmae' \(did you mean 'name'"):
        from_fields({"nmae": "x"}, "p.yaml")


def test_render_with_a_profile_and_command_line_overrides(folder):
    (folder / "p.yaml").write_text("name: Sam\nbls: no\nminutes: 0.7\n", encoding="utf-8")
    runner = CliRunner()
    plan = json.loads(runner.invoke(cli, ["plan", str(folder / SHORT), "--profile", str(folder / "p.yaml"), "--json", *FAKE]).stdout)
    assert plan["duration_s"] == pytest.approx(42.0, abs=0.01)
    assert "Hello, Sam." in [e.get("text") for e in plan["events"]] and not [e for e in plan["events"] if e["kind"] == "bls"]
    overridden = json.loads(
        runner.invoke(
            cli,
            [
                "plan",
                str(folder / SHORT),
                "--profile",
                str(folder / "p.yaml"),
                "--bls",
                "--minutes",
                "0.75",
                "--var",
                "name=Al",
                "--json",
                *FAKE,
            ],
        ).stdout
    )
    assert overridden["duration_s"] == pytest.approx(45.0, abs=0.01) and [e for e in overridden["events"] if e["kind"] == "bls"]
    assert "Hello, Al." in [e.get("text") for e in overridden["events"]]


@pytest.mark.parametrize("technique_id", sorted(library.technique_paths()))
def test_fitting_to_length_across_the_library(technique_id):
    script = pipeline.load(technique_id)
    with pipeline.cache_root(True) as root:
        tl = pipeline.prepare(script, {}, Settings(engine="fake"), root).timeline
        lo, hi = (f / tl.rate_hz for f in tl.range_frames)
        for fraction in (0.0, 0.37, 1.0):
            minutes = (lo + fraction * (hi - lo)) / 60
            fitted = pipeline.prepare(script, {}, Settings(engine="fake", minutes=minutes), root).timeline
            assert fitted.duration_s == pytest.approx(minutes * 60, abs=0.5)
        with pytest.raises(SessiongenError, match="out of reach"):
            pipeline.prepare(script, {}, Settings(engine="fake", minutes=hi / 60 + 1), root)


def test_pause_scale_and_slow_ending(folder):
    script = pipeline.load(str(folder / SHORT))
    with pipeline.cache_root(True) as root:
        base = pipeline.prepare(script, {}, Settings(engine="fake"), root).timeline
        scaled = pipeline.prepare(script, {}, Settings(engine="fake", pause_scale=2.0), root).timeline
    assert scaled.range_frames[0] > base.range_frames[0]
    paced = pace(pipeline.load("body-scan-short"), Settings(slow_ending=True))
    rates = [rate for _, (_, rate) in texts_to_speak(paced, Settings(slow_ending=True)).items()]
    assert max(rates) == Settings().rate_wpm and min(rates) == round(Settings().rate_wpm * ENDING_RATE_FACTOR)
    said = [n for n in paced.nodes if type(n).__name__ == "Say"]
    assert said[0].rate_wpm is None and said[-1].rate_wpm == round(Settings().rate_wpm * ENDING_RATE_FACTOR)
    assert said[-1].gap_scale > 1.4


def test_bls_overrides_apply_to_every_set(folder):
    script = pipeline.load(str(folder / SHORT))
    with pipeline.cache_root(True) as root:
        tl = pipeline.prepare(script, {}, Settings(engine="fake", bls_rate_hz=0.5, bls_timbre="chime", bls_depth_pct=60), root).timeline
    tone = next(e.tone for e in tl.events if e.kind == "bls")
    assert (tone.rate_hz, tone.timbre, tone.depth_pct) == (0.5, "chime", 60)


def test_safe_names():
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("CON") == "_CON" and safe_name("lpt1.mp3") == "_lpt1.mp3"
    assert safe_name("Zoë O'Brien") == "Zoe-O-Brien" and safe_name("...") == "unnamed"
    assert safe_name("a" * 300) == "a" * MAX_NAME


@pytest.mark.skipif(os.environ.get("SESSIONGEN_SKIP_DASK") == "1", reason="SESSIONGEN_SKIP_DASK=1")
def test_the_dask_path_against_a_local_cluster(folder, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
    roster = write_roster(folder, "".join(["client_id,technique\n"] + [f"d-{i},{SHORT}\n" for i in range(2)]))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        result = CliRunner().invoke(cli, ["batch", str(roster), "-o", str(folder / "out"), "--dask", cluster.scheduler_address, *FAKE])
    assert result.exit_code == 0, result.output
    assert json.loads((folder / "out" / "report.json").read_text())["summary"]["rendered"] == 2


def test_a_resume_checks_the_audio_not_only_its_manifest(folder):
    """A file cut short, emptied or replaced beside its intact manifest is rendered again."""
    roster = write_roster(folder, f"client_id,technique,name\nA,{SHORT},Sam\nB,{SHORT},Robin\nC,{SHORT},Alex\n")
    out = folder / "out"
    assert run_batch(roster, out, "--no-report").exit_code == 0
    files = sorted(out.glob("*.mp3"))
    whole = {path.name: digest(path) for path in files}
    files[0].write_bytes(files[0].read_bytes()[:56_600])  # cut short
    files[1].write_bytes(b"")  # emptied
    files[2].write_bytes(files[2].read_bytes())  # rewritten unchanged: still the same audio
    again = run_batch(roster, out, "--no-report")
    assert again.exit_code == 0 and "2 rendered, 1 up to date" in again.output, again.output
    assert {path.name: digest(path) for path in files} == whole
