"""Nothing replaced that was not ours, or that we just wrote (issue 16, part 3; and part 5's
undecodable output names): every file a render or a batch writes is decided and checked before
any is written."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import script_text

from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.output.files import atomic_path, claim, safe_file_name, write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
FAKE = ["--engine", "fake"]
BODY = "# One\nHello{% if name %}, {{ name }}{% endif %}. [pause 3s]\n# Two\nGoodbye.\n"


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "calm.md"
    path.write_text(script_text(BODY, id="calm", duration="10s", extra='variables:\n  name: ""\n'), encoding="utf-8")
    return path


def render(*args):
    return CliRunner().invoke(cli, ["render", *map(str, args), *FAKE])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` with its bytes (links and special files by kind)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        mode = os.lstat(path).st_mode
        found[str(path.relative_to(folder))] = path.read_bytes() if stat.S_ISREG(mode) else stat.filemode(mode).encode()
    return found


def one_line_error(result, *fragments):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- only regular files (or nothing) are replaced --------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def _link_to_a_file(path: Path) -> None:
    (path.parent / "precious.txt").write_text("a client's notes\n")
    path.symlink_to(path.parent / "precious.txt")


def _dangling_link(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere" / "x")


def _folder(path: Path) -> None:
    path.mkdir()
    (path / "inside.txt").write_text("kept\n")


OBSTACLES = {
    "fifo": (_fifo, "FIFO"),
    "socket": (_socket, "socket"),
    "link": (_link_to_a_file, "symbolic link"),
    "dangling-link": (_dangling_link, "symbolic link"),
    "folder": (_folder, "folder"),
}


@pytest.mark.parametrize("kind", sorted(OBSTACLES))
@pytest.mark.parametrize("where", ["out.wav", "out.srt", "out.manifest.json", "stems/cues.wav", "out.timeline.png"])
def test_anything_but_a_regular_file_in_a_targets_place_is_refused_before_anything_is_written(script, tmp_path, kind, where):
    make, word = OBSTACLES[kind]
    (tmp_path / "stems").mkdir()
    (tmp_path / "out.vtt").write_text("the old transcript\n")
    make(tmp_path / where)
    before = snapshot(tmp_path)
    result = render(script, "-o", tmp_path / "out.wav", "--stems", tmp_path / "stems", "--report")
    if (kind, where) == ("folder", "out.wav"):  # click's own check of -o comes first (usage error, exit 2)
        assert result.exit_code == 2 and "is a directory" in result.output
    else:
        one_line_error(result, Path(where).name, word)
    assert snapshot(tmp_path) == before  # nothing written, nothing replaced, the link's file untouched


@pytest.mark.skipif(not os.path.exists("/dev/null") or not stat.S_ISCHR(os.stat("/dev/null").st_mode), reason="needs /dev/null")
def test_a_character_device_is_never_replaced(script):
    result = render(script, "-o", "/dev/null", "--format", "wav", "--sidecars", "none")
    one_line_error(result, "/dev/null", "character device")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_atomic_writes_check_again_just_before_the_rename(tmp_path):
    target = tmp_path / "late.txt"
    with pytest.raises(SessiongenError, match="FIFO"), atomic_path(target) as temp:
        temp.write_text("new")
        os.mkfifo(target)  # appeared while the file was being written
    assert stat.S_ISFIFO(os.lstat(target).st_mode) and [p.name for p in tmp_path.iterdir()] == ["late.txt"]
    (tmp_path / "notes.txt").write_text("kept\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "notes.txt")
    with pytest.raises(SessiongenError, match="symbolic link"):
        write_text_atomic(tmp_path / "link.txt", "replaced")
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "notes.txt").read_text() == "kept\n"


# --- no file written twice by one render ---------------------------------------------------------------


def test_the_mix_never_overwrites_a_stem(script, tmp_path):
    (tmp_path / "st").mkdir()
    result = render(script, "-o", tmp_path / "st" / "voice.wav", "--stems", tmp_path / "st")
    one_line_error(result, "voice.wav", "voice stem", "the audio")
    assert list((tmp_path / "st").iterdir()) == []


def test_a_review_that_cannot_be_written_fails_before_the_audio_and_sidecars_are_replaced(script, tmp_path):
    out = tmp_path / "s.mp3"
    assert render(script, "-o", out).exit_code == 0
    before = snapshot(tmp_path)
    (tmp_path / "s.timeline.png").mkdir()
    result = render(script, "-o", out, "--report", "--var", "name=Other")
    one_line_error(result, "s.timeline.png", "folder")
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if k != "s.timeline.png"} == before


def test_an_output_is_never_one_of_the_inputs(script, tmp_path):
    bed = tmp_path / "bed.wav"
    assert render(script, "-o", bed, "--sidecars", "none").exit_code == 0
    kept = bed.read_bytes()
    one_line_error(render(script, "-o", bed, "--ambience", bed, "--sidecars", "none"), "bed.wav", "an input")
    assert bed.read_bytes() == kept


def test_names_that_differ_only_in_case_or_normalisation_are_one_file():
    taken = claim([("the audio", Path("/x/Zoë.mp3"))])
    for same in ("/x/zoë.mp3", "/x/ZOE\u0308.mp3"):
        with pytest.raises(SessiongenError, match="would overwrite the audio"):
            claim([("a stem", Path(same))], taken)


# --- names: letters kept, what is unsafe sanitised, collisions never silent -----------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("日本語", "日本語"),
        ("Ελένη", "Ελένη"),
        ("Андрей", "Андрей"),
        ("हिन्दी", "हिन्दी"),
        ("Zoë O'Brien", "Zoe-O-Brien"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("a\u202eb\u2066c", "a-b-c"),
        ("bell\x07esc\x1b[0m", "bell-esc-0m"),
        ("line\nbreak\tand\x00nul", "line-break-and-nul"),
        ("CON", "_CON"),
        ("...", "unnamed"),
        ("a/b\\c", "a-b-c"),
    ],
)
def test_safe_file_names_keep_letters_of_every_script(text, expected):
    assert safe_file_name(text) == expected


def test_a_safe_file_name_fits_a_file_system_in_bytes():
    assert len(safe_file_name("語" * 500).encode()) <= 180 and safe_file_name("語" * 500) == "語" * 60


def test_clients_named_in_other_scripts_each_get_their_own_file(script, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = ["日本語", "Ελένη", "Андрей", "Ελένη\u202e", "María"]
    for name in names:
        assert render(script, "--var", f"name={name}", "--sidecars", "none").exit_code == 0
    produced = sorted(p.name for p in (tmp_path / "output").iterdir())
    assert produced == sorted(["calm-日本語.mp3", "calm-ελένη.mp3", "calm-андрей.mp3", "calm-maria.mp3"])
    # the bidi override is dropped, so "Ελένη\u202e" is the same client's file again, not a new name


# --- batches: every file decided before any row renders -----------------------------------------------------


def batch(roster: Path, out: Path, *extra):
    return CliRunner().invoke(cli, ["batch", str(roster), "-o", str(out), "--date", "2026-01-02", "--workers", "1", *FAKE, *extra])


def report_rows(out: Path) -> dict[int, dict]:
    return {r["row"]: r for r in json.loads((out / "report.json").read_text(encoding="utf-8"))["rows"]}


def test_a_client_named_index_never_overwrites_the_batch_index(script, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\nindex,calm.md\nsam,calm.md\n", encoding="utf-8")
    out = tmp_path / "out"
    result = batch(roster, out, "--name-template", "{client_id}")
    assert result.exit_code == 1
    rows = report_rows(out)
    assert rows[1]["status"] == "invalid" and "batch index" in rows[1]["error"] and rows[2]["status"] == "rendered"
    assert "Batch recordings" in (out / "index.html").read_text(encoding="utf-8") and not (out / "index.mp3").exists()


def test_rows_sharing_a_sidecar_or_a_case_folded_name_are_invalid_not_overwritten(script, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "client_id,technique,format\nsam,calm.md,mp3\nsam,calm.md,wav\nSAM,calm.md,flac\nrobin,calm.md,mp3\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = batch(roster, out, "--name-template", "{client_id}", "--no-report")
    assert result.exit_code == 1
    rows = report_rows(out)
    assert [rows[n]["status"] for n in (1, 2, 3, 4)] == ["rendered", "invalid", "invalid", "rendered"]
    assert "row 1's" in rows[2]["error"] and "row 1's" in rows[3]["error"]
    assert sorted(p.name for p in out.glob("*.*") if p.suffix in (".mp3", ".wav", ".flac")) == ["robin.mp3", "sam.mp3"]


def test_clients_whose_names_sanitise_alike_get_playlists_of_their_own(script, tmp_path):
    (tmp_path / "other.md").write_text(script_text(BODY, id="other", duration="10s", extra='variables:\n  name: ""\n'), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\na/b,calm.md\na/b,other.md\na-b,calm.md\na-b,other.md\n", encoding="utf-8")
    out = tmp_path / "out"
    result = batch(roster, out, "--name-template", "{row}-{technique}", "--no-report")
    assert result.exit_code == 0, result.output
    first, second = (out / "a-b.m3u").read_text().splitlines(), (out / "a-b-2.m3u").read_text().splitlines()
    assert [line for line in first if not line.startswith("#")] == ["1-calm.mp3", "2-other.mp3"]
    assert [line for line in second if not line.startswith("#")] == ["3-calm.mp3", "4-other.mp3"]


def test_something_in_the_place_of_a_batch_file_refuses_the_batch_before_anything_renders(script, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\nsam,calm.md\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "report.json")
    result = batch(roster, out)
    one_line_error(result, "report.json", "FIFO")
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


# --- names that are not text (undecodable argv bytes) ---------------------------------------------


def _run(args: list, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
        "SESSIONGEN_ENGINES": "fake=fake_engine:FakeEngine",
    }
    return subprocess.run([sys.executable, "-m", "sessiongen", *args], cwd=cwd, env=env, capture_output=True, timeout=120)


@pytest.mark.parametrize(
    "args",
    [
        [b"render", b"calm.md", b"-o", b"caf\xe9.mp3", *map(str.encode, FAKE)],
        [b"render", b"calm.md", b"-o", b"ok.wav", b"--stems", b"st\xff", *map(str.encode, FAKE)],
        [b"render", b"calm.md", b"-o", b"d\xe9j\xe0/x.mp3", *map(str.encode, FAKE)],
        [b"batch", b"roster.csv", b"-o", b"out\xe9", *map(str.encode, FAKE)],
    ],
)
def test_an_output_name_that_is_not_utf8_is_refused_before_anything_is_written(script, tmp_path, args):
    (tmp_path / "roster.csv").write_text("client_id,technique\nsam,calm.md\n", encoding="utf-8")
    if b"st\xff" in args:
        (tmp_path / os.fsdecode(b"st\xff")).mkdir()
    before = {p for p in tmp_path.rglob("*") if not p.is_dir()}
    done = _run(args, tmp_path)
    lines = done.stderr.decode("utf-8", "backslashreplace").strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "not valid UTF-8" in lines[0], done.stderr
    assert {p for p in tmp_path.rglob("*") if not p.is_dir()} == before  # no audio, no sidecar, no report


def test_clients_named_in_other_scripts_are_never_written_over_each_other_in_a_batch(script, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_id,technique\n日本語,calm.md\nΕλένη,calm.md\nАндрей,calm.md\n", encoding="utf-8")
    out = tmp_path / "out"
    batch(roster, out, "--no-report")
    rows = report_rows(out)
    rendered = [r["output"] for r in rows.values() if r["status"] == "rendered"]
    assert len(rendered) == len(set(rendered)) and all((out / name).is_file() for name in rendered)
    assert all(r["status"] == "rendered" or "row " in r["error"] for r in rows.values())  # a clash names the other row


# --- nothing created by a command that refuses (issue 16 leftover; found again by tests/fuzz) -------------


@pytest.mark.parametrize(
    "args",
    [
        [b"render", b"calm.md", b"-o", b"caf\xe9/x.mp3", *map(str.encode, FAKE)],
        [b"render", b"calm.md", b"-o", b"new/deeper/x.wav", b"--stems", b"st\xff/a", *map(str.encode, FAKE)],
        [b"render", b"calm.md", b"-o", b"new/deeper/x.wav", b"--cover", b"missing.png", *map(str.encode, FAKE)],
        [b"render", b"calm.md", b"-o", b"new/x.wav", b"--stems", b"new/st", b"--cover", b"missing.png", *map(str.encode, FAKE)],
    ],
)
def test_a_refused_render_creates_no_folder(script, tmp_path, args):
    before = set(tmp_path.rglob("*"))
    done = _run(args, tmp_path)
    lines = done.stderr.decode("utf-8", "backslashreplace").strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert set(tmp_path.rglob("*")) == before  # not even an empty folder


def test_a_render_into_new_folders_still_makes_them(script, tmp_path):
    result = render(script, "-o", tmp_path / "new" / "deeper" / "x.wav", "--stems", tmp_path / "stems" / "a")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "deeper" / "x.wav").is_file() and (tmp_path / "stems" / "a" / "voice.wav").is_file()


def test_a_name_with_a_nul_is_refused_by_the_library_as_one_line(tmp_path):
    with pytest.raises(SessiongenError, match="NUL"):
        claim([("audio", tmp_path / "a\x00b.wav")])


def test_one_writer_per_output_a_second_run_is_refused_while_the_first_writes(tmp_path):
    """Two batches into one folder started together: the second is refused in one line and
    writes nothing, the first renders every row (issue 28, class 1). The first is held inside its
    lock by a fake engine that waits for a file, so the two runs always overlap."""
    import os
    import sys
    import time

    (tmp_path / "s.md").write_text(
        "---\nid: s\ntitle: S\ncategory: grounding\nsummary: s\nduration: 20s\n---\n# One\nHello there.\n[pause 2s..10s]\nGoodbye.\n",
        encoding="utf-8",
    )
    (tmp_path / "roster.csv").write_text("client_id,technique\nA,s.md\nB,s.md\n", encoding="utf-8")
    gate = tmp_path / "go"
    (tmp_path / "waiting_engine.py").write_text(
        "import os, time\nfrom fake_engine import FakeEngine\n"
        "class Waiting(FakeEngine):\n    def synthesize(self, *a, **k):\n"
        f"        while not os.path.exists({str(gate)!r}):\n            time.sleep(0.05)\n        return super().synthesize(*a, **k)\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path(__file__).parent), str(Path(__file__).parents[1])]),
        "SESSIONGEN_ENGINES": "waiting=waiting_engine:Waiting",
        "SESSIONGEN_CACHE_DIR": str(tmp_path / "cache"),
    }
    args = [sys.executable, "-m", "sessiongen", "batch", "roster.csv", "-o", "out", "--engine", "waiting", "--workers", "1", "--no-report"]
    first = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "out" / ".sessiongen.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1 and "another sessiongen run is writing this batch's folder" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1 and not list((tmp_path / "out").glob("*.mp3"))
    finally:
        gate.write_text("go")
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert len(list((tmp_path / "out").glob("*.mp3"))) == 2 and not (tmp_path / "out" / ".sessiongen.lock").exists()


def test_a_stop_removes_only_what_dead_writers_left(tmp_path):
    import os

    from sessiongen.output.files import remove_temporaries

    target = tmp_path / "s.mp3"
    mine = tmp_path / f".s.mp3.{os.getpid()}.abc.mp3.part"
    dead = tmp_path / ".s.mp3.999999999.abc.mp3.part"
    for path in (mine, dead):
        path.write_bytes(b"x")
    assert remove_temporaries(target) == [dead] and mine.exists()
    assert remove_temporaries(target, pids=[os.getpid()]) == [mine]


def test_a_lock_its_killed_holder_left_is_removed_a_held_one_kept(tmp_path):
    from sessiongen.output.files import one_writer, remove_temporaries

    target = tmp_path / "s.mp3"
    lock = tmp_path / ".s.mp3.lock"
    with one_writer(target, "this file"):
        assert lock.exists() and remove_temporaries(target) == [] and lock.exists()  # held (here, by this process)
    lock.write_bytes(b"")  # as a writer killed before its own cleanup leaves it
    assert remove_temporaries(target) == [lock] and not lock.exists()


def test_a_batch_worker_dies_with_its_parent(tmp_path):
    """kill -9 of a batch leaves no worker rendering on (issue 28, class 5): a worker started as
    the batch starts its workers (stopping.worker_start) ends when its parent is killed."""
    import os
    import signal
    import sys
    import time

    parent_code = (
        "import multiprocessing, time\n"
        "from sessiongen.batch.stopping import worker_start\n"
        "def work():\n    worker_start()\n    time.sleep(120)\n"
        "if __name__ == '__main__':\n"
        "    p = multiprocessing.get_context('spawn').Process(target=work)\n"
        "    p.start()\n"
        "    print(p.pid, flush=True)\n"
        "    time.sleep(120)\n"
    )
    (tmp_path / "parent.py").write_text(parent_code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py")], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        time.sleep(1.0)  # the child has run its initializer
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _running(child):
            time.sleep(0.1)
        assert not _running(child), "the worker went on after its batch was killed"
    finally:
        parent.kill()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_render_never_replaces_the_sidecars_of_another_recording(tmp_path, runner):
    """-o s.wav for one client after -o s.mp3 for another: the MP3's transcript, manifest and
    review page stay its own (issue 28, class 3); the same session may be written in another
    format beside it, and once the MP3 is gone, anything may take the name."""
    from sessiongen.cli import cli

    args = ["render", "box-breathing", "--engine", "fake", "--report"]
    assert runner.invoke(cli, [*args, "-o", str(tmp_path / "s.mp3"), "--var", "name=Sam"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    refused = runner.invoke(cli, [*args, "-o", str(tmp_path / "s.wav"), "--var", "name=Robin"])
    assert refused.exit_code == 1 and "would replace those of s.mp3" in refused.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert runner.invoke(cli, [*args, "-o", str(tmp_path / "s.flac"), "--var", "name=Sam"]).exit_code == 0  # Sam's, as FLAC
    (tmp_path / "s.mp3").unlink()
    (tmp_path / "s.flac").unlink()
    assert runner.invoke(cli, [*args, "-o", str(tmp_path / "s.wav"), "--var", "name=Robin"]).exit_code == 0
