"""Ambience beds: procedural loops and users' recordings."""
