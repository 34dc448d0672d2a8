"""Sound sources: bilateral tones, bells and breathing cues, ambience beds, user audio, K-weighting."""
