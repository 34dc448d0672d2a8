"""The library in more than one language: choosing it, and everything heard and written in it."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from sessiongen import pipeline
from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.model.script import Bls, BlsOff, BlsOn, Breathe, Chapter, Pause, Say
from sessiongen.output import manifest, sidecars
from sessiongen.plan import texts_to_speak
from sessiongen.script import library, parser, syllables
from sessiongen.script.personalise import personalise
from sessiongen.settings import Settings
from sessiongen.words import ENGLISH, SPANISH, anchor_in, spoken_duration

SPANISH_IDS = sorted(library.technique_paths("es"))
# Common English words that are not Spanish words: one of them in a Spanish sentence means
# English has slipped in (a line left untranslated, a default not given in Spanish).
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "with",
        "this",
        "that",
        "is",
        "are",
        "of",
        "it",
        "to",
        "be",
        "for",
        "on",
        "at",
        "or",
        "if",
        "as",
        "when",
        "let",
        "now",
        "breathe",
        "feel",
        "into",
        "out",
        "there",
        "here",
        "what",
        "which",
        "will",
        "can",
        "may",
        "might",
        "notice",
        "gently",
    ]
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def english_words_in(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w in ENGLISH_WORDS]


def _texts(script) -> list[str]:
    meta = script.meta
    out = [meta.title, meta.summary, *meta.cautions, *(d for _, d in meta.variables)]
    out += [n.title for n in script.nodes if isinstance(n, Chapter)]
    return out + [n.text for n in personalise(script).nodes if isinstance(n, Say)]


def test_the_english_word_check_finds_an_english_sentence():
    assert english_words_in("Let your shoulders soften, if it feels right.")
    assert english_words_in("Respira. Now breathe out slowly.") == ["now", "breathe", "out"]
    assert not english_words_in("Si te parece bien, deja que los hombros se aflojen un poco.")


@pytest.mark.parametrize("technique_id", SPANISH_IDS)
def test_spanish_scripts_contain_no_english(technique_id):
    script = parser.parse_file(library.technique_paths("es")[technique_id])
    found = {text: english_words_in(text) for text in _texts(script)}
    assert not {t: w for t, w in found.items() if w}


def test_spanish_fixed_words_contain_no_english():
    texts = [
        *SPANISH.breathe_cues.values(),
        *SPANISH.counts,
        *SPANISH.headphone,
        SPANISH.mono_notice,
        SPANISH.mono_check,
        SPANISH.transition,
        SPANISH.opening_title,
        *SPANISH.anchors.values(),
        SPANISH.disclaimer,
        SPANISH.speaker_note,
        *SPANISH.transcript.values(),
        *SPANISH.bed_names.values(),
        SPANISH.genre,
    ]
    assert not [t for t in texts if english_words_in(t)]
    assert set(SPANISH.transcript) == set(ENGLISH.transcript) and set(SPANISH.anchors) == set(ENGLISH.anchors)


def _shape(script) -> list[tuple]:
    """What carries over between languages: every node but the narration's wording."""
    out = []
    for node in script.nodes:
        if isinstance(node, Pause):
            out.append(("pause", node.min_s, node.max_s, node.fragment))
        elif isinstance(node, (Breathe, Bls, BlsOn, BlsOff)):
            out.append((type(node).__name__, node, node.fragment))
        elif isinstance(node, Say):
            out.append(("say", node.fragment, node.paragraph_end))
        else:
            out.append((type(node).__name__, node.fragment))
    return out


@pytest.mark.parametrize("technique_id", SPANISH_IDS)
def test_a_spanish_script_keeps_the_english_structure_and_timing(technique_id):
    """Same chapters, paragraphs, pauses, breathing patterns, tone sets and fragments, in order."""
    english = parser.parse_file(library.technique_paths()[technique_id])
    spanish = parser.parse_file(library.technique_paths("es")[technique_id])
    assert _shape(spanish) == _shape(english)
    assert (spanish.meta.id, spanish.meta.category, spanish.meta.language) == (english.meta.id, english.meta.category, "es")
    assert set(spanish.meta.defaults) == set(english.meta.defaults)


def test_load_picks_the_language_and_refuses_what_it_lacks():
    assert pipeline.load("box-breathing", "es").meta.title == "Respiración cuadrada"
    assert pipeline.load("box-breathing").meta.title == "Box Breathing"
    with pytest.raises(SessiongenError) as missing:
        pipeline.load("tre-release", "es")
    message = str(missing.value)
    assert "\n" not in message and "no Spanish (es) version" in message and all(t in message for t in SPANISH_IDS)
    with pytest.raises(SessiongenError, match="no scripts in 'fr': it has en, es"):
        pipeline.load("box-breathing", "fr")
    with pytest.raises(SessiongenError, match="no technique 'box-breathng'.*box-breathing.*--language es"):
        pipeline.load("box-breathng", "es-MX")


def test_a_composition_or_session_file_is_in_one_language(tmp_path):
    composed = pipeline.load("orienting-to-the-room+safe-place", "es")
    assert composed.meta.language == "es"
    said = [n.text for n in composed.nodes if isinstance(n, Say)]
    assert "Cuando quieras, pasaremos con calma a la siguiente práctica: Lugar de calma." in said
    session = tmp_path / "tarde.yaml"
    session.write_text("title: Tarde tranquila\ntechniques: [orienting-to-the-room, box-breathing]\n", encoding="utf-8")
    assert pipeline.load(str(session), "es").meta.title == "Tarde tranquila"
    english_file = str(library.technique_paths()["safe-place"])
    with pytest.raises(SessiongenError, match="written in 'en', but the session asks for 'es'"):
        pipeline.load(f"box-breathing+{english_file}", "es")
    with pytest.raises(SessiongenError, match="must share one language, not es and en"):
        pipeline.load(f"{library.technique_paths('es')['box-breathing']}+{english_file}")


def test_techniques_lists_each_language():
    result = CliRunner().invoke(cli, ["techniques", "--language", "es"])
    assert result.exit_code == 0 and len(result.output.splitlines()) == len(SPANISH_IDS)
    assert "Respiración cuadrada" in result.output and "Box Breathing" not in result.output
    refused = CliRunner().invoke(cli, ["techniques", "--language", "fr"])
    assert refused.exit_code == 1 and refused.output.count("\n") == 1 and "it has en, es" in refused.output
    shown = CliRunner().invoke(cli, ["techniques", "show", "safe-place", "--language", "es", "--engine", "fake"])
    assert "Lugar de calma" in shown.output and "Regreso" in shown.output and "calma" in shown.output


def _prepared(ref: str, **changes):
    settings = Settings(engine="fake").but(**changes)
    with pipeline.cache_root(True) as root:
        return pipeline.prepare(pipeline.load(ref, "es"), {}, settings, root)


def test_spanish_breathing_cues_count_in_spanish():
    tl = _prepared("box-breathing").timeline
    breathe = [e for e in tl.events if e.kind == "breathe"]
    first = [(round(tl.seconds(offset), 2), text) for offset, text, _ in breathe[0].cues]
    assert first[:4] == [(0.0, "Inhala."), (1.0, "dos"), (2.0, "tres"), (3.0, "Retén.")]  # in=3 hold=3 ...
    words = {text for e in breathe for _, text, _ in e.cues}
    assert {"Inhala.", "Retén.", "Exhala.", "Pausa.", "dos", "tres", "cuatro"} <= words
    assert not words & {"Breathe in.", "Hold.", "Breathe out.", "Rest."}
    for event in breathe:  # every count on a whole second of its phase
        assert all(abs(tl.seconds(offset) - round(tl.seconds(offset))) < 1e-3 for offset, _, _ in event.cues)


def test_the_headphone_check_and_speaker_notices_are_spanish():
    tl = _prepared("safe-place").timeline
    check = next(e for e in tl.events if e.kind == "headphone-check")
    assert [(text, pan) for _, text, pan in check.cues] == [("Izquierda.", -1.0), ("Derecha.", 1.0)]
    mono = _prepared("safe-place", mono=True)
    said = [e.text for e in mono.timeline.events if e.kind == "speech"]
    assert SPANISH.mono_check in said and SPANISH.mono_notice in said


@pytest.mark.parametrize("technique_id", SPANISH_IDS)
def test_nothing_the_voice_says_in_spanish_is_english(technique_id):
    script = personalise(pipeline.load(technique_id, "es"))
    for mono in (False, True):
        texts = [text for text, _ in texts_to_speak(script, Settings(mono=mono)).values()]
        assert not [t for t in texts if english_words_in(t)]


def test_a_spanish_transcript_and_tags_are_spanish():
    prepared = _prepared("box-breathing")
    text = " ".join(sidecars.vtt(prepared.timeline).split())  # caption lines joined
    for wanted in (
        "[campana]",
        "[respiración guiada: inhala 4, retén 4, exhala 4, pausa 4 segundos, 8 rondas]",
        "[silencio, ",
        "Inhala. ",
        "[la respiración continúa, guiada solo por el tono, 6 rondas más]",
    ):
        assert wanted in text, wanted
    assert not re.search(r"\[(bell|silence|paced breathing|breathing continues)", text)
    assert prepared.timeline.chapters[0][0] == "Llegada"
    assert manifest.comment(Settings(), "es") == SPANISH.disclaimer
    assert manifest.comment(Settings(mono=True), "es").endswith(SPANISH.speaker_note)
    assert manifest.comment(Settings()) == ENGLISH.disclaimer


def test_times_read_in_spanish():
    assert spoken_duration(1, "es") == "1 segundo"
    assert spoken_duration(90, "es") == "1 minuto 30 segundos"
    assert spoken_duration(3720, "es-MX") == "1 hora 2 minutos"
    assert spoken_duration(90) == "1 minute 30 seconds"


def test_anchors_are_said_in_the_scripts_language():
    assert anchor_in("feet", "es") == "tus pies apoyados en el suelo"
    assert anchor_in(ENGLISH.anchors["hands"], "es") == SPANISH.anchors["hands"]  # as a profile stores it
    assert anchor_in(SPANISH.anchors["sounds"], "en") == ENGLISH.anchors["sounds"]
    assert anchor_in("mi taza de té", "es") == "mi taza de té"
    said = personalise(pipeline.load("box-breathing", "es"), {"anchor": "your feet on the floor"})
    assert any("tus pies apoyados en el suelo" in n.text for n in said.nodes if isinstance(n, Say))


def test_the_spanish_defaults_read_naturally():
    defaults = pipeline.load("safe-place", "es").meta.defaults
    assert defaults["anchor"] == SPANISH.anchors["feet"] and defaults["cue_word"] == "calma"
    assert defaults["safe_place"].startswith("un lugar")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Respiración cuadrada", "es", 7),
        ("Inhala, dos, tres, cuatro.", "es", 7),
        ("¿Qué puedes oír? Quizá agua.", "es", 9),
        ("guerra aéreo maíz", "es", 8),
        ("Breathe in gently.", "en", 4),
        ("You're comfortable here.", "en", 6),
    ],
)
def test_syllables_are_counted_per_language(text, language, expected):
    assert syllables.count(text, language) == expected


def test_render_and_plan_take_the_language():
    planned = CliRunner().invoke(cli, ["plan", "box-breathing", "--language", "es", "--engine", "fake"])
    assert planned.exit_code == 0 and "Respiración cuadrada" in planned.output and "# Llegada" in planned.output
    refused = CliRunner().invoke(cli, ["render", "tre-release", "--language", "es", "--engine", "fake"])
    assert refused.exit_code == 1 and "no Spanish (es) version" in refused.output and "Traceback" not in refused.output


def _breathing_plan(language: str, inhala_s: float):
    from sessiongen.plan import plan

    text = f"---\nlanguage: {language}\n---\nReady.\n\n[breathe in=4 out=3 rounds=1 cues=voice]\n"
    script = personalise(parser.parse_text(text))
    settings = Settings()
    frames = {key: int(0.5 * settings.sample_rate_hz) for key in texts_to_speak(script, settings)}
    frames["Inhala."] = int(inhala_s * settings.sample_rate_hz)
    tl = plan(script, frames, settings)
    event = next(e for e in tl.events if e.kind == "breathe")
    return [(round(tl.seconds(offset), 2), text) for offset, text, _ in event.cues]


def test_a_count_waits_for_its_cue_and_english_does_not_count():
    assert _breathing_plan("es", 0.5) == [
        (0.0, "Inhala."),
        (1.0, "dos"),
        (2.0, "tres"),
        (3.0, "cuatro"),
        (4.0, "Exhala."),
        (5.0, "dos"),
        (6.0, "tres"),
    ]
    assert _breathing_plan("es", 1.5) == [(0.0, "Inhala."), (2.0, "tres"), (3.0, "cuatro"), (4.0, "Exhala."), (5.0, "dos"), (6.0, "tres")]
    assert _breathing_plan("en", 0.5) == [(0.0, "Breathe in."), (4.0, "Breathe out.")]


@pytest.mark.e2e
def test_the_spanish_voice_speaks_every_count_and_the_check(tmp_path):
    """espeak-ng's Spanish (pyttsx3): each cue and number fits its second, the voice chosen speaks
    Spanish, and the rendered file is as long as planned."""
    import soundfile

    from sessiongen import speech

    settings = Settings(engine="pyttsx3", minutes=20)
    with pipeline.cache_root(True) as root:
        prepared = pipeline.prepare(pipeline.load("box-breathing+safe-place", "es"), {}, settings, root)
        delivery = pipeline.deliver(prepared, {}, settings, tmp_path / "sesion.wav")
    voice = next(v for v in speech.list_voices("pyttsx3") if v.id == prepared.voice.split("+")[0])
    assert any(lang.startswith("es") for lang in voice.languages)
    for event in (e for e in prepared.timeline.events if e.kind == "breathe"):
        said = [text for _, text, _ in event.cues]
        assert said[:8] == ["Inhala.", "dos", "tres", "Retén.", "dos", "tres", "Exhala.", "dos"] or said[:4] == [
            "Inhala.",
            "dos",
            "tres",
            "cuatro",
        ]
    check = next(e for e in prepared.timeline.events if e.kind == "headphone-check")
    assert [text for _, text, _ in check.cues] == ["Izquierda.", "Derecha."]
    info = soundfile.info(str(delivery.rendered.path))
    assert abs(info.frames / info.samplerate - prepared.timeline.duration_s) < 0.05


def test_a_spanish_render_names_its_beds_and_genre_in_spanish(tmp_path):
    """Issue 26: the beds in the transcript, the review page and its timeline's description, and
    the genre tag, in the session's language (words.py); an English render keeps English."""
    from mutagen.id3 import ID3

    from sessiongen.output import tags
    from sessiongen.sound.catalog import BEDS

    assert set(SPANISH.bed_names) == set(BEDS)  # a new bed needs its Spanish name
    body = "ambience: rain\n---\n# Llegada\nBienvenida. [pause 6s]\n[ambience ocean]\nDescansa aquí. [pause 6s]\n[ambience off]\nGracias.\n"
    for language, rain, ocean, genre in (
        ("es", "lluvia constante", "olas del mar", "Meditación"),
        ("en", "steady rain", "ocean waves", "Meditation"),
    ):
        script = tmp_path / f"{language}.md"
        script.write_text(f"---\nlanguage: {language}\n{body}", encoding="utf-8")
        out = tmp_path / f"{language}.mp3"
        result = CliRunner().invoke(cli, ["render", str(script), "-o", str(out), "--engine", "fake", "--report", "--sidecars", "vtt"])
        assert result.exit_code == 0, result.output
        transcript = " ".join(out.with_suffix(".vtt").read_text(encoding="utf-8").split())
        said = SPANISH.transcript["ambience"] if language == "es" else ENGLISH.transcript["ambience"]
        assert said.format(name=rain) in transcript and said.format(name=ocean) in transcript
        page = out.with_suffix(".html").read_text(encoding="utf-8")
        assert f"ambience: {', '.join(sorted([ocean, rain]))}" in page  # the timeline's description
        assert said.format(name=rain) in page  # the page's transcript
        assert ID3(out)["TCON"].text == [genre] and tags.read_tags(out, "mp3")["genre"] == genre
        if language == "es":
            assert not [bed for bed in BEDS.values() if bed.split(":")[0] in transcript + page]
