"""Plain, frozen data that crosses the pipeline's stages: the script, the timeline, the results."""
