"""The words sessiongen itself says or writes, in each language the library speaks.

Everything a listener hears comes from a script, except a few fixed phrases that the plan puts in:
breathing cues, the headphone check's "Left." and "Right.", the speaker-version notices and the
spoken transition between the techniques of a composition. They live here, one `Words` per
language, beside the words of the transcript's descriptions and the tag's disclaimer. A language
the table lacks falls back to English for these few phrases (its scripts still speak their own).

Adding a language: its scripts in `scripts/TAG/` (library.py), one entry in WORDS, and a voice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sessiongen import timefmt
from sessiongen.model.script import Meta


@dataclass(frozen=True)
class Words:
    breathe_cues: dict[str, str]  # phase (in, hold, out, hold_out) -> its cue
    counts: tuple[str, ...]  # spoken on the 2nd, 3rd, ... second of a phase after its cue; () = no counting
    headphone: tuple[str, str]  # said in the left ear, then the right
    mono_notice: str
    mono_check: str
    transition: str  # before the next technique of a composition; {title} is its title
    opening_title: str  # the first chapter's title when a script has no heading before its narration
    anchors: dict[str, str]  # a profile's short anchor name -> what the voice says
    disclaimer: str
    speaker_note: str  # added to the disclaimer in a speaker version
    units: tuple[tuple[str, str], tuple[str, str], tuple[str, str]]  # (one, many) hour, minute, second
    transcript: dict[str, str]  # the transcript's descriptions of sounds without words
    rate_scale: float = 1.0  # the voice's rate is Settings.rate_wpm times this (a calm pace in syllables: docs/content-guidelines.md)
    genre: str = "Meditation"  # the genre tag (ID3 TCON, MP4 ©gen, Vorbis GENRE)
    # a built-in bed's name in transcripts and on the review page; none: its description's (English)
    bed_names: dict[str, str] = field(default_factory=dict)
    saying: Saying | None = None  # how numbers, times, titles and symbols are said (speech/numbers.py); None: left to the voice


@dataclass(frozen=True)
class Saying:
    """What the voice says for what is written otherwise: speech/numbers.py and speech/saying.py
    read these, for the text handed to the engine only (the transcript keeps the script's words)."""

    letters: str  # letters the voice reads besides a-z (any case); a word with others is transliterated
    # range (10-15), point (2.5), percent, dot, slash (web addresses), at (e-mail), or (and/or), and (&), oclock, oh (7:05)
    joins: dict[str, str]
    abbreviations: dict[str, str]  # written -> said, matched as whole words, case as written
    months: tuple[str, ...]  # January ... December, as said
    phone_words: tuple[str, ...] = ()  # after one of these (any case), a run of digits is said digit by digit (call 988)
    month_first: tuple[str, ...] = ()  # regions whose dates are month/day/year (en-US); elsewhere day/month/year
    feminine_ends: tuple[str, ...] = ()  # a noun ending so takes una, not un, after 1 (Spanish: una hora, un minuto)
    masculine_words: tuple[str, ...] = ()  # exceptions to feminine_ends (el día, el problema)


ENGLISH = Words(
    breathe_cues={"in": "Breathe in.", "hold": "Hold.", "out": "Breathe out.", "hold_out": "Rest."},
    counts=(),
    headphone=("Left.", "Right."),
    mono_notice="This is the speaker version, so the tones sound in the centre rather than moving between your ears.",
    mono_check="This is the speaker version, so there is no left and right check.",
    transition="When you are ready, we will move gently on to the next practice: {title}.",
    opening_title="Opening",
    anchors={
        "breath": "the gentle movement of your breath",
        "feet": "your feet on the floor",
        "hands": "your hands, resting where they are",
        "sounds": "the sounds around you",
    },
    disclaimer=(
        "This recording supports relaxation and self-regulation. It is not a treatment and does not "
        "replace a clinician. Do not listen while driving or operating machinery. Stop if you feel "
        "overwhelmed and contact your clinician or local emergency services."
    ),
    speaker_note="Speaker version: the bilateral tones are centred, not alternating.",
    units=timefmt.ENGLISH_UNITS,
    transcript={
        "headphone": "[a tone in the left ear, then the right]",
        "underlay_begin": "[bilateral tones begin under the voice]",
        "underlay_end": "[bilateral tones end]",
        "ambience_off": "[ambience fades out]",
        "ambience": "[ambience: {name}]",
        "bell": "[bell]",
        "silence": "silence",
        "tones_only": "bilateral tones only",
        "tones": "bilateral tones",
        "breathing": "[paced breathing: {timing} seconds, {rounds}]",
        "phases": "in|hold|out|hold",
        "rounds": "{n} round|{n} rounds",
        "tone_alone": "[breathing continues, paced by the tone alone, {n} more round]|[breathing continues, paced by the tone alone, {n} more rounds]",
    },
    saying=Saying(
        letters="",
        joins={
            "range": "to",
            "point": "point",
            "percent": "percent",
            "dot": "dot",
            "slash": "slash",
            "at": "at",
            "or": "or",
            "and": "and",
            "oclock": "o'clock",
            "oh": "oh",
        },
        abbreviations={
            "Dr.": "Doctor",
            "Dr": "Doctor",
            "Mr.": "Mister",
            "Mr": "Mister",
            "Mrs.": "Missus",
            "Mrs": "Missus",
            "Ms.": "Miz",
            "Ms": "Miz",
            "Prof.": "Professor",
            "e.g.": "for example",
            "i.e.": "that is",
            "etc.": "et cetera",
            "vs.": "versus",
            "approx.": "approximately",
            "min.": "minutes",
            "mins": "minutes",
            "secs": "seconds",
        },
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        phone_words=("call", "calling", "dial", "text", "ring", "phone", "contact", "number", "line", "helpline", "hotline"),
        month_first=("us",),
    ),
)

SPANISH = Words(
    breathe_cues={"in": "Inhala.", "hold": "Retén.", "out": "Exhala.", "hold_out": "Pausa."},
    counts=(
        "dos",
        "tres",
        "cuatro",
        "cinco",
        "seis",
        "siete",
        "ocho",
        "nueve",
        "diez",
        "once",
        "doce",
        "trece",
        "catorce",
        "quince",
        "dieciséis",
        "diecisiete",
        "dieciocho",
        "diecinueve",
        "veinte",
    ),
    headphone=("Izquierda.", "Derecha."),
    mono_notice="Esta es la versión para altavoz, así que los tonos suenan en el centro en lugar de moverse de un oído al otro.",
    mono_check="Esta es la versión para altavoz, así que no hay prueba de izquierda y derecha.",
    transition="Cuando quieras, pasaremos con calma a la siguiente práctica: {title}.",
    opening_title="Inicio",
    anchors={
        "breath": "el movimiento suave de tu respiración",
        "feet": "tus pies apoyados en el suelo",
        "hands": "tus manos, descansando donde están",
        "sounds": "los sonidos a tu alrededor",
    },
    disclaimer=(
        "Esta grabación acompaña la relajación y la autorregulación. No es un tratamiento y no reemplaza "
        "la atención de un profesional. No la escuches mientras conduces o usas maquinaria. Detente si algo "
        "se vuelve demasiado intenso y comunícate con tu terapeuta o con los servicios de emergencia de tu zona."
    ),
    speaker_note="Versión para altavoz: los tonos bilaterales suenan en el centro, sin alternar.",
    units=(("hora", "horas"), ("minuto", "minutos"), ("segundo", "segundos")),
    transcript={
        "headphone": "[un tono en el oído izquierdo, luego en el derecho]",
        "underlay_begin": "[empiezan los tonos bilaterales bajo la voz]",
        "underlay_end": "[terminan los tonos bilaterales]",
        "ambience_off": "[el sonido de fondo se desvanece]",
        "ambience": "[sonido de fondo: {name}]",
        "bell": "[campana]",
        "silence": "silencio",
        "tones_only": "solo tonos bilaterales",
        "tones": "tonos bilaterales",
        "breathing": "[respiración guiada: {timing} segundos, {rounds}]",
        "phases": "inhala|retén|exhala|pausa",
        "rounds": "{n} ronda|{n} rondas",
        "tone_alone": "[la respiración continúa, guiada solo por el tono, {n} ronda más]|[la respiración continúa, guiada solo por el tono, {n} rondas más]",
    },
    rate_scale=0.92,
    genre="Meditación",
    bed_names={
        "white": "ruido blanco",
        "pink": "ruido rosa",
        "brown": "ruido marrón",
        "rain": "lluvia constante",
        "ocean": "olas del mar",
        "stream": "un arroyo",
        "wind": "viento",
        "drone": "un tono grave y cálido",
    },
    saying=Saying(
        letters="áéíóúüñ",
        joins={
            "range": "a",
            "point": "coma",
            "percent": "por ciento",
            "dot": "punto",
            "slash": "barra",
            "at": "arroba",
            "or": "o",
            "and": "y",
            "oclock": "en punto",
            "oh": "",
        },
        abbreviations={
            "Dr.": "doctor",
            "Dra.": "doctora",
            "Sr.": "señor",
            "Sra.": "señora",
            "Srta.": "señorita",
            "Ud.": "usted",
            "Uds.": "ustedes",
            "p. ej.": "por ejemplo",
            "etc.": "etcétera",
            "aprox.": "aproximadamente",
            "núm.": "número",
            "min.": "minutos",
            "seg.": "segundos",
        },
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        phone_words=("llama", "llamar", "llámanos", "marca", "marcar", "contacta", "contactar", "teléfono", "número", "línea"),
        feminine_ends=("a", "as", "ción", "ciones", "sión", "siones", "dad", "dades", "tud", "tudes", "vez", "veces"),
        masculine_words=("día", "días", "problema", "problemas", "programa", "programas", "tema", "temas", "mapa", "mapas", "clima"),
    ),
)

WORDS: dict[str, Words] = {"en": ENGLISH, "es": SPANISH}  # by primary language subtag


def primary(language: str | None) -> str:
    """'es-MX' -> 'es'; None or '' -> 'en' (a script's own default)."""
    return (language or "en").strip().replace("_", "-").lower().split("-")[0] or "en"


def words_for(language: str | None) -> Words:
    """The fixed words of a language; English where the table has none."""
    return WORDS.get(primary(language), ENGLISH)


def words_of(meta: Meta) -> Words:
    return words_for(meta.language)


def anchor_in(value: str, language: str | None) -> str:
    """A short anchor name (feet, hands, breath, sounds) or its wording in any language, as the
    `language` says it; any other value unchanged."""
    wanted = words_for(language).anchors
    for words in WORDS.values():
        for key, text in words.anchors.items():
            if value.strip().lower() in (key, text.lower()):
                return wanted[key]
    return value


def rate_for(language: str | None, rate_wpm: int) -> int:
    """The rate a voice speaks `language` at, for the rate asked for (English's own)."""
    return round(rate_wpm * words_for(language).rate_scale)


def spoken_duration(duration_s: float, language: str | None = None) -> str:
    """'30 seconds', '1 minute 30 seconds' (whole seconds, at least 1), in the language's words."""
    return timefmt.spoken_duration(duration_s, words_for(language).units)


def plural(template: str, n: int) -> str:
    """'{n} round|{n} rounds' -> '1 round' or '3 rounds'."""
    one, many = template.split("|")
    return (one if n == 1 else many).format(n=n)
