"""Replay files (.bp): reading them as lines, expanding :load, and running them.

A replay file holds the lines a user would type: statements and ``:commands``, one per
line; blank lines and ``#`` comment lines are skipped. The API the TUI and headless mode
share:

- ``iter_lines(path)`` yields ``ScriptLine(file, line, text, ...)`` in run order with every
  ``:load`` expanded in place (iteratively, with an explicit stack: no recursion, include
  cycles detected). ``path`` ``-`` streams stdin line by line, so a pipe is a REPL.
  Problems with the top file (missing, a directory, binary, NUL bytes, invalid UTF-8, empty)
  raise ``ReplayError`` before anything runs; a ``:load`` that cannot be read becomes a
  ``ScriptLine`` with ``error`` set, which runs as an error event at that line (so
  ``:expect error`` can assert on it).
- ``run_line(session, script_line)`` runs one of them and returns its events.
- ``Tally`` keeps the count of expectations and of errors no ``:expect error`` accounted for.
- ``narration_lines(lines)`` is the slide index (where each ``:say`` is), ``reading_time``
  the pacing rule, ``failure_text`` how a failed line is reported (headless and the TUI).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, NoReturn

from . import confine, files
from .events import Error, Event, Expect, Load
from .textutil import unquote

if TYPE_CHECKING:
    from .session import Session

MAX_DEPTH = 32  # nested :load levels
# The total a run may load, whatever the nesting: files l0…l29 each loading the next twice
# would run 2^30 lines (hours) within the depth limit. A million lines is what one file at
# the size limit holds; ten thousand loads is far beyond any tutorial's includes.
MAX_LOADS = 10_000
MAX_LOAD_LINES = 1_000_000
STDIN = "<stdin>"
RECORDING_HEADER = "# recorded by backprop-tui"  # a recording's first line (commands/record.py)
_LOAD = re.compile(r":\s*load(?:\s+(.*))?$")
_SAY = re.compile(r":\s*say(?:\s|$)")
# Reading narration aloud in class, or silently on a projector: 180 words a minute (slower
# than reading alone, ~250), at least READ_MIN seconds, at most READ_MAX (space pauses).
WORDS_PER_MINUTE = 180
READ_MIN = 1.5
READ_MAX = 30.0


class ReplayError(Exception):
    """A replay file cannot be run: str() is 'FILE: reason'."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file, self.reason = file, reason


@dataclass(frozen=True)
class ScriptLine:
    file: str  # as shown to the user: the path given, or joined to the includer's folder
    line: int  # 1-based line number in that file
    text: str
    depth: int = 0  # :load nesting: 0 for the file given
    error: str | None = None  # this line cannot run (a :load that failed): run as an error
    load: str | None = None  # a :load marker: the lines of this file follow


def relative_to(path: str, including: str) -> str:
    """`path` as written in `including` (a file, or <stdin>/<input>: the working folder)."""
    if os.path.isabs(path) or including.startswith("<") or not including:
        return path
    return os.path.normpath(os.path.join(os.path.dirname(including), path))


def decode(data: bytes, name: str) -> str:
    """Bytes → text, or a ReplayError that says what is wrong with them."""
    nul = data.find(b"\0")
    if nul >= 0:
        return _fail(name, f"this is a binary file, not a replay file (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        _fail(name, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); "
                    "replay files are UTF-8 text")
    return text.removeprefix("\ufeff")


def _fail(name: str, reason: str) -> NoReturn:
    raise ReplayError(name, reason)


def read_text(name: str) -> str:
    """A replay file's text, or a ReplayError: missing, not a regular file (a directory, a
    named pipe, a device), over files.MAX_FILE_BYTES, unreadable, binary, not UTF-8."""
    try:
        data = files.read_bytes(name)
    except files.FileError as exc:
        _fail(name, exc.reason)
    return decode(data, name)


def _runnable(text: str) -> bool:
    s = text.strip()
    return bool(s) and not s.startswith("#")


def _file_lines(text: str) -> Iterator[tuple[int, str]]:
    # split on \n only: str.splitlines also breaks at \x0c, \u2028…, and line numbers would
    # then disagree with the user's editor.
    for n, line in enumerate(text.split("\n"), 1):
        yield n, line.removesuffix("\r")


def _stdin_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Stdin one line at a time as it arrives; a bad line is an error line, not the end. A
    line over files.MAX_LINE_BYTES (or a read error) is an error line that ends the input:
    what follows cannot be told apart from the rest of that line."""
    n = 0
    lines = files.stream_lines(stream, files.MAX_LINE_BYTES)
    while True:
        try:
            raw = next(lines, None)
        except files.LineTooLong as exc:
            yield n + 1, f"\0{exc.reason}; stopped reading stdin"
            return
        except OSError as exc:
            yield n + 1, f"\0cannot read stdin: {exc.strerror or exc}"
            return
        if raw is None:
            return
        n += 1
        try:
            yield n, decode(raw, STDIN).rstrip("\r\n")
        except ReplayError as exc:
            yield n, "\0" + exc.reason  # marked: _expand turns it into an error line


def iter_lines(path: str, stdin: BinaryIO | None = None,
               loaded: bool = False, confined: bool = False) -> Iterator[ScriptLine]:
    """The runnable lines of a replay file in order, :load expanded (see the module doc).

    Raises ReplayError at once when the file itself cannot be used; for ``-`` (stdin,
    read as it arrives) an empty input raises when the iterator reaches its end.
    loaded=True: the file is itself a :load (the interactive command), so its lines count
    toward the run's :load budget (MAX_LOADS, MAX_LOAD_LINES) as its includes' do.
    confined: the file was named in a served session (a typed :load), so its own :load
    lines go through confine.resolve too.
    """
    if path == "-":
        stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
        if stream is None:  # `exec 0<&-`: Python sets sys.stdin to None
            _fail(STDIN, "stdin is closed: nothing to read (give a FILE, or -e PROGRAM)")
        return _expand(STDIN, _stdin_lines(stream), require_lines=True)
    text = read_text(path)
    # A recording in which nothing was run is empty, not a mistake: it replays to nothing.
    if not text.startswith(RECORDING_HEADER) and not any(_runnable(t) for _, t in _file_lines(text)):
        _fail(path, "the file is empty: nothing to run" if not text.strip() else
              "nothing to run: the file holds only comments")
    budget = _Budget()
    if loaded:
        budget.spend(path, text)
    return _expand(path, _file_lines(text), budget=budget, confined=confined)


def iter_text(text: str, name: str = "<-e>") -> Iterator[ScriptLine]:
    """Lines from a string (backprop-tui -e 'PROGRAM'), :load relative to the working folder."""
    return _expand(name, _file_lines(text))


@dataclass
class _Budget:
    """What one run has loaded so far: :load expansions and the lines they read."""

    loads: int = 0
    lines: int = 0

    def spend(self, target: str, body: str) -> None:
        lines = body.count("\n") + 1
        if self.loads + 1 > MAX_LOADS:
            raise ReplayError(target, f"this run has already loaded {MAX_LOADS:,} files (the "
                                      "limit of :load for one run)")
        if self.lines + lines > MAX_LOAD_LINES:
            raise ReplayError(target, f"it would bring the lines loaded in this run to "
                                      f"{self.lines + lines:,}; the limit is {MAX_LOAD_LINES:,}")
        self.loads += 1
        self.lines += lines


@dataclass
class _Frame:
    name: str
    real: str
    lines: Iterator[tuple[int, str]]


def _expand(name: str, lines: Iterator[tuple[int, str]], require_lines: bool = False,
            budget: _Budget | None = None, confined: bool = False) -> Iterator[ScriptLine]:
    budget = budget or _Budget()
    stack = [_Frame(name, os.path.realpath(name) if not name.startswith("<") else name, lines)]
    yielded = False
    while stack:
        top = stack[-1]
        item = next(top.lines, None)
        if item is None:
            stack.pop()
            continue
        n, text = item
        depth = len(stack) - 1
        if text.startswith("\0"):  # an undecodable stdin line
            yield ScriptLine(top.name, n, "", depth, error=text[1:])
            yielded = True
            continue
        s = text.strip()
        if not s or s[0] == "#":  # not runnable (_runnable), without a second strip
            continue
        yielded = True
        m = _LOAD.match(s) if s[0] == ":" else None  # a statement line skips the regex
        if m is None:
            yield ScriptLine(top.name, n, text, depth)
            continue
        arg = unquote(m.group(1) or "")
        if not arg:
            yield ScriptLine(top.name, n, text, depth, error="usage: :load FILE")
            continue
        try:
            target = confine.resolve(arg, top.name) if confined else relative_to(arg, top.name)
        except confine.PathRefused as exc:
            yield ScriptLine(top.name, n, text, depth, error=f"cannot load {arg}: {exc}")
            continue
        real = os.path.realpath(target)
        try:
            chain = [f.real for f in stack]
            if real in chain:
                names = [f.name for f in stack[chain.index(real):]] + [target]
                raise ReplayError(target, "include cycle: " + " → ".join(names))
            if len(stack) > MAX_DEPTH:
                raise ReplayError(target, f":load is nested more than {MAX_DEPTH} deep")
            body = read_text(target)
            budget.spend(target, body)
        except ReplayError as exc:
            yield ScriptLine(top.name, n, text, depth, error=f"cannot load {arg}: {exc.reason}")
            continue
        yield ScriptLine(top.name, n, text, depth, load=target)
        stack.append(_Frame(target, real, _file_lines(body)))
    if require_lines and not yielded:
        _fail(name, "empty input: nothing to run")


def run_line(session: Session, sl: ScriptLine) -> list[Event]:
    """Run one ScriptLine in the session and return its events (never raises)."""
    if sl.error is None and sl.load is None:
        return session.run_line(sl.text, line=sl.line, file=sl.file)
    session.file, session.line = sl.file, sl.line
    ev: Event
    if sl.error is not None:
        err = Error(sl.error, file=sl.file, at_line=sl.line, col=1, line=sl.line)
        session.last_error = err  # so that ':expect error' can account for it
        ev = err
    else:
        ev = Load(sl.load or "", sl.depth + 1, line=sl.line)
        session.last_error = None
    events: list[Event] = [ev]
    if sl.error is not None:  # the recorder records it (as a comment: it ran nothing)
        session.publish(sl.text, events)
    return events


@dataclass
class Tally:
    """Expectations passed and failed, and errors no ``:expect error`` accounted for.

    An error is expected when the line right after it is ``:expect error`` (the verdict of
    that expectation is counted as usual); otherwise it becomes unexpected once the next
    line that is not an :expect runs, or at the end.
    """

    passed: int = 0
    failures: list[Expect] = field(default_factory=list)
    unexpected: list[Error] = field(default_factory=list)
    _pending: list[Error] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def feed(self, sl: ScriptLine, events: list[Event]) -> list[Error]:
        """Count one line's events; returns errors that have just become unexpected."""
        newly: list[Error] = []
        is_expect = sl.error is None and sl.text.strip().startswith(":expect")
        if not is_expect and self._pending:  # (most lines: nothing pending to settle)
            newly = self._settle()
        for ev in events:
            if isinstance(ev, Expect):
                if ev.what == "error":
                    self._pending.clear()
                if ev.passed:
                    self.passed += 1
                else:
                    self.failures.append(ev)
            elif isinstance(ev, Error):
                if is_expect:  # a malformed :expect is itself an error
                    self.unexpected.append(ev)
                    newly.append(ev)
                else:
                    self._pending.append(ev)
        return newly

    def finish(self) -> list[Error]:
        return self._settle()

    def _settle(self) -> list[Error]:
        newly, self._pending = self._pending, []
        self.unexpected.extend(newly)
        return newly

    def mark(self) -> tuple[int, int, int]:
        """Where the counts are (between lines: nothing pending), for rewind()."""
        return self.passed, len(self.failures), len(self.unexpected)

    def rewind(self, mark: tuple[int, int, int]) -> None:
        """Back to the counts of an earlier mark() (slides going back)."""
        self.passed = mark[0]
        del self.failures[mark[1]:]
        del self.unexpected[mark[2]:]
        self._pending.clear()


def is_narration(sl: ScriptLine) -> bool:
    """Whether the line is a :say (a slide, in slide-style playback)."""
    return sl.error is None and sl.load is None and _SAY.match(sl.text.strip()) is not None


def narration_lines(lines: list[ScriptLine]) -> list[int]:
    """The slide index: the position in `lines` of each :say, in order."""
    return [k for k, sl in enumerate(lines) if is_narration(sl)]


def reading_time(message: str) -> float:
    """Seconds to read a narration: its words at WORDS_PER_MINUTE, within [READ_MIN, READ_MAX]."""
    words = len(message.split())
    return min(READ_MAX, max(READ_MIN, words * 60.0 / WORDS_PER_MINUTE))


def failure_text(ev: Expect | Error) -> str:
    """A failed :expect or an unexpected error as headless mode reports it: file:line first,
    then what was expected and what was found (or the error)."""
    if isinstance(ev, Expect):
        where = f"{ev.file}:{ev.at_line}: " if ev.file else ""
        return f"✗ {where}expected {ev.claim}, got {ev.got}"
    where = f"{ev.file}:{ev.at_line}:{ev.col}: " if ev.file else ""
    return f"{where}error: {ev.message}"
