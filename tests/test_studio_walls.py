"""A studio roster is held to the data folder for every cell (issue 28, class 4), and an upload
never replaces a file already there (class 3). Over HTTP, in this process; every file the process
opens is watched (an audit hook) to show that nothing outside the data folder is read."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from sessiongen.studio import security
from sessiongen.studio.app import StudioConfig, create_app

TOKEN = "walls-token"
ADDRESS = "127.0.0.1:8000"
OPENED: list[str] = []
WATCHING = {"on": False}


def _watch(event, args):
    if WATCHING["on"] and event == "open" and args and isinstance(args[0], (str, bytes)):
        OPENED.append(args[0] if isinstance(args[0], str) else args[0].decode(errors="replace"))


sys.addaudithook(_watch)


@pytest.fixture
def studio(tmp_path):
    data = tmp_path / "data"
    with TestClient(create_app(StudioConfig(data, token=TOKEN, engine="fake", workers=1)), base_url=f"http://{ADDRESS}") as client:
        client.cookies.set(security.cookie_name(ADDRESS), security.cookie_value(TOKEN, ADDRESS))
        client.follow_redirects = False
        yield client, data


@pytest.fixture
def outside(tmp_path):
    """Files outside the data folder a roster might try to reach: a note, a session file, a pack."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "notes.md").write_text("---\nid: notes\ntitle: Notes\n---\n# One\nThe client's private notes.\n", encoding="utf-8")
    (folder / "session.yaml").write_text(f"techniques:\n  - {folder / 'notes.md'}\n", encoding="utf-8")
    (folder / "pack").mkdir()
    (folder / "pack" / "pack.json").write_text("{}", encoding="utf-8")
    return folder


def _rows(client, name: str, roster: bytes) -> str:
    response = client.post("/batch/new", data={"csrf": security.csrf_for(TOKEN)}, files={"roster": (name, roster, "text/plain")})
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def test_no_roster_cell_reaches_outside_the_data_folder(studio, outside):
    client, data = studio
    roster = (
        "client_id,technique,voice_pack\n"
        f"A,{outside / 'notes.md'}+box-breathing,\n"
        "B,../../../outside/notes.md,\n"
        "C,../x.md,\n"
        f"D,{outside / 'session.yaml'},\n"
        "E,uploaded.csv,\n"
        f"F,box-breathing,{outside / 'pack'}\n"
        "G,box-breathing,../../../outside/pack\n"
        "H,box-breathing,\n"
    ).encode()
    OPENED.clear()
    WATCHING["on"] = True
    try:
        page = _rows(client, "r.csv", roster)
    finally:
        WATCHING["on"] = False
    assert page.count('class="invalid"') == 7, page
    assert page.count("names a file: in the studio a roster names library techniques by id") == 5
    assert "the voice pack pack is outside the data folder" in page  # F; G's relative folder is not one (it is not looked for)
    assert "private notes" not in page
    assert not [path for path in OPENED if str(outside) in path], OPENED


def test_a_yaml_roster_that_is_also_a_session_file_reads_nothing_outside(studio, outside):
    client, data = studio
    roster = f"techniques:\n  - {outside / 'notes.md'}\nrows:\n  - {{client_id: A, technique: roster.yaml}}\n  - {{client_id: B, technique: uploaded.yaml}}\n"
    OPENED.clear()
    WATCHING["on"] = True
    try:
        page = _rows(client, "r.yaml", roster.encode())
    finally:
        WATCHING["on"] = False
    assert page.count('class="invalid"') == 2 and "private notes" not in page
    assert not [path for path in OPENED if str(outside) in path], OPENED


def test_the_command_lines_batch_still_takes_paths(tmp_path, outside):
    from sessiongen.batch.roster import read_roster
    from sessiongen.batch.validate import BatchOptions, validate

    roster = tmp_path / "r.csv"
    roster.write_text(f"client_id,technique\nA,{outside / 'notes.md'}\nB,outside/notes.md\n", encoding="utf-8")
    jobs, invalid = validate(roster, read_roster(roster), BatchOptions(out_dir=tmp_path / "out", base=_fake()))
    assert len(jobs) == 2 and not invalid


def _fake():
    from sessiongen.settings import DEFAULTS

    return DEFAULTS.but(engine="fake")


def _wav(seconds: float = 1.0, rate: int = 44_100) -> bytes:
    out = io.BytesIO()
    sf.write(out, 0.1 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * rate)) / rate), rate, format="WAV")
    return out.getvalue()


def test_a_bed_upload_with_a_name_already_there_keeps_both(studio):
    client, data = studio
    first, second = _wav(3.0), _wav(4.0)
    for content in (first, second, second):
        response = client.post("/uploads/bed", data={"csrf": security.csrf_for(TOKEN)}, files={"file": ("rain.wav", content, "audio/wav")})
        assert response.status_code == 303, response.text[-3000:]
    assert (data / "beds" / "rain.wav").read_bytes() == first
    assert (data / "beds" / "rain-2.wav").read_bytes() == second and (data / "beds" / "rain-3.wav").read_bytes() == second
    page = client.get(response.headers["location"]).text
    assert "rain-3.wav" in page and "rain.wav was already there" in page
