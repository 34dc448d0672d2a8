"""Stage 4: the timeline rendered window by window into a mix, and its loudness predicted."""
