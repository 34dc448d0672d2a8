"""The reference table of every option, made from the specification: docs/cli.md carries it
(tests/test_options.py checks it is current). `python -m sessiongen.cli.reference` prints it;
`python -m sessiongen.cli.reference docs/cli.md` puts it into the page."""

from __future__ import annotations

import sys
from pathlib import Path

from sessiongen import options
from sessiongen.cli.options import default_text
from sessiongen.options.kinds import Flag, Text

FRONT_WORDS = {options.CLI: "command line", options.PROFILE: "profile, roster", options.STUDIO: "studio"}


def _takes(option: options.Option) -> str:
    if isinstance(option.kind, Flag):
        return "yes or no" + (f" (`{option.cli_flag}`)" if "/" in option.cli_flag else "")
    return "text" if isinstance(option.kind, Text) else option.kind.describe()


def reference_table() -> str:
    rows = ["| option | command line | takes | default | where | manifest |", "| --- | --- | --- | --- | --- | --- |"]
    for o in options.OPTIONS:
        where = ", ".join(FRONT_WORDS[f] for f in (options.CLI, options.PROFILE, options.STUDIO) if f in o.fronts)
        flag = f"`{o.cli_flag.split('/')[0]}`" if options.CLI in o.fronts else "—"
        cells = [f"`{o.name}`", flag, _takes(o).replace("|", "\\|"), default_text(o) or "—", where, "yes" if o.manifest else "no"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


START, END = "<!-- options table: generated -->\n", "<!-- end of the options table -->"


def updated(text: str) -> str:
    """A page with its generated table replaced by the current one."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return head + START + reference_table() + END + tail


if __name__ == "__main__":  # python -m sessiongen.cli.reference [docs/cli.md]: print the table, or update the page
    if len(sys.argv) > 1:
        page = Path(sys.argv[1])
        page.write_text(updated(page.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(reference_table(), end="")
