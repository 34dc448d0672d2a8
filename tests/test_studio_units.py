"""The studio's pieces alone: which field an error is about, the form read into library calls,
and the two library additions the studio uses (no headphone check, a batch confined to a folder)."""

from __future__ import annotations

import pytest

from sessiongen import pipeline
from sessiongen.batch.roster import read_roster
from sessiongen.batch.validate import BatchOptions, validate
from sessiongen.errors import SessiongenError
from sessiongen.request import SessionOptions, session_request
from sessiongen.settings import Settings
from sessiongen.studio import forms, security


@pytest.mark.parametrize(
    "form, field",
    [
        ({"bls_rate": "3"}, "bls_rate"),
        ({"minutes": "999"}, "minutes"),
        ({"minutes": "2"}, "minutes"),  # out of this script's reach: found when planning
        ({"rate": "9"}, "rate"),
        ({"var_nmae": "Sam"}, "personal"),
        ({"voice": "nobody-at-all"}, "voice"),
    ],
)
def test_an_error_names_its_field_by_its_option(tmp_path, form, field):
    """The field comes from the option the error is about (SessiongenError.option), never from its wording."""
    with pytest.raises(SessiongenError) as caught:
        composed = forms.compose_form({"technique_1": "box-breathing", **form}, tmp_path, "fake")
        with pipeline.cache_root(True) as root:
            pipeline.prepare(pipeline.load(composed.ref), composed.values, composed.request.settings, root)
    assert forms.field_for(caught.value) == field or getattr(caught.value, "field", "") == field


@pytest.mark.parametrize(
    "host, ok",
    [
        ("127.4.5.6:8123", True),
        ("127.4.5.6:8123 ", True),
        ("127.4.5.6:evil", False),
        ("127.4.5.6", False),
        ("127.4.5.6:8124", False),
        ("127.0.0.1:8123", False),
        ("localhost:8123", False),
        ("[::1]:8123", False),
        ("evil.com", False),
        ("", False),
    ],
)
def test_only_the_studios_own_host_and_port(host, ok):
    assert security.own_host(host, "127.4.5.6:8123") is ok


def test_the_cookie_is_named_for_the_port_and_new_at_each_start():
    assert security.cookie_name("127.4.5.6:8123") == "sessiongen_studio_8123"
    first, second = security.new_token(), security.new_token()
    assert security.cookie_value(first, "127.4.5.6:8123") != security.cookie_value(second, "127.4.5.6:8123")
    assert security.cookie_value(first, "127.4.5.6:8123") != security.cookie_value(first, "127.4.5.6:8124")
    assert first not in security.cookie_value(first, "127.4.5.6:8123")


def test_safe_ids():
    assert security.safe_id("C-022") == "C-022"
    assert security.safe_id("../x") == security.safe_id("a b") == security.safe_id("") == security.safe_id("x" * 65) == ""


def test_the_form_becomes_the_same_settings_as_the_command_line(tmp_path):
    form = {
        "technique_1": "box-breathing",
        "technique_2": "safe-place",
        "minutes": "25",
        "rate": "120",
        "bls": "yes",
        "bls_rate": "1.5",
        "ambience": "rain",
        "format": "wav",
        "var_name": "Sam",
        "pronunciations": "Sam=sahm",
    }
    composed = forms.compose_form(form, tmp_path, "fake")
    given = SessionOptions(
        variables={"name": "Sam"},
        options={
            "minutes": "25",
            "rate": "120",
            "bls": True,
            "bls_rate": "1.5",
            "ambience": "rain",
            "engine": "fake",
            "pronunciations": ("Sam=sahm",),
            "headphone_check": False,
        },
    )
    assert composed.request.settings == session_request(given).settings
    assert composed.ref == "box-breathing+safe-place" and composed.values == {"name": "Sam"} and composed.fmt == "wav"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"technique_1": "../../etc/passwd"}, "technique_1"),
        ({"bls_rate": "2.5"}, "bls_rate"),
        ({"minutes": "soon"}, "minutes"),
        ({"ambience": "file:../../x.wav"}, "ambience"),
        ({"var_nmae": "Sam"}, "personal"),
        ({"format": "exe"}, "format"),
        ({"cover": "/etc/x.png"}, "cover"),
    ],
)
def test_a_bad_field_is_named(tmp_path, change, field):
    with pytest.raises(forms.FormError) as caught:
        forms.compose_form({"technique_1": "box-breathing", **change}, tmp_path, "fake")
    assert caught.value.field == field and "\n" not in str(caught.value)


def test_without_the_headphone_check(settings):
    script = pipeline.load("safe-place")
    with pipeline.cache_root(True) as root:
        kinds = {e.kind for e in pipeline.prepare(script, {}, settings, root).timeline.events}
        without = {e.kind for e in pipeline.prepare(script, {}, settings.but(headphone_check=False), root).timeline.events}
    assert "headphone-check" in kinds and "headphone-check" not in without
    assert session_request(SessionOptions(options={"headphone_check": False})).settings.headphone_check is False
    assert Settings().headphone_check is True


def test_a_confined_batch_refuses_files_outside_its_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "p.yaml").write_text("name: Sam\n")
    inside = tmp_path / "data"
    inside.mkdir()
    roster = inside / "r.csv"
    roster.write_text(
        f"client_id,technique,profile,ambience\nA,box-breathing,{outside / 'p.yaml'},\nB,box-breathing,,\nC,box-breathing,,{outside / 'p.yaml'}\n"
    )
    options = BatchOptions(out_dir=inside / "out", base=Settings(engine="fake"), confine=inside)
    jobs, invalid = validate(roster, read_roster(roster), options)
    assert [j.row for j in jobs] == [2]
    assert [o.row for o in invalid] == [1, 3] and all("outside the data folder" in o.error for o in invalid)
    with pytest.raises(SessiongenError):
        forms.techniques_of({})


def test_the_voice_and_bed_previews_ignore_the_sessions_length(tmp_path):
    import io

    import soundfile as sf

    from sessiongen.studio import previews

    settings = forms.settings_of({"minutes": "14", "ambience": "rain", "voice": "fake/en"}, tmp_path, "fake")
    voice, _ = sf.read(io.BytesIO(previews.voice_preview(settings)))
    bed, rate_hz = sf.read(io.BytesIO(previews.bed_preview(settings)))
    assert 2 * rate_hz < len(voice) < 20 * rate_hz and previews.BED_SAMPLE_S * rate_hz <= len(bed) < 12 * rate_hz
