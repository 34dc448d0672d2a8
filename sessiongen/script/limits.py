"""Every limit on the work an input can ask for, in one place (docs/reliability.md lists them).

Each is checked before the work it bounds: a file's size before it is read, an expansion's size as
it grows, a template's arithmetic before it is done. Reaching one is a SessiongenError of one line
that names the limit ("... the limit of N ...") and says what to do.
"""

from __future__ import annotations

# -- files, checked before they are read (regular files only) ------------------------------------
MAX_SCRIPT_BYTES = 1_000_000  # a script, and each fragment it includes
MAX_YAML_BYTES = 1_000_000  # a profile or a session file
MAX_ROSTER_BYTES = 20_000_000  # a roster: 10,000 rows of up to 2 KB

# -- YAML (front matter, profiles, session files, rosters) ----------------------------------------
MAX_YAML_NODES = 1_000_000  # values of one YAML document, every alias (*name) counted as expanded
MAX_YAML_DEPTH = 50  # lists and mappings inside each other

# -- script expansion, counted as it grows ---------------------------------------------------------
MAX_REPEAT = 50  # [repeat N], and [breathe rounds=N]
MAX_STEPS = 20_000  # steps of a script with every repeat and include expanded
MAX_INCLUDE_DEPTH = 8  # includes inside includes
MAX_INCLUDES = 500  # fragments included by one script, nested ones counted too

# -- what the voice is asked to say ---------------------------------------------------------------
MAX_WORD_CHARS = 100  # one word (the longest in the library has 14 letters)
MAX_PHRASE_CHARS = 2_000  # one sentence, spoken as one clip
MAX_TITLE_CHARS = 200  # one chapter title
MAX_VALUE_CHARS = 500  # a variable's value, or its default
MAX_FIELD_CHARS = 200  # a text field of a profile or a roster row (name, safe place, ...)
MAX_CELL_CHARS = 1_000  # any one cell of a roster

# -- templates (script/sandbox.py) -----------------------------------------------------------------
MAX_TEMPLATE_OUTPUT_CHARS = 10_000  # what one template renders, and any text or list it builds
MAX_TEMPLATE_RANGE = 1_000  # items of one range(...)
MAX_TEMPLATE_NUMBER = 10**15  # the size of any number a template computes or passes on
MAX_TEMPLATE_STEPS = 100_000  # loop turns, calls and operations of all of a script's templates
MAX_TEMPLATE_BUILT_CHARS = 1_000_000  # text built by those operations, all templates together
MAX_TEMPLATE_SECONDS = 5.0  # rendering all of a script's templates

# -- rosters --------------------------------------------------------------------------------------
MAX_ROSTER_ROWS = 10_000


def shorten(text: str, chars: int = 40) -> str:
    """A long value as an error message quotes it."""
    text = str(text)
    return text if len(text) <= chars else text[: chars - 1] + "…"
