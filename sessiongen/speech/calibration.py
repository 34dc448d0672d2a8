"""Kokoro's pace calibration: the sentences each voice is timed on, and the paces recorded for
the 54 voices of kokoro-js 1.2.1 (benchmarks/kokoro_calibrate.py measures them with the real
model; tests/test_kokoro.py checks one against a fresh measurement). A recorded pace spares a
first render the ~20 s of synthesis a measurement costs; a voice without one is measured once.
Pure data and arithmetic: nothing here loads the model.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

# Words as long as the library's on average, calm and invitational, in each language.
SENTENCES = {
    "en": (
        "Notice the places where your body is supported by the chair or the floor beneath you.",
        "If it feels comfortable, you might let your breathing find its own gentle rhythm, and you can open your eyes whenever you choose.",
        "Take a moment to notice whatever you can see around you, perhaps the colours and shapes of familiar things.",
        "Whenever you are ready, you might gently return your attention to the sensations of your hands and feet.",
    ),
    "es": (
        "Observa los lugares donde tu cuerpo se apoya en la silla o en el suelo.",
        "Si te resulta cómodo, puedes dejar que tu respiración encuentre su propio ritmo, y puedes abrir los ojos cuando quieras.",
        "Tómate un momento para notar lo que puedes ver a tu alrededor, quizás los colores y las formas de las cosas conocidas.",
        "Cuando estés preparada o preparado, puedes volver con suavidad a las sensaciones de tus manos y tus pies.",
    ),
    "fr": (
        "Remarquez les endroits où votre corps est soutenu par la chaise ou par le sol.",
        "Si cela vous convient, vous pouvez laisser votre respiration trouver son propre rythme, et vous pouvez ouvrir les yeux quand vous le souhaitez.",
        "Prenez un moment pour remarquer ce que vous voyez autour de vous, peut-être les couleurs et les formes des choses familières.",
        "Quand vous êtes prêt, vous pouvez revenir doucement aux sensations de vos mains et de vos pieds.",
    ),
    "it": (
        "Nota i punti in cui il tuo corpo è sostenuto dalla sedia o dal pavimento.",
        "Se ti sembra comodo, puoi lasciare che il respiro trovi il suo ritmo, e puoi aprire gli occhi quando vuoi.",
        "Prenditi un momento per notare ciò che vedi intorno a te, forse i colori e le forme delle cose familiari.",
        "Quando sei pronto, puoi riportare con dolcezza l'attenzione alle sensazioni delle mani e dei piedi.",
    ),
    "pt": (
        "Perceba os lugares onde o seu corpo está apoiado pela cadeira ou pelo chão.",
        "Se for confortável, você pode deixar a sua respiração encontrar o próprio ritmo, e pode abrir os olhos quando quiser.",
        "Reserve um momento para perceber o que você vê ao seu redor, talvez as cores e as formas das coisas conhecidas.",
        "Quando estiver pronto, você pode voltar com calma às sensações das suas mãos e dos seus pés.",
    ),
    "hi": (
        "ध्यान दीजिए कि आपका शरीर कुर्सी या ज़मीन पर कहाँ टिका हुआ है।",
        "अगर आपको ठीक लगे, तो अपनी साँस को अपनी लय पाने दीजिए, और आप जब चाहें अपनी आँखें खोल सकते हैं।",
        "एक पल लीजिए और देखिए कि आपके आसपास क्या है, शायद जानी पहचानी चीज़ों के रंग और आकार।",
        "जब आप तैयार हों, तो धीरे से अपना ध्यान अपने हाथों और पैरों पर वापस ला सकते हैं।",
    ),
}


def sentences(language: str) -> tuple[str, ...]:
    """The calibration sentences for a language tag (en-us -> en), English where none are written."""
    return SENTENCES.get(language.split("-")[0], SENTENCES["en"])


@cache
def _recorded() -> dict[str, float]:
    path = Path(__file__).parent / "data" / "kokoro-pace.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in found.get("words_per_minute_at_speed_1", {}).items() if isinstance(v, (int, float)) and v > 0}


def recorded_pace(voice_id: str) -> float | None:
    """Words a minute at speed 1 for a voice, or a blend of recorded voices (its seconds per word
    are the weighted mean of theirs); None when a voice of it has no recorded pace."""
    recorded = _recorded()
    seconds_per_word = 0.0
    items = [item.partition(":") for item in voice_id.split(",")]
    total = sum(float(weight or 1.0) for _, _, weight in items)
    for name, _, weight in items:
        if name not in recorded:
            return None
        seconds_per_word += float(weight or 1.0) / total * 60.0 / recorded[name]
    return 60.0 / seconds_per_word
