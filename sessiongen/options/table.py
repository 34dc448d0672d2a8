"""The specification of every user-facing option: declared once, here.

An entry says the option's one name (the profile key and roster column, the studio's form field,
and `--name-with-dashes` on the command line unless `flag` says otherwise), the `Settings` field
it sets, the kind of value it takes, its help text, the front ends that show it, and whether the
manifest records it. The command line's options (cli/options.py), the profile and roster reader
(options/profile.py), the studio's form (studio/forms.py and its templates), the manifest's
parameters (options/apply.py) and the table in docs/cli.md all follow this list; tests check
each of them against it (tests/test_options.py).

Settings fields that are not options, and why, are in `INTERNAL` below.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessiongen.options.kinds import Bed, Choice, Flag, Folder, Language, Number, Pronunciations, Text
from sessiongen.output.encode import MP3_BITRATES_KBPS
from sessiongen.script import library
from sessiongen.script.pacing import PAUSE_SCALE_RANGE
from sessiongen.settings import DEFAULTS
from sessiongen.sound import catalog

CLI, PROFILE, STUDIO = "command line", "profile", "studio"  # a profile's fields are a roster's columns too
SESSION, OUTPUT = "session", "output"  # render and plan take the session's options; render and batch the output's
LOUDNESS_MODES = ("voice", "programme")  # what lands on the loudness target: the narration, or the whole mix


@dataclass(frozen=True)
class Option:
    name: str
    field: str  # the Settings field it sets
    kind: object  # options/kinds.py
    help: str
    label: str  # the studio's and the review page's words for it
    fronts: frozenset = frozenset({CLI, PROFILE, STUDIO})
    manifest: bool = True  # recorded in the manifest's parameters (enough to render the session again)
    group: str = SESSION
    flag: str = ""  # the command line's spelling where it is not --NAME ('--bls/--no-bls', '--say')
    metavar: str = ""
    multiple: bool = False  # the command line takes it more than once (--say)
    shown_default: str = ""  # the default in words, where the Settings field's default is None

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def label_on_command_line(self) -> str:
        """How an error names it on the command line: '--rate', '--say', '--headphone-check'."""
        return self.cli_flag.split("/")[0]

    @property
    def default(self):
        return getattr(DEFAULTS, self.field)


def _opt(name, field, kind, help, label, fronts=(CLI, PROFILE, STUDIO), **more) -> Option:
    return Option(name, field, kind, help, label, frozenset(fronts), **more)


BLS_RATE = Number(catalog.BLS_RATE_MIN_HZ, catalog.BLS_RATE_MAX_HZ, step=0.1)
NOT_STUDIO = (CLI, PROFILE)

OPTIONS: tuple[Option, ...] = (
    _opt(
        "minutes",
        "minutes",
        Number(0.5, 240, step=0.5),
        "Fit the session to this many minutes by stretching its elastic pauses.",
        "Minutes",
        shown_default="the script's length",
    ),
    _opt(
        "engine",
        "engine",
        Text(),
        "Speech engine: kokoro (its natural voices, `sessiongen voices`), piper (the voice joe) or pyttsx3 (espeak-ng's voices and languages).",
        "Speech engine",
        NOT_STUDIO,
        metavar="NAME",
        shown_default="kokoro; piper where Kokoro's voices are not installed; pyttsx3 where neither loads",
    ),
    _opt(
        "voice",
        "voice",
        Text(),
        "A voice's name or language (see `sessiongen voices`), a blend of Kokoro voices by weight (af_heart:60,bf_emma:40), "
        "or a Piper .onnx file; espeak-ng variants as VOICE+VARIANT.",
        "Voice",
        metavar="VOICE",
        shown_default="the engine's voice for the script's language",
    ),
    _opt(
        "language",
        "language",
        Language(library.languages),
        "The library's language: a technique id is spoken from its version in this language (`sessiongen techniques --language es`).",
        "Language",
        metavar="TAG",
        shown_default="the script's own (en for the library)",
    ),
    _opt(
        "voice_pack",
        "voice_pack",
        Folder("a voice pack"),
        "Speak with a clinician's recorded voice: a voice pack folder (see `sessiongen voice-pack`).",
        "Voice pack",
        NOT_STUDIO,
        metavar="PACK",
    ),
    _opt(
        "allow_synthetic",
        "allow_synthetic",
        Flag(),
        "With a voice pack: let the synthetic voice say the phrases the pack lacks (they are listed).",
        "Synthetic voice for what the pack lacks",
        NOT_STUDIO,
    ),
    _opt(
        "pronunciations",
        "pronunciations",
        Pronunciations(),
        "How to say a word: a respelling (Siobhan=shi-vawn) or IPA phonemes between slashes (Nguyen=/ŋwiən/); repeatable.",
        "Pronunciations",
        flag="--say",
        metavar="WORD=RESPELLING",
        multiple=True,
    ),
    _opt("rate", "rate_wpm", Number(60, 400, whole=True, step=5), "Speech rate in words per minute.", "Speaking rate (words a minute)"),
    _opt(
        "pause_scale",
        "pause_scale",
        Number(*PAUSE_SCALE_RANGE, step=0.05),
        "Make every pause and rest longer (e.g. 1.3) or shorter (0.8).",
        "Pauses (longer above 1, shorter below)",
    ),
    _opt(
        "slow_ending",
        "slow_ending",
        Flag(),
        "Ease the speech rate and lengthen the pauses over the final part (for sleep).",
        "Slow ending (for sleep)",
    ),
    _opt("bls", "bls", Flag(), "Bilateral tones on or off.", "Bilateral tones", flag="--bls/--no-bls"),
    _opt(
        "bls_rate",
        "bls_rate_hz",
        BLS_RATE,
        "Override every set's rate (cycles per second).",
        "Bilateral rate (left-right cycles a second)",
        shown_default="the script's",
    ),
    _opt(
        "bls_tone",
        "bls_timbre",
        Choice(lambda: catalog.TIMBRES),
        "Override every set's sound.",
        "Bilateral sound",
        metavar="TONE",
        shown_default="the script's",
    ),
    _opt(
        "bls_depth",
        "bls_depth_pct",
        Number(0, 100, unit="percent", step=5),
        "Override every set's pan depth.",
        "Bilateral depth (percent)",
        shown_default="the script's",
    ),
    _opt(
        "bls_level",
        "bls_set_level_db",
        Number(-30, 0, unit="dB", step=1),
        "Level of the bilateral sets against the voice.",
        "Bilateral sets against the voice (dB)",
    ),
    _opt(
        "bls_under_level",
        "bls_under_level_db",
        Number(-40, -6, unit="dB"),
        "Level of bilateral tones under narration against the voice.",
        "Bilateral tones under the voice (dB)",
        NOT_STUDIO,
    ),
    _opt(
        "headphone_check",
        "headphone_check",
        Flag(),
        "The script's headphone check (a tone and a word in each ear), where it has one.",
        "Headphone check",
        flag="--headphone-check/--no-headphone-check",
    ),
    _opt("mono", "mono", Flag(), "A speaker version: one channel, bilateral tones centred (and said so).", "Speaker version (one channel)"),
    _opt(
        "ambience",
        "ambience",
        Bed(lambda: catalog.BEDS),
        "Background bed for the whole session (overrides the script).",
        "Bed",
        metavar="NAME|FILE|none",
        shown_default="the script's",
    ),
    _opt(
        "ambience_vary",
        "bed_vary",
        Flag(),
        "With an audio file as the bed: play seeded random stretches of it instead of one loop.",
        "Vary your recording",
        NOT_STUDIO,
    ),
    _opt(
        "bed_level", "bed_level_db", Number(-40, 0, unit="dB", step=1), "Level of the bed against the voice.", "Bed against the voice (dB)"
    ),
    _opt("duck", "duck_db", Number(0, 30, unit="dB"), "How far the bed dips under narration.", "Bed dips under the voice (dB)", NOT_STUDIO),
    _opt(
        "seed",
        "seed",
        Number(0, 2**31 - 1, whole=True),
        "Seed for everything random (beds, jitter); the same seed gives the same audio.",
        "Seed",
        NOT_STUDIO,
    ),
    _opt(
        "loudness",
        "loudness_lufs",
        Number(-30, -10, unit="LUFS"),
        "Loudness target, of the voice or of the whole programme (see --loudness-mode).",
        "Loudness target (LUFS)",
        NOT_STUDIO,
        group=OUTPUT,
        shown_default="-16, or -19 with --mono",
    ),
    _opt(
        "loudness_mode",
        "loudness_mode",
        Choice(LOUDNESS_MODES),
        "What lands on the target: the narration's speech-gated loudness (voice: the same voice level at any length) "
        "or the whole mix's integrated loudness (programme; always so without narration).",
        "Loudness anchored on",
        NOT_STUDIO,
        group=OUTPUT,
        metavar="MODE",
    ),
    _opt(
        "bitrate",
        "mp3_bitrate_kbps",
        Choice(MP3_BITRATES_KBPS),
        "MP3 bitrate in kbps, constant.",
        "MP3 bitrate (kbps)",
        NOT_STUDIO,
        group=OUTPUT,
        metavar="KBPS",
    ),
    _opt("bit_depth", "bit_depth", Choice((16, 24)), "WAV and FLAC bit depth.", "Bit depth", NOT_STUDIO, group=OUTPUT, metavar="BITS"),
)

BY_NAME = {option.name: option for option in OPTIONS}
BY_FIELD = {option.field: option for option in OPTIONS}

# Options the studio does not show, and why (tests/test_options.py checks each has a reason).
NOT_IN_STUDIO = {
    "engine": "the studio speaks with the engine it was started with (`sessiongen studio --engine`)",
    "voice_pack": "a pack lives in a folder of its own; a client's profile or a roster row names it",
    "allow_synthetic": "goes with a voice pack (profile or roster)",
    "bls_under_level": "a mixing detail: the tones under the voice stay well below it",
    "ambience_vary": "for a user's own long recording as a bed; a profile or roster sets it",
    "duck": "a mixing detail, tuned with the bed levels; bed_level is the clinician's control",
    "seed": "every render is reproducible already; the seed matters only to tell variants apart",
    "loudness": "the delivery standard (-16 LUFS, -19 mono) is right for phones; a profile can change it",
    "loudness_mode": "a mastering detail: the voice-anchored default keeps the voice level at any length",
    "bitrate": "the file type is chosen in the studio; 192 kbps suits speech on phones",
    "bit_depth": "the file type is chosen in the studio; 16 bits is what players expect",
}

# Settings fields that no front end sets, and why (tests/test_options.py checks every field is
# an option or listed here).
INTERNAL = {
    "sample_rate_hz": "the mix is 44.1 kHz, which every output format and player takes",
    "window_s": "the render window bounds memory; it does not change the audio",
    "noise_scale": "Piper's variation of the voice, chosen by measurement (benchmarks/piper_settings.py)",
    "noise_w_scale": "Piper's variation of phoneme lengths, chosen by measurement (benchmarks/piper_settings.py)",
    "volume": "every phrase is levelled after synthesis, so the engine's volume does not reach the file",
    "voice_rms_db": "the level phrases are brought to before mixing; mastering anchors the voice on the loudness target",
    "sentence_gap_s": "the rest between sentences; pause_scale lengthens or shortens it with every other rest",
    "paragraph_gap_s": "the rest between paragraphs; pause_scale lengthens or shortens it with every other rest",
    "lead_in_s": "the silence before the first word: the session frame, kept short and the same everywhere",
    "tail_s": "the silence after the last word: the session frame",
    "bell_s": "a bell's length, matched to its sound",
    "duck_attack_s": "the bed's dip follows the voice's phrases; tuned with the loudness predictor",
    "duck_hold_s": "the bed's dip follows the voice's phrases; tuned with the loudness predictor",
    "duck_release_s": "the bed's dip follows the voice's phrases; tuned with the loudness predictor",
    "bed_fade_s": "beds fade in and out over 3 s for startle safety (the delivery standard)",
    "peak_ceiling_db": "the sample peak before encoding, leaving room for codec overshoot under the -1 dBTP standard",
    "fade_in_s": "the file's edges: a short fade so no player clicks",
    "fade_out_s": "the file's edges: a gentle fade at the end",
}
