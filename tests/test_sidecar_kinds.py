"""Choosing and writing sidecars: the registry of kinds, `--sidecars` names, files beside the audio."""

from __future__ import annotations

import json

import pytest
from test_sidecars import sample

from sessiongen.errors import SessiongenError
from sessiongen.output import sidecars


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("vtt,srt,lrc,json", ("vtt", "srt", "lrc", "chapters", "manifest")),
        (" SRT , vtt ", ("vtt", "srt")),
        ("json", ("chapters", "manifest")),
        ("all", sidecars.KINDS),
        ("none", ()),
        ("chapters,json,chapters", ("chapters", "manifest")),
    ],
)
def test_parse_kinds(text, kinds):
    assert sidecars.parse_kinds(text) == kinds


def test_parse_kinds_rejects_unknown_names_with_a_suggestion():
    with pytest.raises(SessiongenError) as caught:
        sidecars.parse_kinds("vtt,vtx")
    message = str(caught.value)
    assert message.startswith("unknown sidecar 'vtx' (did you mean 'vtt'?)")
    assert message.endswith(": use vtt, srt, lrc, json, chapters, manifest, all or none")


def test_default_kinds_are_known():
    assert set(sidecars.DEFAULT_KINDS) <= set(sidecars.KINDS)


def test_the_registry_is_the_one_list_of_kinds():
    assert sidecars.KINDS == tuple(sidecars.SIDECARS) == ("vtt", "srt", "lrc", "chapters", "manifest")
    assert sidecars.ALIASES["json"] == ("chapters", "manifest")  # every kind written as JSON
    assert len({kind.suffix for kind in sidecars.SIDECARS.values()}) == len(sidecars.KINDS)
    assert all(kind.description for kind in sidecars.SIDECARS.values())
    assert sidecars.choices_text() == "vtt, srt, lrc, json, chapters, manifest, all or none"


def test_render_gives_each_kind_its_text():
    timeline, manifest = sample().timeline, {"title": "x"}
    assert sidecars.render("vtt", timeline, manifest) == sidecars.vtt(timeline)
    assert sidecars.render("srt", timeline, manifest) == sidecars.srt(timeline)
    assert sidecars.render("lrc", timeline, manifest) == sidecars.lrc(timeline)
    assert json.loads(sidecars.render("chapters", timeline, manifest)) == sidecars.chapters_json(timeline)
    assert json.loads(sidecars.render("manifest", timeline, manifest)) == manifest
    with pytest.raises(SessiongenError, match="unknown sidecar 'vvt' \\(did you mean 'vtt'\\?\\)"):
        sidecars.render("vvt", timeline, manifest)


def test_write_puts_exactly_the_requested_files_beside_the_audio(tmp_path):
    s = sample()
    audio = tmp_path / "my.session.mp3"
    audio.write_bytes(b"audio")
    written = sidecars.write(audio, s.timeline, ("vtt", "chapters"), {"x": 1})
    assert written == [tmp_path / "my.session.vtt", tmp_path / "my.session.chapters.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my.session.chapters.json", "my.session.mp3", "my.session.vtt"]
    assert (tmp_path / "my.session.vtt").read_text(encoding="utf-8") == sidecars.vtt(s.timeline)


def test_write_all_kinds_and_manifest_as_given(tmp_path):
    s = sample()
    audio = tmp_path / "out.opus"
    manifest = {"title": "Café session", "files": ["out.opus"], "duration_s": 12.5}
    written = sidecars.write(audio, s.timeline, sidecars.KINDS, manifest)
    names = ["out.vtt", "out.srt", "out.lrc", "out.chapters.json", "out.manifest.json"]
    assert [p.name for p in written] == names
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temporary files left behind
    manifest_text = (tmp_path / "out.manifest.json").read_text(encoding="utf-8")
    assert json.loads(manifest_text) == manifest
    assert "Café" in manifest_text and manifest_text == json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    assert json.loads((tmp_path / "out.chapters.json").read_text(encoding="utf-8")) == sidecars.chapters_json(s.timeline)


def test_write_nothing_for_no_kinds_and_rejects_unknown(tmp_path):
    audio = tmp_path / "a.wav"
    assert sidecars.write(audio, sample().timeline, (), {}) == []
    with pytest.raises(SessiongenError):
        sidecars.write(audio, sample().timeline, ("subtitles",), {})
    assert list(tmp_path.iterdir()) == []
