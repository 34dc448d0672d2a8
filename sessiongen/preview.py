"""A voice's preview: a short calm sample in any voice (`sessiongen voices preview NAME`), spoken
from a sentence of our own in the voice's language, through the whole pipeline (levelled,
mastered, encoded), so it sounds as a session would."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sessiongen import pipeline
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
