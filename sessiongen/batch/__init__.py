"""Many clients at once: rosters, validation, parallel rendering, reports."""
