"""The studio's guard, over HTTP (Starlette's TestClient, in this process): the token, the Host
check, CSRF, body limits, the data folder's walls; and its pieces alone."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from helpers import STUDIO_ADDRESS, studio_client

from sessiongen.studio import security
from sessiongen.studio.app import StudioConfig, create_app

TOKEN = "test-token-123"
ADDRESS = STUDIO_ADDRESS


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def client(data_dir):
    with studio_client(data_dir, TOKEN, signed_in=False, engine="fake", workers=1) as c:
        yield c


@pytest.fixture
def signed_in(data_dir):
    with studio_client(data_dir, TOKEN, engine="fake", workers=1) as c:
        yield c


def csrf() -> str:
    return security.csrf_for(TOKEN)


def test_no_token_is_403_everywhere(client):
    for path in ("/", "/compose", "/clients", "/batch", "/static/studio.css", "/files/renders/x/y.mp3", "/nowhere"):
        assert client.get(path).status_code == 403, path
    assert client.post("/clients/save", data={"client_id": "C1"}).status_code == 403
    client.cookies.set(security.cookie_name(ADDRESS), "wrong")
    assert client.get("/").status_code == 403
    client.cookies.set(security.cookie_name(ADDRESS), TOKEN)  # the token itself is not the cookie
    assert client.get("/").status_code == 403


def test_the_printed_link_sets_the_cookie_and_drops_the_token(client):
    response = client.get(f"/?token={TOKEN}&q=calm")
    assert response.status_code == 303 and response.headers["location"] == "/?q=calm"
    assert f"{security.cookie_name(ADDRESS)}={security.cookie_value(TOKEN, ADDRESS)}" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=Strict" in response.headers["set-cookie"]
    page = client.get("/")
    assert page.status_code == 200 and "Library" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil",
        "192.168.1.2:8000",
        "",
        "127.0.0.1:evil",
        "127.0.0.1",
        "127.0.0.1:8001",
        "127.0.0.1:80",
        "localhost:8000",
        "[::1]:8000",
        "127.0.0.1:8000.evil",
        "127.0.0.1:8000:1",
    ],
)
def test_a_host_other_than_the_studios_own_is_refused(signed_in, host):
    assert signed_in.get("/", headers={"host": host}).status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1:8000", " 127.0.0.1:8000"])
def test_the_studios_own_host_and_port_are_served(signed_in, host):
    assert signed_in.get("/", headers={"host": host}).status_code == 200


def test_traversal_absolute_paths_and_symlinks_are_404(signed_in, data_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (data_dir / "renders" / "r1").mkdir(parents=True)
    (data_dir / "renders" / "r1" / "ok.txt").write_text("fine")
    os.symlink(secret, data_dir / "renders" / "r1" / "link.txt")
    os.symlink(tmp_path, data_dir / "renders" / "out")
    assert signed_in.get("/files/renders/r1/ok.txt").status_code == 200
    for path in (
        "/files/renders/r1/link.txt",
        "/files/renders/out/secret.txt",
        "/files/renders/..%2F..%2Fsecret.txt",
        "/files/renders/r1/..%2F..%2F..%2Fsecret.txt",
        f"/files/renders/{secret}",
        f"/files/renders//{secret}",
        "/files/renders/%2Fetc%2Fpasswd",
        "/files/renders/r1%5C..%5C..%5Csecret.txt",
        "/files/clients/x.yaml",
        "/renders/..%2F..%2Fsecret",
        "/batch/..%2Fclients",
        "/clients/..%2F..%2Fsecret",
    ):
        response = signed_in.get(path)
        assert response.status_code == 404, path
        assert "private" not in response.text


def test_inside_refuses_every_way_out(tmp_path):
    (tmp_path / "a").mkdir()
    os.symlink("/etc", tmp_path / "a" / "etc")
    assert security.inside(tmp_path, "a/b.txt") == tmp_path / "a" / "b.txt"
    for bad in ("../x", "a/../../x", "/etc/passwd", "C:/x", "a\\..\\..\\x", "a/etc/passwd", "", "a/\x00", "./a", "a//b"):
        with pytest.raises(security.OutsideDataFolder):
            security.inside(tmp_path, bad)


def test_an_oversize_upload_is_413(signed_in):
    roster = b"client_id,technique\n" + b"c,safe-place\n" * 90_000  # over 1 MB
    response = signed_in.post("/batch/new", data={"csrf": csrf()}, files={"roster": ("big.csv", roster, "text/csv")})
    assert response.status_code == 413
    assert (
        signed_in.post("/clients/save", content=b"x" * 1_100_000, headers={"content-type": "application/x-www-form-urlencoded"}).status_code
        == 413
    )


def test_an_audio_upload_over_200_mb_is_413_while_it_streams(signed_in, data_dir):
    """Sent without a length (chunked), the body is counted as it arrives and refused past 200 MB."""

    def body(megabytes: int):
        for _ in range(megabytes):
            yield b"\0" * 1_000_000

    under = signed_in.post(
        "/uploads/bed", content=body(security.AUDIO_BYTES // 1_000_000), headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert under.status_code != 413  # read to the end, then refused for what it is
    over = signed_in.post(
        "/uploads/bed", content=body(security.AUDIO_BYTES // 1_000_000 + 1), headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert over.status_code == 413
    assert not (data_dir / "beds").exists() or not list((data_dir / "beds").iterdir())


def test_get_cannot_change_state(signed_in, data_dir):
    assert signed_in.post("/clients/save", data={"csrf": csrf(), "client_id": "C-1", "name": "Sam", "bls": "yes"}).status_code == 303
    assert (data_dir / "clients" / "C-1.yaml").is_file()
    for path in (
        "/clients/save?client_id=C-2",
        "/clients/C-1/delete",
        "/compose/render?technique_1=safe-place",
        "/batch/new",
        "/jobs/x/cancel",
    ):
        assert signed_in.get(path).status_code in (404, 405), path
    assert (data_dir / "clients" / "C-1.yaml").is_file() and not (data_dir / "clients" / "C-2.yaml").exists()


def test_posts_need_the_csrf_token_and_our_origin(signed_in, data_dir):
    assert signed_in.post("/clients/save", data={"client_id": "C-1"}).status_code == 403
    assert signed_in.post("/clients/save", data={"client_id": "C-1", "csrf": "forged"}).status_code == 403
    response = signed_in.post("/clients/save", data={"client_id": "C-1", "csrf": csrf()}, headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert not (data_dir / "clients" / "C-1.yaml").exists()


def test_a_client_error_is_the_cli_line_next_to_its_field(signed_in, data_dir):
    response = signed_in.post("/clients/save", data={"csrf": csrf(), "client_id": "C-1", "bls_rate": "3"})
    assert response.status_code == 422
    assert 'id="err-bls_rate" role="alert">client: bls_rate must be from 0.3 to 2, not 3' in response.text
    assert "Traceback" not in response.text
    response = signed_in.post("/clients/save", data={"csrf": csrf(), "client_id": "../../x"})
    assert response.status_code == 422 and 'id="err-client_id"' in response.text
    assert not list(data_dir.parent.glob("x.yaml"))


def test_the_2_hz_cap_holds_on_the_server(signed_in):
    response = signed_in.post(
        "/compose/preview", data={"technique_1": "box-breathing", "bls_rate": "2.5"}, headers={"x-csrf-token": csrf()}
    )
    assert response.json() == {
        "ok": False,
        "field": "bls_rate",
        "error": "Bilateral rate (left-right cycles a second) must be from 0.3 to 2, not 2.5",
    }
    page = signed_in.get("/compose?t=box-breathing").text
    assert 'id="bls_rate" name="bls_rate" type="number" inputmode="decimal" min="0.3" max="2"' in page


def test_a_roster_cannot_name_files_outside_the_data_folder(signed_in, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("name: Sam\n")
    roster = f"client_id,technique,profile\nC-1,box-breathing,{outside}\nC-2,../../x.md,\nC-3,box-breathing,\n".encode()
    response = signed_in.post("/batch/new", data={"csrf": csrf()}, files={"roster": ("r.csv", roster, "text/csv")})
    assert response.status_code == 303
    page = signed_in.get(response.headers["location"]).text
    assert page.count('class="invalid"') == 2 and "outside the data folder" in page


def test_uploads_are_bounded_and_checked_as_the_cli_checks_them(signed_in, data_dir):
    big = b"\x89PNG" + b"\0" * 10_000_001
    assert signed_in.post("/uploads/cover", data={"csrf": csrf()}, files={"file": ("c.png", big, "image/png")}).status_code == 413
    response = signed_in.post("/uploads/bed", data={"csrf": csrf()}, files={"file": ("rain.wav", b"not audio at all" * 100, "audio/wav")})
    assert response.status_code == 422 and 'id="err-bed" role="alert">' in response.text
    assert not list((data_dir / "beds").iterdir())
    response = signed_in.post("/uploads/cover", data={"csrf": csrf()}, files={"file": ("../../evil.png", b"nope", "image/png")})
    assert response.status_code == 422 and "is not a JPEG or PNG image" in response.text
    assert not list((data_dir / "covers").iterdir()) and not (data_dir.parent / "evil.png").exists()


def test_a_recording_added_becomes_a_bed_choice(signed_in, data_dir):
    import io

    import numpy as np
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((44_100 * 3, 2), dtype=np.float32) + 0.01, 44_100, format="WAV")
    response = signed_in.post("/uploads/bed", data={"csrf": csrf()}, files={"file": ("my rain.wav", buffer.getvalue(), "audio/wav")})
    assert response.status_code == 303
    assert 'value="file:my-rain.wav"' in signed_in.get("/compose").text


def test_the_network_guard_leaves_unix_sockets_to_multiprocessing():
    import subprocess
    import sys

    code = (
        "import socket\nfrom sessiongen import offline\nassert offline.guard()\n"
        "import multiprocessing\nm = multiprocessing.Manager(); q = m.Queue(); q.put(1); assert q.get() == 1; m.shutdown()\n"
        "s = socket.socket()\ntry:\n    s.connect(('127.0.0.1', 9))\nexcept OSError as exc:\n    print('refused:', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ, "SESSIONGEN_NO_NETWORK": "1"}
    )
    assert "refused: network access refused" in result.stdout, result.stderr


def _wait_for(client, job_id: str, timeout_s: float = 120.0) -> dict:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = client.get(f"/jobs/{job_id}").json()
        if state["status"] in ("done", "failed", "cancelled"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not end: {state}")


def test_a_batch_resumes_after_the_studio_was_closed(data_dir):
    roster = b"client_id,technique,minutes\nC-1,box-breathing,\nC-2,nowhere,\n"  # a studio roster names library techniques
    with TestClient(
        create_app(StudioConfig(data_dir, token=TOKEN, engine="fake", workers=1)), base_url="http://127.0.0.1:8000", follow_redirects=False
    ) as first:
        first.cookies.set(security.cookie_name(ADDRESS), security.cookie_value(TOKEN, ADDRESS))
        batch = first.post("/batch/new", data={"csrf": csrf()}, files={"roster": ("r.csv", roster, "text/csv")}).headers["location"]
        batch_id = batch.rsplit("/", 1)[1]
        assert first.post(f"{batch}/run", data={"csrf": csrf()}).status_code == 303
        state = _wait_for(first, batch_id)
        assert state["result"]["counts"] == {"invalid": 1, "rendered": 1}, str(state)
    with TestClient(
        create_app(StudioConfig(data_dir, token=TOKEN, engine="fake", workers=1)), base_url="http://127.0.0.1:8000", follow_redirects=False
    ) as again:
        again.cookies.set(security.cookie_name(ADDRESS), security.cookie_value(TOKEN, ADDRESS))
        page = again.get(batch).text
        assert '<td class="status">rendered</td>' in page and "no technique &#39;nowhere&#39;" in page
        assert again.post(f"{batch}/run", data={"csrf": csrf()}).status_code == 303
        assert _wait_for(again, batch_id)["result"]["counts"] == {"invalid": 1, "up to date": 1}
        archive = again.get(f"{batch}/download")
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "index.html" in names and "report.json" in names and any(n.endswith(".mp3") for n in names)


def test_an_internal_error_is_one_line_and_its_traceback_stays_in_the_data_folder(signed_in, data_dir, monkeypatch, capfd):
    from sessiongen.studio import previews

    def broken():
        raise RuntimeError("Zebedee's calm place")

    monkeypatch.setattr(previews, "techniques", broken)
    response = signed_in.get("/")
    assert response.status_code == 500 and "Zebedee" not in response.text and "Traceback" not in response.text
    assert "Zebedee" not in capfd.readouterr().err
    assert "Zebedee's calm place" in (data_dir / "errors.log").read_text(encoding="utf-8")


def test_the_server_listens_on_a_loopback_address_of_its_own():
    import ipaddress

    from sessiongen.studio.server import listening_socket

    sockets = [listening_socket(0) for _ in range(3)]
    try:
        addresses = [s.getsockname()[0] for s in sockets]
        assert all(ipaddress.ip_address(a).is_loopback and a != "127.0.0.1" for a in addresses), addresses
        assert len(set(addresses)) == 3  # a new one at each start
    finally:
        for s in sockets:
            s.close()
