"""Script text -> `Script`. Every problem is collected with its file, line and column."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sessiongen.errors import Location, ScriptError, SessiongenError, display_path, suggest
from sessiongen.model.script import Bell, Bls, BlsOff, BlsOn, Breathe, Chapter, HeadphoneCheck, Node, Pause, Say, Script
from sessiongen.script import directives, frontmatter, imports, paces, personalise, speakable, templating
from sessiongen.script.library import find_fragment, fragment_names, in_library
from sessiongen.script.limits import MAX_INCLUDE_DEPTH, MAX_INCLUDES, MAX_SCRIPT_BYTES, MAX_STEPS, MAX_TITLE_CHARS
from sessiongen.script.sourcefile import decode_script, read_bounded
from sessiongen.sound import catalog

_TOKEN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\\\[|\[")
_HEADING = re.compile(r"(#+)(.*)")


def parse_file(path: Path | str) -> Script:
    """A script file. One in the technique library must give every front-matter key; a user's own
    script (any other file, `.md` or plain `.txt`) needs only what it says."""
    path = Path(path)
    library = in_library(path)
    data, lines, first_line, shown, notes = _read(path, library)
    problems: list[SessiongenError] = []
    try:
        meta, meta_problems = frontmatter.meta_of(data, shown, lines, catalog.BEDS, library=library)
    except SessiongenError as exc:  # pragma: no cover - meta_of collects its own problems
        raise ScriptError([exc]) from None
    problems += meta_problems
    builder = _Builder(path, shown, (str(path.resolve()),), problems, _Expansion(), meta.language)
    nodes, pace_problems = paces.resolve(builder.walk(lines[first_line - 1 :], first_line))
    problems += pace_problems
    variables = dict(meta.variables)
    for name, default in builder.fragment_variables.items():
        variables.setdefault(name, default)
    meta = replace(meta, variables=tuple(variables.items()), **_own_defaults(meta, nodes, path))
    problems += templating.check_nodes(nodes, set(variables), shown, lines, builder.fragment_lines)
    problems += _check_underlays(nodes)
    if not problems and not any(_takes_time(n) for n in nodes):
        problems.append(
            SessiongenError(
                "the script has nothing to play: write what the voice says, or add tone sets or pauses over a bed", Location(shown)
            )
        )
    if problems:
        raise ScriptError(problems)
    sources = (str(path.resolve()),) + tuple(sorted(builder.fragment_files))
    return Script(meta=meta, nodes=tuple(nodes), path=str(path), sources=sources, notes=notes)


def _own_defaults(meta, nodes, path: Path) -> dict:
    """For a script without them: its id from the file name, its title from its first heading."""
    found = {}
    if not meta.id:
        found["id"] = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "script"
    if not meta.title:
        found["title"] = next((n.title for n in nodes if isinstance(n, Chapter) and n.title), path.stem)
    return found


def check_file(path: Path | str) -> tuple[str, ...]:
    """Validate a script, or a fragment when it sits in a `fragments` folder; raises ScriptError.
    Returns the notes of a script converted from another dialect."""
    path = Path(path)
    if path.parent.name != "fragments":
        script = parse_file(path)
        personalise.rehearse(script.nodes, script.meta.defaults)
        return script.notes
    shown = display_path(path)
    problems: list[SessiongenError] = []
    builder = _Builder(path, shown, (), problems, _Expansion())
    try:
        nodes = builder.fragment(path)
    except _LimitReached as exc:
        raise ScriptError([*problems, exc]) from None
    nodes, pace_problems = paces.resolve(nodes)
    problems += pace_problems
    lines = builder.fragment_lines.get(shown, [])
    problems += templating.check_nodes(nodes, set(builder.fragment_variables), shown, lines, builder.fragment_lines)
    if problems:
        raise ScriptError(problems)
    personalise.rehearse(nodes, dict(builder.fragment_variables))
    return ()


def parse_text(text: str, path: str = "<script>") -> Script:
    """Parse script text that is not in a file (tests, tools); includes resolve from the library."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / (Path(path).name if path.endswith(".md") else "script.md")
        file.write_text(text, encoding="utf-8")
        script = parse_file(file)
    return replace(script, path=path)


def _read_text(path: Path, shown: str, what: str) -> str:
    """A script's or a fragment's text, bounded and checked before anything is expanded."""
    raw = read_bounded(path, MAX_SCRIPT_BYTES, shown=shown, what=what, advice="split it into fragments")
    return decode_script(raw, shown)


def _read(path: Path, library: bool) -> tuple[dict, list[str], int, str, tuple[str, ...]]:
    """(front matter, lines, first body line, the path as shown, notes). A script in another
    tool's dialect (SSML, bracket pauses) is converted first; its notes say what became what, and
    problems in the converted text name it 'FILE (as imported)' (`sessiongen import` shows it)."""
    shown = display_path(path)
    notes: tuple[str, ...] = ()
    try:
        text = _read_text(path, shown, "script")
        imported = None if library else imports.convert(text, path)
    except SessiongenError as exc:
        raise ScriptError([exc]) from None
    if imported is not None:
        text, notes, shown = imported.text, (f"{shown}: read as {imported.dialect}",) + imported.notes, f"{shown} (as imported)"
    if not text.strip():
        raise ScriptError([SessiongenError("empty script: it needs front matter and narration", Location(shown))])
    try:
        data, _, first_line = frontmatter.split(text, shown, required=library)
    except SessiongenError as exc:
        raise ScriptError([exc]) from None
    return data, text.split("\n"), first_line, shown, notes


class _LimitReached(SessiongenError):
    """An expansion limit: parsing stops there, with the problems found so far."""


class _Expansion:
    """What a script has expanded to so far, with every fragment it includes: counted as it grows,
    so a limit is reached before the memory it guards is spent."""

    def __init__(self):
        self.steps = 0
        self.includes = 0

    def add_steps(self, count: int, where: Location | None) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise _LimitReached(
                f"the script expands to more than the limit of {MAX_STEPS:,} steps (repeats and includes expanded): use fewer or smaller repeats",
                where,
            )

    def add_include(self, where: Location) -> None:
        self.includes += 1
        if self.includes > MAX_INCLUDES:
            raise _LimitReached(
                f"the script includes more than the limit of {MAX_INCLUDES} fragments (nested includes counted): include fewer fragments",
                where,
            )


class _Builder:
    """Walks body lines into nodes, expanding repeats and includes as it goes."""

    def __init__(
        self,
        path: Path,
        shown: str,
        stack: tuple[str, ...],
        problems: list[SessiongenError],
        expansion: _Expansion,
        language: str | None = None,
    ):
        self.path, self.shown, self.stack, self.problems = path, shown, stack, problems
        self.expansion, self.language = expansion, language  # the script's: its fragments come in it
        self.fragment_variables: dict[str, str] = {}
        self.fragment_lines: dict[str, list[str]] = {}  # shown path -> lines, for messages
        self.fragment_files: set[str] = set()  # resolved paths of every fragment read
        self.lines: list[str] = []
        self.frames: list[tuple[list[Node], int, Location | None]] = [([], 1, None)]
        self.text: list[str] = []  # one entry per source line: tokens of a line join without spaces
        self.text_line = 0
        self.text_where: Location | None = None

    # -- output ----------------------------------------------------------------------------
    def emit(self, node: Node) -> None:
        self.expansion.add_steps(1, node.where)
        self.frames[-1][0].append(node)

    def flush(self, paragraph_end: bool = False) -> None:
        text = " ".join(" ".join(self.text).split())
        if text:
            too_long = speakable.problem(text, self.text_where, template=True)
            if too_long is not None:
                self.problems.append(too_long)
            self.emit(Say(where=self.text_where, text=text, paragraph_end=paragraph_end))
        self.text, self.text_where = [], None

    def fail(self, message: str, line: int, col: int) -> None:
        self.problems.append(SessiongenError(message, Location(self.shown, line, col, self.lines[line - 1])))

    # -- walking ---------------------------------------------------------------------------
    def walk(self, lines: list[str], first_line: int) -> list[Node]:
        """The body's nodes; an expansion limit stops the walk, with every problem found so far."""
        try:
            return self.body(lines, first_line)
        except _LimitReached as exc:
            raise ScriptError([*self.problems, exc]) from None

    def body(self, lines: list[str], first_line: int) -> list[Node]:
        all_lines = [""] * (first_line - 1) + lines
        self.lines = all_lines
        cleaned = _strip_comments(all_lines, first_line, self)
        for number in range(first_line, len(all_lines) + 1):
            if cleaned[number - 1].strip() or not all_lines[number - 1].strip():
                self.line(cleaned[number - 1], number)  # a comment-only line does not end a paragraph
        self.flush(paragraph_end=True)
        while len(self.frames) > 1:
            _, _, where = self.frames.pop()
            self.problems.append(SessiongenError("[repeat] without [end]: add [end] after what should repeat", where))
        return self.frames[0][0]

    def line(self, text: str, number: int) -> None:
        stripped = text.strip()
        if not stripped:
            self.flush(paragraph_end=True)
            return
        heading = _HEADING.fullmatch(stripped)
        if heading:
            self.flush(paragraph_end=True)
            title = heading.group(2).strip()
            if len(heading.group(1)) == 1:
                if not title:
                    self.fail("empty chapter title: write '# Title'", number, 1)
                elif len(title) > MAX_TITLE_CHARS:
                    self.fail(
                        f"a chapter title of {len(title):,} characters is longer than the limit of {MAX_TITLE_CHARS}: shorten it", number, 1
                    )
                else:
                    self.emit(Chapter(where=Location(self.shown, number, 1, self.lines[number - 1]), title=title))
            return
        self.tokens(text, number)

    def tokens(self, text: str, number: int) -> None:
        pos = 0
        for match in _TOKEN.finditer(text):
            if match.start() < pos:
                continue
            token = match.group()
            if token != "[":
                self.add_text(text[pos : match.start()] + ("[" if token == "\\[" else token), number, pos + 1)
                pos = match.end()
                continue
            self.add_text(text[pos : match.start()], number, pos + 1)
            close = text.find("]", match.end())
            if close < 0:
                self.fail("directive is not closed: add ']' (or write \\[ for a literal bracket)", number, match.start() + 1)
                return
            self.directive(text[match.end() : close], number, match.start() + 1)
            pos = close + 1
        self.add_text(text[pos:], number, pos + 1)

    def add_text(self, text: str, number: int, col: int) -> None:
        if not text:
            return
        if self.text_where is None and text.strip():
            col += len(text) - len(text.lstrip())
            self.text_where = Location(self.shown, number, col, self.lines[number - 1])
        if self.text and self.text_line == number:
            self.text[-1] += text
        else:
            self.text.append(text)
            self.text_line = number

    def directive(self, body: str, number: int, col: int) -> None:
        where = Location(self.shown, number, col, self.lines[number - 1])
        try:
            result = directives.parse(body, where)
        except SessiongenError as exc:
            self.problems.append(exc)
            if body.split()[:1] == ["repeat"]:  # keep the block structure so its [end] still matches
                self.frames.append(([], 1, where))
            return
        self.flush()
        if isinstance(result, Node):
            self.emit(result)
        elif result.word == "repeat":
            self.frames.append(([], int(result.value), where))
        elif result.word == "pace":
            self.emit(paces.PaceMark(where=where, share=result.value))
        elif result.word == "end":
            if len(self.frames) == 1:
                self.problems.append(SessiongenError("[end] without [repeat]", where))
                return
            body_nodes, count, _ = self.frames.pop()
            self.expansion.add_steps(len(body_nodes) * (count - 1), where)  # before the copies are made
            for _ in range(count):
                self.frames[-1][0].extend(body_nodes)
        else:
            self.include(str(result.value), where)

    def include(self, name: str, where: Location) -> None:
        found = find_fragment(name, self.path.parent, self.language)
        if found is None:
            self.problems.append(
                SessiongenError(f"no fragment '{name}'{suggest(name, fragment_names(self.path.parent, self.language))}", where)
            )
            return
        key = str(found.resolve())
        if key in self.stack:
            chain = " -> ".join(Path(p).stem for p in self.stack[self.stack.index(key) :] + (key,))
            self.problems.append(SessiongenError(f"include cycle: {chain}", where))
            return
        if len(self.stack) > MAX_INCLUDE_DEPTH:
            self.problems.append(
                SessiongenError(
                    f"includes nested more than the limit of {MAX_INCLUDE_DEPTH} deep: include the fragment from fewer levels", where
                )
            )
            return
        self.expansion.add_include(where)
        self.frames[-1][0].extend(replace(node, fragment=name) for node in self.fragment(found))  # counted as the fragment grew

    def fragment(self, path: Path) -> list[Node]:
        shown = display_path(path)
        try:
            raw = _read_text(path, shown, "fragment")
        except SessiongenError as exc:
            self.problems.append(exc)
            return []
        try:
            data, body, first_line = frontmatter.split(raw, shown, required=False)
            lines = raw.split("\n")
            for key in data:
                if key != "variables":
                    raise SessiongenError(
                        f"a fragment's front matter may only declare variables, not '{key}'",
                        frontmatter.key_location(shown, lines, str(key)),
                    )
            variables = frontmatter.variables_of(data, shown, lines)
        except SessiongenError as exc:
            self.problems.append(exc)
            return []
        child = _Builder(path, shown, self.stack + (str(path.resolve()),), self.problems, self.expansion, self.language)
        nodes = child.body(body, first_line)
        for name, default in variables + tuple(child.fragment_variables.items()):
            self.fragment_variables.setdefault(name, default)
        self.fragment_lines.update(child.fragment_lines)
        self.fragment_lines[shown] = child.lines
        self.fragment_files |= child.fragment_files | {str(path.resolve())}
        return nodes


def _takes_time(node: Node) -> bool:
    """Whether a node sounds for a while: narration, a pause (the bed plays on), tones, a bell,
    breathing, the headphone check. A script of tone sets or a bed alone is fine (no narration)."""
    return isinstance(node, (Say, Pause, Bls, Bell, Breathe, HeadphoneCheck))


def _check_underlays(nodes: list[Node]) -> list[SessiongenError]:
    """[bls on] and [bls off] must pair up; a chapter heading ends tones that are on."""
    problems, on = [], False
    for node in nodes:
        if isinstance(node, Chapter):
            on = False
        elif isinstance(node, BlsOn):
            if on:
                problems.append(SessiongenError("[bls on] while tones are already on: add [bls off] before it", node.where))
            on = True
        elif isinstance(node, BlsOff):
            if not on:
                problems.append(SessiongenError("[bls off] without [bls on]", node.where))
            on = False
    return problems


def _strip_comments(lines: list[str], first_line: int, builder: _Builder) -> list[str]:
    """Blank out <!-- ... --> (possibly over several lines), keeping every position in place."""
    out = list(lines)
    open_at: tuple[int, int] | None = None
    for index in range(first_line - 1, len(lines)):
        line, pos, kept = lines[index], 0, []
        while pos < len(line):
            if open_at is None:
                start = line.find("<!--", pos)
                if start < 0:
                    kept.append(line[pos:])
                    break
                kept.append(line[pos:start] + " " * 4)
                open_at, pos = (index + 1, start + 1), start + 4
            else:
                end = line.find("-->", pos)
                if end < 0:
                    kept.append(" " * (len(line) - pos))
                    break
                kept.append(" " * (end + 3 - pos))
                open_at, pos = None, end + 3
        out[index] = "".join(kept)
    if open_at is not None:
        builder.fail("comment is not closed: add '-->'", *open_at)
    return out
