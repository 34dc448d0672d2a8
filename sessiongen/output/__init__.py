"""Stage 6: files written: formats and encoders, tags, cover, sidecars, manifest, atomic writes."""
