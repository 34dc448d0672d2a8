"""What the voice says (issue 28, class 7): names in other scripts transliterated or left out with a
warning naming them and the --say that changes them; numbers, ranges, times, ordinals, titles,
dates and addresses said as words in the session's language; the transcript keeps the script's words."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import prepared, script_text

from sessiongen import pipeline
from sessiongen.cli import cli
from sessiongen.errors import SessiongenError
from sessiongen.script.speakable import split_sentences
from sessiongen.settings import Settings
from sessiongen.speech import clips as speech_clips
from sessiongen.speech.saying import said, warning

NAMES = [  # measured with anyascii 0.3.3 (README: why anyascii, not Unidecode)
    ("Андрей", "Andrey"),
    ("Ελένη", "Eleni"),
    ("Nguyễn", "Nguyen"),
    ("日本語", "Ri Ben Yu"),
    ("Søren", "Soren"),
    ("Zoë", "Zoe"),
]


@pytest.mark.parametrize("language", ["en", "en-GB", "es"])
@pytest.mark.parametrize("name, spoken", NAMES)
def test_a_name_in_letters_the_voice_lacks_is_transliterated_and_named(name, spoken, language):
    result = said(f"Welcome, {name}.", language)
    assert result.spoken == f"Welcome, {spoken}."
    (found,) = result.foreign
    line = warning(found, language, {"name": name})
    assert f"'{name}' (in name)" in line and f"said as '{spoken}'" in line and f"--say '{name}=RESPELLING'" in line


@pytest.mark.parametrize("name", ["محمد", "אברהם"])
def test_a_name_that_cannot_be_said_is_left_out_and_the_warning_says_so(name):
    result = said(f"Welcome, {name}, to this practice.", "en")
    assert result.spoken == "Welcome, , to this practice."
    line = warning(result.foreign[0], "en", {"name": name})
    assert "nothing sensible can be said" in line and "it is left out" in line and f"--say '{name}=RESPELLING'" in line


def test_spanish_letters_are_read_in_spanish_and_only_foreign_ones_change():
    assert said("Hola, Begoña y José.", "es").foreign == ()
    assert said("Hello, José.", "en").spoken == "Hello, Jose."
    assert said("Hola, Zoë.", "es").spoken == "Hola, Zoe."


def test_a_pronunciation_wins_and_a_language_with_its_own_letters_keeps_them():
    assert said("Welcome, Андрей.", "en", (("Андрей", "an-dray"),)) == said("Welcome, an-dray.", "en")
    assert said("Привет, Андрей.", "ru").spoken == "Привет, Андрей."  # espeak-ng reads Russian in a Russian session
    assert said("Привет, 3.", "ru").spoken == "Привет, три."  # its numbers by num2words
    assert said("Hello, Nguyen.", "en", (("Nguyen", "/ŋwiən/"),)).spoken == "Hello, [[ ŋwiən ]]."  # phonemes untouched
    assert said("Hello [[ h ]] 4 [[ x ]].", "en").spoken == "Hello h four x ."  # values are never markup


@pytest.mark.parametrize(
    "language, written, spoken",
    [
        ("en", "Try the 4-7-8 breath.", "Try the four seven eight breath."),
        ("en", "Rest for 10-15 minutes.", "Rest for ten to fifteen minutes."),
        ("en", "Rest for 10–15 minutes.", "Rest for ten to fifteen minutes."),
        ("en", "We meet at 7:30.", "We meet at seven thirty."),
        ("en", "We meet at 7:05 pm.", "We meet at seven oh five P M."),
        ("en", "We meet at 9:00.", "We meet at nine o'clock."),
        ("en", "Breathe in a 1:2 ratio.", "Breathe in a one to two ratio."),
        ("en", "The 21st breath.", "The twenty-first breath."),
        ("en", "Dr. Ames and Mrs Lee.", "Doctor Ames and Missus Lee."),
        ("en", "On 12/05/2024 we met.", "On the twelfth of May, twenty twenty-four we met."),
        ("en-US", "On 12/05/2024 we met.", "On December fifth, twenty twenty-four we met."),
        ("en", "On 2024-05-12 we met.", "On the twelfth of May, twenty twenty-four we met."),
        ("en", "See example.org/help/calm.", "See example dot org slash help slash calm."),
        ("en", "Visit https://www.nhs.uk/mental-health today.", "Visit nhs dot uk slash mental-health today."),
        ("en", "Write to help@example.org.", "Write to help at example dot org."),
        ("en", "Hold it, and/or let it go, in/out.", "Hold it, and or let it go, in or out."),
        ("en", "Call 988 now.", "Call nine eight eight now."),
        ("en", "Contact 0800 123 456.", "Contact zero eight zero zero, one two three, four five six."),
        ("en", "Take 2.5 breaths, 10,000 steps, 50% less.", "Take two point five breaths, ten thousand steps, fifty percent less."),
        ("en", "Breathe 3 times.", "Breathe three times."),
        ("es", "Respiración 4-7-8.", "Respiración cuatro siete ocho."),
        ("es", "Descansa 10-15 minutos.", "Descansa diez a quince minutos."),
        ("es", "Quédate 1 minuto y 1 hora.", "Quédate un minuto y una hora."),
        ("es", "Son 21 respiraciones en 21 días.", "Son veintiuna respiraciones en veintiún días."),
        ("es", "A las 7:30 o 9:00.", "A las siete y treinta o nueve en punto."),
        ("es", "La 1.ª vez, el 2.º día.", "La primera vez, el segundo día."),
        ("es", "La Dra. Ruiz y la Sra. Pérez.", "La doctora Ruiz y la señora Pérez."),
        ("es", "El 12/05/2024.", "El doce de mayo de dos mil veinticuatro."),
        ("es", "2,5 y 10.000, 50%.", "dos coma cinco y diez mil, cincuenta por ciento."),
        ("es", "Llama al 112.", "Llama al uno uno dos."),
        ("es", "Cuenta ٣ veces.", "Cuenta tres veces."),
    ],
)
def test_numbers_times_titles_and_addresses_are_said_as_words(language, written, spoken):
    assert said(written, language).spoken == spoken


def test_a_title_does_not_end_a_sentence():
    assert split_sentences("Welcome. Dr. Smith is here. Sra. Pérez también.") == [
        "Welcome.",
        "Dr. Smith is here.",
        "Sra. Pérez también.",
    ]


def test_the_engine_gets_the_words_and_the_transcript_keeps_the_script(fake_engine):
    text = "Breathe 4-7-8 for 10-15 minutes at 7:30, Андрей."
    p = prepared(text + "\n", values={"name": "Андрей"}, extra="variables:\n  name: friend\n")
    assert fake_engine.calls == ["Breathe four seven eight for ten to fifteen minutes at seven thirty, Andrey."]
    assert [e.text for e in p.timeline.events if e.kind == "speech"] == [text]
    assert any("'Андрей' (in name)" in note and "said as 'Andrey'" in note for note in p.notes)


def test_nothing_left_to_say_is_one_clear_error(fake_engine):
    with pytest.raises(SessiongenError, match="nothing in \"محمد.\" can be said: 'محمد' is written without its vowels"):
        prepared("محمد.\n")


def test_a_render_with_names_in_other_scripts_warns_once_each_and_says_them(tmp_path, fake_engine):
    script = tmp_path / "s.md"
    body = "Welcome, {{ name }}. You are safe here, {{ name }}.\n"
    script.write_text(script_text(body, duration="10s", extra="variables:\n  name: friend\n"), encoding="utf-8")
    args = ["render", str(script), "--engine", "fake", "--no-bls", "--ambience", "none", "--sidecars", "vtt"]
    result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "a.wav"), "--var", "name=Андрей Nguyễn محمد"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:") and "(in name)" in line]
    assert len(warnings) == 3 and "said as 'Andrey'" in warnings[0] and "--say 'Андрей=RESPELLING'" in warnings[0]
    assert "'محمد' (in name)" in warnings[2] and "left out" in warnings[2]
    assert "Welcome, Andrey Nguyen ." in fake_engine.calls
    assert "Андрей Nguyễn محمد" in (tmp_path / "a.vtt").read_text(encoding="utf-8")
    fixed = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "b.wav"), "--var", "name=Андрей", "--say", "Андрей=an-dray"])
    assert fixed.exit_code == 0 and "(in name)" not in fixed.output and "Welcome, an-dray." in fake_engine.calls


def test_a_spanish_session_reads_numbers_in_spanish(fake_engine):
    prepared("Respira 4 veces durante 1 minuto.\n", extra="language: es\n")
    assert fake_engine.calls[-1] == "Respira cuatro veces durante un minuto."


def test_a_plan_estimates_the_spoken_words(fake_engine):
    """A plan (no synthesis) estimates the phrase as said: 4-7-8 is three words, not one."""
    digits = prepared("Try 4-7-8.\n").clips["Try 4-7-8."].frames
    words = prepared("Try four seven eight.\n").clips["Try four seven eight."].frames
    assert digits == words  # one cache entry: the same text reached the engine


@pytest.mark.e2e
def test_the_real_default_voice_hears_words_not_digits_or_other_scripts(monkeypatch):
    """Kokoro (the default engine): the text it receives is the normalised one, and the clip of a
    phrase with digits and a Cyrillic name is the clip of its words (one cache entry)."""
    heard = []
    real = speech_clips.synthesize_many

    def spy(engine, calls):
        heard.extend(call[0] for call in calls)
        return real(engine, calls)

    monkeypatch.setattr(speech_clips, "synthesize_many", spy)
    settings = Settings(engine="kokoro")
    script = pipeline.load(str(_written("Take a 4-7-8 breath for 10-15 seconds, Андрей.")))
    with pipeline.cache_root(False) as root:
        first = pipeline.prepare(script, {}, settings, root)
        again = pipeline.prepare(
            pipeline.load(str(_written("Take a four seven eight breath for ten to fifteen seconds, Andrey."))), {}, settings, root
        )
    assert heard == ["Take a four seven eight breath for ten to fifteen seconds, Andrey."]
    (clip,) = first.clips.values()
    (same,) = again.clips.values()
    assert clip.path == same.path and clip.frames / clip.rate_hz > 2.5  # eleven words spoken, not seven tokens
    assert json.dumps(first.notes, ensure_ascii=False).count("Andrey") == 1


def _written(body: str):
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="saying-"))
    (folder / "s.md").write_text(script_text(body + "\n", duration="10s"), encoding="utf-8")
    return folder / "s.md"


def test_a_batch_logs_each_rows_warnings(tmp_path, fake_engine):
    script = tmp_path / "s.md"
    script.write_text(script_text("Welcome, {{ name }}.\n", duration="5s", extra="variables:\n  name: friend\n"), encoding="utf-8")
    (tmp_path / "r.csv").write_text("client_id,technique,name,bls,ambience\na,s.md,Андрей,false,none\nb,s.md,Sam,false,none\n")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "r.csv"), "-o", str(tmp_path / "out"), "--engine", "fake", "--workers", "1"])
    assert result.exit_code == 0, result.output
    logged = (tmp_path / "out" / "batch.log").read_text(encoding="utf-8")
    assert "row 1: warning: 'Андрей' (in name) is not in the English voice's letters: it will be said as 'Andrey'" in logged
    assert "row 2: warning: 'Андрей'" not in logged
