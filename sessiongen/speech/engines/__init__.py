"""Speech engines, one module each."""
