"""Stage 1: script text to a personalised, paced Script (parse, directives, front matter, templating, composition, profiles)."""
