"""The review page and timeline image a clinician checks before sending."""
