"""Docs that run: every `sessiongen ...` command in README.md's and docs/cli.md's code blocks, and
in the comments of docs/examples/, run as written in a fresh folder holding what the docs assume
(docs/examples/, the README's example script, an SSML file). The fake engine is added where the
voice does not matter; the README's own script runs once with the real default voice.
docs/cli.md's synopses (with [OPTIONS] and PLACEHOLDERS) are checked against each command's --help."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from sessiongen.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "docs" / "cli.md"]
EXAMPLES = sorted((ROOT / "docs" / "examples").iterdir())
TAKES_ENGINE = {"render", "plan", "batch", "voices", "studio"}  # commands that take --engine
NOT_RUN = {  # what cannot run in a test, and where it is covered instead
    "studio": "a server that runs until stopped: tests/test_studio_*.py",
    "voice-pack import": "needs the user's own recording: tests/test_voicepack.py",
    "--voice-pack": "needs a recorded pack: tests/test_voicepack.py",
    "voice-pack accept": "needs a recorded pack with a phrase marked check: tests/test_voicepack_matching.py",
    "voices preview": "speaks with a named Kokoro voice, not the fake engine: tests/test_kokoro.py",
    "--dask": "needs a Dask cluster of the practice's machines: tests/test_cluster.py starts one on this machine",
}
PLACEHOLDER = re.compile(r"\[|\b[A-Z][A-Z_|]{2,}\b|\.\.\.")


def _blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of every line of the file's fenced code blocks."""
    out, inside = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            inside = not inside
        elif inside:
            out.append((number, line))
    return out


def shown_commands(path: Path) -> list[tuple[str, str]]:
    """(where, command) for each `sessiongen` command shown; a synopsis keeps its continuation lines."""
    lines = (
        _blocks(path)
        if path.suffix == ".md"
        else [
            (n, re.sub(r"^#.*?`?(?=sessiongen )", "", line).split("`")[0])
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        ]
    )
    out = []
    for number, line in lines:
        if line.startswith("sessiongen "):
            out.append((f"{path.relative_to(ROOT)}:{number}", line))
        elif out and line.startswith(" ") and out[-1][1].startswith("sessiongen ") and PLACEHOLDER.search(out[-1][1]):
            out[-1] = (out[-1][0], out[-1][1] + " " + line.strip())
    return out


def _argv(command: str) -> list[str]:
    return shlex.split(command, comments=True)[1:]


def _setting_up(folder: Path) -> None:
    shutil.copytree(ROOT / "docs" / "examples", folder / "docs" / "examples")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (folder / "my-script.md").write_text(re.search(r"```markdown\n(.*?)```", readme, re.S).group(1), encoding="utf-8")
    shutil.copy(ROOT / "tests" / "data" / "imports" / "polly-settling.ssml", folder / "polly-meditation.ssml")


def _with_fake_engine(argv: list[str]) -> list[str]:
    command = argv[0] if argv[0] != "techniques" or argv[1:2] != ["show"] else "techniques show"
    takes = command in TAKES_ENGINE or command == "techniques show" or argv[:2] == ["voice-pack", "sheet"]
    return argv + ["--engine", "fake"] if takes and "--engine" not in argv else argv


def _planned(argv: list[str]) -> list[str]:
    """A render as a plan with the same options (all but the audio: script, options, profile,
    reach); a batch as its dry run. The slow test renders them as written."""
    if argv[0] == "render":
        return ["plan", *(a for i, a in enumerate(argv[1:], 1) if a != "-o" and argv[i - 1] != "-o")]
    return argv + ["--dry-run"] if argv[0] == "batch" else argv


def _run(runner, argv: list[str]):
    return runner.invoke(cli, argv, catch_exceptions=False)


def _runnable(path: Path) -> list[tuple[str, str]]:
    return [(where, c) for where, c in shown_commands(path) if not PLACEHOLDER.search(c.split("#")[0])]


def _skipped(command: str) -> bool:
    return any(f" {key}" in command.split("#")[0] for key in NOT_RUN)


def _run_all(doc: Path, runner, folder: Path, monkeypatch, as_written: bool) -> None:
    """In the order shown, in one fresh folder (a later command may use an earlier one's output)."""
    _setting_up(folder)
    monkeypatch.chdir(folder)
    failed = []
    for where, command in _runnable(doc):
        if _skipped(command) or (not as_written and "--from-manifest" in command):
            continue
        argv = _with_fake_engine(_argv(command))
        result = _run(runner, argv if as_written else _planned(argv))
        if result.exit_code != 0:
            failed.append(f"{where}: {command}\n    exit {result.exit_code}: {result.output.strip()[-400:]}")
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("doc", [*DOCS, *EXAMPLES], ids=lambda p: p.name)
def test_every_command_shown_runs(doc, runner, tmp_path, monkeypatch):
    _run_all(doc, runner, tmp_path, monkeypatch, as_written=False)


@pytest.mark.slow
@pytest.mark.parametrize("doc", [*DOCS, *EXAMPLES], ids=lambda p: p.name)
def test_every_command_shown_renders_as_written(doc, runner, tmp_path, monkeypatch):
    """Every render and batch as written (about 5 minutes with the fake engine)."""
    _run_all(doc, runner, tmp_path, monkeypatch, as_written=True)


def test_the_docs_show_commands_to_run():
    """The extraction finds them (a test that runs nothing would pass whatever the docs say)."""
    readme = _runnable(ROOT / "README.md")
    assert len(readme) >= 15 and all(where.startswith("README.md:") for where, _ in readme)
    assert any("--profile docs/examples/client-c022.yaml" in c for _, c in readme)
    assert sum(len(_runnable(p)) for p in EXAMPLES) >= 2


def test_every_synopsis_names_real_options(runner):
    synopses = [(w, c) for doc in DOCS for w, c in shown_commands(doc) if PLACEHOLDER.search(c.split("#")[0])]
    assert len(synopses) >= 8
    missing = []
    for where, synopsis in synopses:
        words = synopsis.split()[1:]
        command = (
            words[:2]
            if words[0] in ("voice-pack", "techniques", "voices") and len(words) > 1 and re.fullmatch(r"[a-z]+", words[1])
            else words[:1]
        )
        help_text = _run(runner, [*command, "--help"]).output
        for option in sorted(set(re.findall(r"--[a-z][a-z0-9-]*", synopsis))):
            if option not in help_text and f"/{option}" not in help_text:
                missing.append(f"{where}: {option} is not an option of `sessiongen {' '.join(command)}`")
    assert not missing, "\n".join(missing)


@pytest.mark.e2e
def test_the_readme_script_renders_with_the_real_voice(runner, tmp_path, monkeypatch):
    """The README's own script and command, as written, with the default voice: it meets its
    `--minutes` and its own `duration` without a warning."""
    _setting_up(tmp_path)
    monkeypatch.chdir(tmp_path)
    command = next(c for _, c in _runnable(ROOT / "README.md") if c.startswith("sessiongen render my-script.md"))
    result = _run(runner, _argv(command) + ["-o", "session.wav"])
    assert result.exit_code == 0, result.output
    import soundfile as sf

    assert sf.info(tmp_path / "session.wav").duration == pytest.approx(360, abs=1.0)
    checked = _run(runner, ["plan", "my-script.md"])
    assert checked.exit_code == 0 and "out of reach" not in checked.output, checked.output


@pytest.mark.slow
def test_the_examples_fit_the_real_voice(runner, tmp_path, monkeypatch):
    """The example roster (and so its client profile) is valid with the default voice: every row's
    minutes within reach (a dry run plans each row with the real voice; about 3 minutes)."""
    _setting_up(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = _run(runner, ["batch", "docs/examples/roster.csv", "--dry-run"])
    assert result.exit_code == 0 and "4 valid" in result.output, result.output


def test_a_script_that_cannot_meet_its_duration_says_so(runner, tmp_path, monkeypatch):
    """One line at check (from its text), plan and render (measured): a warning, exit 0."""
    monkeypatch.chdir(tmp_path)
    body = "Welcome. Take a moment to settle. [pause 3s..6s]\nNotice the room around you. [pause 2s]\n"
    (tmp_path / "short.md").write_text(f"---\nid: short\ntitle: Short One\nduration: 5m\n---\n{body}", encoding="utf-8")
    (tmp_path / "fits.md").write_text(f"---\nid: fits\ntitle: Fits\nduration: 30s\n---\n{body}[pause 5s..40s]\n", encoding="utf-8")
    for argv in (
        ["check", "short.md"],
        ["plan", "short.md", "--engine", "fake"],
        ["render", "short.md", "--engine", "fake", "-o", "s.wav"],
    ):
        result = runner.invoke(cli, argv)
        lines = [line for line in result.output.splitlines() if "out of reach" in line]
        assert result.exit_code == 0 and len(lines) == 1 and lines[0].startswith("warning: Short One: its duration 5m"), result.output
    for argv in (["check", "fits.md"], ["plan", "fits.md", "--engine", "fake"]):
        result = runner.invoke(cli, argv)
        assert result.exit_code == 0 and "out of reach" not in result.output, result.output


def test_no_doc_link_leaves_the_repository():
    """Every relative link of README.md and docs/ names a file inside the repository that exists;
    nothing points at the folder beside it (../shared/)."""
    bad = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        if "../shared" in text:
            bad.append(f"{doc.name}: mentions ../shared")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                bad.append(f"{doc.name}: {target}")
    assert not bad, bad
