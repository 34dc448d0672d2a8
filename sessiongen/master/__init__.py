"""Stage 5: loudness measured and normalised, true peaks limited, fades."""
