"""The option specification (sessiongen/options/table.py) and every front end that follows it: the
command line, profiles and rosters, the studio's forms, the library's Settings, the manifest and
docs/cli.md. Each check is made against the specification, so a new option is checked by adding it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessiongen import options, pipeline
from sessiongen.batch.roster import read_roster
from sessiongen.batch.validate import BatchOptions, validate
from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.options.kinds import Bed, Choice, Flag, Folder, Number, Pronunciations, Text
from sessiongen.options.profile import from_fields
from sessiongen.settings import Settings
from sessiongen.studio import fields, forms

ROOT = Path(__file__).resolve().parents[1]
FAKE = ["--engine", "fake"]


def _too_big(kind: Number) -> int:
    return int(kind.hi + (kind.hi - kind.lo) + 1)


def _bad_text(option) -> str:
    """A value the option refuses, as a user would type it."""
    kind = option.kind
    if isinstance(kind, Number):
        return str(_too_big(kind))
    if isinstance(kind, Flag):
        return "maybe"
    if isinstance(kind, (Choice, Bed)):
        return "kazoo"
    if isinstance(kind, Pronunciations):
        return "9=nine"
    if isinstance(kind, Folder):
        return "/no/such/folder/anywhere"
    return "x" * 300  # Text: longer than any field may be


def _bad_value(option):
    """A value the option refuses, as a library caller might put it into Settings."""
    kind = option.kind
    if isinstance(kind, Number):
        return _too_big(kind)
    if isinstance(kind, Flag):
        return "maybe"
    if isinstance(kind, Pronunciations):
        return (("9", "nine"),)
    if isinstance(kind, Text):
        return 12
    return _bad_text(option)


def _tail(message: str) -> str:
    """What every front end says alike: from 'must be' (or the kind's own words) to the end."""
    found = re.search(r"(must be .*|is longer than .*|pronunciation for .*|names no audio file .*)$", message)
    assert found, message
    return found.group(1)


def test_every_settings_field_is_an_option_or_said_why_not():
    fields_ = {f.name for f in dataclasses.fields(Settings)}
    declared = {o.field for o in options.OPTIONS}
    assert declared <= fields_, declared - fields_
    assert not declared & set(options.INTERNAL), declared & set(options.INTERNAL)
    assert fields_ - declared == set(options.INTERNAL), fields_ - declared ^ set(options.INTERNAL)
    assert len(options.BY_NAME) == len(options.OPTIONS) == len(options.BY_FIELD)


def test_every_option_left_out_of_the_studio_says_why():
    from sessiongen.options.table import NOT_IN_STUDIO

    assert set(NOT_IN_STUDIO) == {o.name for o in options.OPTIONS if options.STUDIO not in o.fronts}


def test_every_default_is_a_value_its_option_takes():
    options.check(Settings())
    for option in options.OPTIONS:
        if option.default is not None:
            assert option.kind.check(option.default) == option.default, option.name


@pytest.mark.parametrize(
    "command, group", [("render", options.SESSION), ("render", options.OUTPUT), ("plan", options.SESSION), ("batch", options.OUTPUT)]
)
def test_the_command_line_has_each_option_of_its_group(command, group):
    made = {param.name: param for param in cli.commands[command].params}
    for option in options.OPTIONS:
        if option.group == group and options.CLI in option.fronts:
            assert option.name in made, f"{command} lacks {option.cli_flag}"
            assert option.cli_flag.split("/")[0] in made[option.name].opts


def test_help_shows_what_an_option_takes_and_its_default():
    text = CliRunner().invoke(cli, ["render", "--help"], terminal_width=400).output
    assert "--rate N" in text and "Takes a whole number from 60 to 400. [default: 105]" in text
    assert "--bls-tone TONE" in text and "one of sine, chime" in text
    assert "--minutes N" in text and "[default: the script's length]" in text


def _studio_pages(tmp_path):
    from fastapi.testclient import TestClient

    from sessiongen.studio import security
    from sessiongen.studio.app import StudioConfig, create_app

    app = create_app(StudioConfig(tmp_path / "data", token="t" * 32, engine="fake", workers=1))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        client.cookies.set(security.cookie_name("127.0.0.1:8000"), security.cookie_value("t" * 32, "127.0.0.1:8000"))
        return {page: client.get(page).text for page in ("/compose", "/clients/new")}


def test_the_studio_forms_have_a_field_for_each_studio_option(tmp_path):
    for page, html in _studio_pages(tmp_path).items():
        for option in fields.STUDIO_OPTIONS:
            assert re.search(rf'<(input|select|textarea)[^>]* name="{option.name}"', html), f"{page} has no field for {option.name}"
        number_fields = [o for o in fields.STUDIO_OPTIONS if isinstance(o.kind, Number)]
        for option in number_fields:  # ranges come from the specification
            lo, hi = fields.widget(option)["min"], fields.widget(option)["max"]
            assert re.search(rf'name="{option.name}" type="number" inputmode="decimal" min="{lo}" max="{hi}"', html), (page, option.name)


def test_a_profile_and_a_roster_take_every_profile_option(tmp_path):
    good = {
        "minutes": "10",
        "engine": "fake",
        "voice": "fake/en",
        "language": "es",
        "voice_pack": str(tmp_path),
        "allow_synthetic": "yes",
        "pronunciations": "Sam=sahm",
        "rate": "120",
        "pause_scale": "1.2",
        "slow_ending": "yes",
        "bls": "no",
        "bls_rate": "0.8",
        "bls_tone": "chime",
        "bls_depth": "80",
        "bls_level": "-8",
        "bls_under_level": "-16",
        "headphone_check": "no",
        "mono": "yes",
        "ambience": "rain",
        "ambience_vary": "yes",
        "bed_level": "-20",
        "duck": "9",
        "seed": "4",
        "loudness": "-18",
        "loudness_mode": "programme",
        "bitrate": "256",
        "bit_depth": "24",
    }
    assert set(good) == {o.name for o in options.OPTIONS if options.PROFILE in o.fronts}
    settings = Settings().but(**from_fields(good, "p.yaml").settings)
    options.check(settings)
    for name, text in good.items():
        option = options.BY_NAME[name]
        assert getattr(settings, option.field) == option.kind.parse(text) != option.default or name == "engine", name


@pytest.mark.parametrize("option", options.OPTIONS, ids=lambda o: o.name)
def test_a_bad_value_gets_the_same_line_from_every_front_end(option, tmp_path, runner):
    """The command line, a profile, a roster column, the studio and a library caller's Settings:
    one line each, naming the option, saying the same thing, never an internal error."""
    said = {}
    if options.CLI in option.fronts and not isinstance(option.kind, Flag):
        args = ["render", "box-breathing", "-o", str(tmp_path / "x.wav"), *FAKE, option.cli_flag.split("/")[0], _bad_text(option)]
        result = runner.invoke(cli, args)
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
        assert result.output.startswith(f"error: {option.label_on_command_line} ")
        said["command line"] = result.output.strip()
    with pytest.raises(SessiongenError) as caught:
        from_fields({option.name: _bad_text(option)}, "client.yaml")
    assert caught.value.option == option.name and str(caught.value).startswith(f"client.yaml: {option.name} ")
    said["profile"] = str(caught.value)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"client_id,technique,{option.name}\nA,box-breathing,{_bad_text(option)}\n", encoding="utf-8")
    jobs, invalid = validate(roster, read_roster(roster), BatchOptions(out_dir=tmp_path / "out", base=Settings(engine="fake")))
    assert not jobs and len(invalid) == 1 and option.name in invalid[0].error
    said["roster"] = invalid[0].error
    if options.STUDIO in option.fronts and not isinstance(option.kind, Flag):
        with pytest.raises(forms.FormError) as caught:
            forms.compose_form({"technique_1": "box-breathing", option.name: _bad_text(option)}, tmp_path, "fake")
        assert caught.value.field == option.name and str(caught.value).startswith(option.label)
        said["studio"] = str(caught.value)
    with pytest.raises(SessiongenError) as caught, pipeline.cache_root(False) as root:
        pipeline.prepare(pipeline.load("box-breathing"), {}, Settings(engine="fake").but(**{option.field: _bad_value(option)}), root)
    assert caught.value.option == option.name and str(caught.value).startswith(f"{option.name} ")
    tails = {where: _tail(line) for where, line in said.items()}
    assert len(set(tails.values())) == 1, tails


def test_the_cli_reference_in_the_docs_is_the_specification():
    """docs/cli.md's table of options is made from the specification (`reference_table`)."""
    from sessiongen.cli.reference import reference_table

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert reference_table() in text, "docs/cli.md's option table is out of date: run `python -m sessiongen.cli.reference docs/cli.md`"
