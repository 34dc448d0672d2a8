"""Every default in one place. Presets and profiles override these by field name."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Settings:
    # audio format of the mix
    sample_rate_hz: int = 44_100
    window_s: float = 10.0  # render window: memory is bounded by this, not by session length

    # narration
    engine: str | None = None  # None: the neural voice (piper), or pyttsx3 where it cannot be loaded
    voice: str | None = None  # None: the engine's default voice for the script's language
    language: str | None = None  # the library's language for technique ids (es, ...); None: English, the script's own
    rate_wpm: int = 105  # espeak-ng's nominal rate (it speaks ~1.26x that within a phrase; piper is paced to match); ~115 wpm with the gaps
    noise_scale: float = 0.5  # piper: variation of the voice's sound (its default 0.667; benchmarks/piper_settings.py)
    noise_w_scale: float = 0.3  # piper: variation of phoneme lengths (its default 0.8); lower keeps a slow pace steady
    pronunciations: tuple[tuple[str, str], ...] = ()  # (word, respelling or /phonemes/), on top of the script's
    volume: float = 1.0
    voice_pack: str | None = None  # a folder: the clinician's recorded voice speaks (sessiongen/voicepack/)
    allow_synthetic: bool = False  # with a voice pack: the synthetic voice may say the phrases it lacks
    sentence_gap_s: float = 1.2
    pause_scale: float = 1.0  # every pause and rest, longer (> 1) or shorter
    slow_ending: bool = False  # ease the rate and stretch the pauses over the final part
    paragraph_gap_s: float = 2.0
    voice_rms_db: float = -20.0  # every clip is levelled to this RMS (dBFS) before mixing

    # session frame
    lead_in_s: float = 2.0
    tail_s: float = 4.0
    bell_s: float = 5.0

    # bilateral tones
    bls: bool = True
    bls_rate_hz: float | None = None  # these three override every set and underlay of the script
    bls_timbre: str | None = None
    bls_depth_pct: float | None = None
    bls_set_level_db: float = -6.0  # sets, relative to the voice level
    bls_under_level_db: float = -14.0  # under narration, relative to the voice level

    mono: bool = False  # a speaker version: one channel, tones centred
    headphone_check: bool = True  # False: the script's headphone check (the headphone-note fragment) is left out

    # ambience bed
    ambience: str | None = None  # None: the script decides; "none": no bed; a name: forced
    bed_level_db: float = -18.0  # relative to the voice level
    duck_db: float = 6.0  # how far the bed dips under narration
    duck_attack_s: float = 0.3
    duck_hold_s: float = 2.5  # the bed stays down through gaps between phrases shorter than this
    duck_release_s: float = 1.0
    bed_fade_s: float = 3.0
    bed_vary: bool = False  # a user's file: play seeded random segments instead of one loop

    # mastering and output
    loudness_lufs: float | None = None  # None: -16 LUFS for stereo, -19 for mono (../shared/RESEARCH.md §6)
    loudness_mode: str = "voice"  # "voice": the narration lands on the target; "programme": the whole mix does
    peak_ceiling_db: float = -1.5  # sample peak before encoding; leaves room for MP3 overshoot
    fade_in_s: float = 0.05
    fade_out_s: float = 2.0
    mp3_bitrate_kbps: int = 192
    bit_depth: int = 16  # WAV and FLAC: 16 or 24
    seed: int = 0
    minutes: float | None = None  # target length; None: the script's nominal duration

    @property
    def target_lufs(self) -> float:
        if self.loudness_lufs is not None:
            return self.loudness_lufs
        return -19.0 if self.mono else -16.0

    @property
    def channels(self) -> int:
        return 1 if self.mono else 2

    def but(self, **changes) -> Settings:
        """A copy with the given fields changed; None values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


DEFAULTS = Settings()
