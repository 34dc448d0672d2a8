"""A clinician's recorded voice: the recording sheet, importing takes, clean-up, and the
recording as the speech stage's clip source (docs/voice-packs.md)."""
