"""A voice's preview: a short calm sample in any voice (`sessiongen voices preview NAME`), spoken
from a sentence of our own in the voice's language, through the whole pipeline (levelled,
mastered, encoded), so it sounds as a session would. The studio's voice picker keeps one sample
per voice in a folder (`sample_path`, `cached_sample`): never synthesised twice."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from sessiongen import pipeline, speech
from sessiongen.model.results import Delivery
from sessiongen.output.packaging import Packaging
from sessiongen.settings import Settings

SENTENCES = {
    "en": "Hello. This is how this voice sounds. Take your time to choose the voice that feels right for you, and you can change it whenever you like.",
    "es": "Hola. Así suena esta voz. Tómate tu tiempo para elegir la voz que te resulte cómoda, y puedes cambiarla cuando quieras.",
    "fr": "Bonjour. Voici comment sonne cette voix. Prenez votre temps pour choisir la voix qui vous convient, "
    "et vous pouvez la changer quand vous le souhaitez.",
    "it": "Ciao. Ecco come suona questa voce. Prenditi il tempo di scegliere la voce che senti giusta per te, e puoi cambiarla quando vuoi.",
    "pt": "Olá. Esta é a voz que você está ouvindo. Fique à vontade para escolher a voz que parecer certa para você, e pode mudá-la quando quiser.",
    "hi": "नमस्ते। यह आवाज़ ऐसी सुनाई देती है। आराम से वह आवाज़ चुनिए जो आपको ठीक लगे, और आप इसे जब चाहें बदल सकते हैं।",
}


SAMPLE_FORMAT = "mp3"
SAMPLE_VERSION = 1  # raised when the sample's recipe changes, so a kept sample is made again


def sentence(language: str | None) -> str:
    return SENTENCES.get((language or "en").split("-")[0], SENTENCES["en"])


def preview(voice: str, out: Path, settings: Settings, language: str | None = None) -> Delivery:
    """Render the preview of `voice` (any engine's, or a Kokoro blend) to `out`; `language`: the
    voice's, when known (the sentence and the script's language follow it)."""
    settings = settings.but(voice=voice)
    tag = (language or "en").lower()
    text = (
        f"---\nid: voice-preview\ntitle: Voice preview ({voice})\ncategory: preview\nsummary: A voice's preview.\n"
        f"duration: 15s\nlanguage: {tag}\n---\n{sentence(tag)}\n"
    )
    with tempfile.TemporaryDirectory(prefix="sessiongen-preview-") as folder:
        script_path = Path(folder) / "voice-preview.md"
        script_path.write_text(text, encoding="utf-8")
        parsed = pipeline.load(str(script_path))
        with pipeline.cache_root(True) as root:
            prepared = pipeline.prepare(parsed, {}, settings, root)
            return pipeline.deliver(prepared, {}, settings, Path(out), Packaging(sidecars=()))


def voice_language(voice: str, engine: str | None = None) -> str | None:
    """The language of a listed voice (of a blend: its first voice's), None when it is not listed."""
    first = voice.split(":")[0].split(",")[0]
    return next((v.language for v in speech.list_voices(engine) if v.id == first), None)


def sample_path(voice: str, folder: Path, settings: Settings) -> Path:
    """Where the sample of `voice` is kept in `folder`: named by everything that changes it (the
    engine, the voice's own identity, the sentence, the rate), so the same voice and sentence is
    one file. An unknown or uninstalled voice is the engine's one-line SessiongenError."""
    return Path(folder) / _sample_plan(voice, settings)[3]


def _sample_plan(voice: str, settings: Settings) -> tuple[str, str, str | None, str]:
    """(the engine, the voice's canonical id, its language, the sample's file name)."""
    engine_name, _ = speech.choose_engine(settings.engine, voice)
    engine = speech.get_engine(engine_name)
    voice_id = engine.resolve_voice(voice, None)
    language = voice_language(voice_id, engine_name)
    recipe = "|".join([str(SAMPLE_VERSION), speech.fingerprint(engine, voice_id), voice_id, sentence(language), str(settings.rate_wpm)])
    return engine_name, voice_id, language, f"{hashlib.sha256(recipe.encode('utf-8')).hexdigest()[:32]}.{SAMPLE_FORMAT}"


def cached_sample(voice: str, folder: Path, settings: Settings) -> Path:
    """The sample of `voice` from `folder`, rendered there the first time only (atomically: a
    stopped render leaves no sample behind)."""
    engine_name, voice_id, language, name = _sample_plan(voice, settings)
    path = Path(folder) / name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        preview(voice_id, path, settings.but(engine=engine_name), language)
    return path
