"""Recording: :record FILE appends every line the session runs to a replay file.

The promise: replaying a recording headless exits 0 and reaches the same state. So a
Recorder (a session listener) writes each line as the replay reader will read it back:

- lines are split only at "\\n", as the reader splits them (a form feed or U+2028 in a
  comment stays in its line); a command's other line breaks become spaces, as the session
  reads them;
- after a line that failed it writes a matching ``:expect error`` (the message without its
  line:column); a failed ``:expect`` (malformed) or a ``:load`` that loaded nothing is
  written as a comment, with the ``:expect error`` lines that followed it;
- a ``:load`` is written as the lines it ran (inlined), so a recording never depends on a
  file that may change or be the recording itself (``:record F`` then ``:load F`` would
  be an include cycle);
- a recording started mid-session begins with a preamble that rebuilds the state (the
  program's statements, then the inputs changed by :set addressed by node id when their name
  was rebound, the output, breakpoints, the last check and the stepping position), with an
  ``:expect error`` after each preamble line that fails when replayed.

Each line goes to the OS in one write as soon as it ran (a killed session loses nothing).
A write that fails (a full disk) truncates the file back to the last whole line, stops the
recording with a warning and leaves the session running.
"""

from __future__ import annotations

import datetime
import os
import re
import shlex
from pathlib import Path

from .. import confine, files, replay
from ..events import Echo, Error, Event, Exported, Info, Load, Statement, Warn
from ..ops import INPUT
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import unquote

_LOAD = re.compile(r":\s*load\s+(.+)$")
_OMITTED = "# not replayed (it failed): "


_EXPORT = re.compile(r":\s*export\s+(dot|trace|html)\s+(\S+|'[^']*'|\"[^\"]*\")(\s+state)?\s*$")


def _is_record(stripped: str) -> bool:
    return re.match(r":\s*record(\s|$)", stripped) is not None


def location_free(message: str) -> str:
    """The longest piece of an error message without a line:column or a line break in it:
    line numbers of a replay differ from the interactive session's, the rest does not. It
    is also cut at ': ', since a line typed in a session names no position at all
    ("cannot evaluate log(x): …") where the same line in a file does ("… at 3:1-6: …")."""
    pieces = re.split(r"\s*\bat \d+:\d+(?:-\d+(?::\d+)?)?:?\s*|[\r\n]+|:\s+", message)
    return max(pieces, key=len).strip()


def _unreadable(ch: str) -> bool:
    """A character the replay reader refuses (NUL: a binary file) or cannot encode (a lone
    surrogate from undecodable input)."""
    return ch == "\0" or "\ud800" <= ch <= "\udfff"


def _escaped(text: str) -> str:
    return "".join(repr(c)[1:-1] if _unreadable(c) else c for c in text)


def _readable(stripped: str) -> str | None:
    """The line as the replay file can hold it, or None when it cannot. A statement whose
    unreadable characters are all in its comment keeps its code (the comment changes
    nothing); otherwise such a line is written as a comment."""
    if not any(_unreadable(c) for c in stripped):
        return stripped
    code, hash_, _ = stripped.partition("#")
    if hash_ and not stripped.startswith(":") and not any(_unreadable(c) for c in code):
        return code.rstrip()
    return None


def _as_lines(stripped: str) -> list[str]:
    """A line as the replay reader will read it back: split at \\n only (the reader's rule);
    a :command's line breaks are spaces to the session, so it stays one line."""
    if stripped.startswith(":"):
        return [" ".join(stripped.split("\n"))]
    return [piece.removesuffix("\r") for piece in stripped.split("\n")]


class _Lines:
    """The lines one session line turns into, with the rule for failed lines. `omitting`
    carries over: the :expect lines after a line written as a comment were about it."""

    def __init__(self, omitting: bool = False) -> None:
        self.out: list[str] = []
        self.omitting = omitting

    def add(self, stripped: str, events: list[Event]) -> None:
        if not stripped or _is_record(stripped):
            return
        errors = [e for e in events if isinstance(e, Error)]
        pieces = [_readable(p) for p in _as_lines(stripped)]
        if any(p is None for p in pieces):
            self.omitting = False
            self._omit(stripped, errors, "it holds a NUL byte or undecodable text")
            return
        lines = [p for p in pieces if p]
        if stripped.startswith(":expect"):
            if self.omitting and re.match(r":expect\s+error\b", stripped):
                self.out.append(_escaped(_OMITTED + " ".join(stripped.split())))
            elif errors:  # a malformed :expect: its error cannot be accounted for
                self._omit(stripped, errors, "it failed")
            else:
                self.out += lines
            return
        self.omitting = False
        if errors and (_LOAD.match(stripped) or (
                "\n" in stripped and not any(isinstance(e, Statement) for e in events))):
            # A :load that failed ran nothing; nor did a statement of several lines that
            # failed to parse (atomic), whose lines would replay one by one.
            self._omit(stripped, errors, "it failed")
            return
        self.out += lines
        if errors:
            self.out.append(_expect_error(errors[-1].message))

    def _omit(self, stripped: str, errors: list[Error], why: str) -> None:
        why_text = f" — {location_free(errors[-1].message)}" if errors else ""
        self.out.append(_escaped(f"# not replayed ({why}): {' '.join(stripped.split())}"
                                 f"{why_text}"))
        self.omitting = True

    def add_load(self, stripped: str, events: list[Event]) -> None:
        """An interactive :load: the lines it ran, from its Echo events, each with its own
        events (a nested :load's Echo is followed by a Load event, then its file's lines)."""
        echoes = [k for k, ev in enumerate(events) if isinstance(ev, Echo)]
        if not echoes:  # nothing ran: the :load failed, or its file holds no lines
            if any(isinstance(e, Error) for e in events):
                self.add(stripped, events)
            else:
                self.out.append(_escaped(f"# {' '.join(stripped.split())} (it ran no lines)"))
            return
        self.out.append(f"# {' '.join(stripped.split())} (its lines, inlined)")
        bounds = [*echoes, len(events)]
        for k, start in enumerate(echoes):
            echo = events[start]
            assert isinstance(echo, Echo)
            own = events[start + 1:bounds[k + 1]]
            if not any(isinstance(ev, Load) for ev in own):
                self.add(echo.source, own)


class Recorder:
    """Appends the lines a session runs to a replay file, one write per line run."""

    def __init__(self, session: Session, path: str | os.PathLike[str]) -> None:
        self.session = session
        self.path = Path(path)
        self.fh = files.open_append(self.path)  # regular files only; FileError otherwise
        self.good = os.fstat(self.fh.fileno()).st_size  # the file's end after a whole line
        self.omitting = False  # see _Lines

    @property
    def recording(self) -> bool:
        return not self.fh.closed

    def write_lines(self, lines: list[str]) -> None:
        """Write whole lines in one go; raises OSError after cutting the file back to the
        last whole line (a full disk must not leave half a line for the replay to trip on)."""
        if not lines or not self.recording:
            return
        data = "".join(line + "\n" for line in lines).encode("utf-8", "replace")
        view = memoryview(data)
        try:
            while view:
                n = os.write(self.fh.fileno(), view)
                view = view[n:]
        except OSError:
            try:
                os.ftruncate(self.fh.fileno(), self.good)
            except OSError:
                pass
            raise
        self.good += len(data)

    def write(self, line: str) -> None:
        self.write_lines([line])

    def __call__(self, text: str, events: list[Event]) -> list[Event]:
        """A session listener: called after each line the session runs from outside."""
        stripped = text.strip()
        lines = _Lines(self.omitting)
        m = _EXPORT.match(stripped)
        if m:  # an export's file, relative to the recording's folder (as replay reads it)
            path = self._relocated(unquote(m.group(2)))
            if path is not None:
                stripped = f":export {m.group(1)} {shlex.quote(path)}{m.group(3) or ''}"
        if _LOAD.match(stripped):
            lines.add_load(stripped, events)
        else:
            lines.add(stripped, events)
        self.omitting = lines.omitting
        try:
            self.write_lines(lines.out)
        except OSError as exc:
            stop_recording(self.session)
            return [Warn(f"recording to {self.path} stopped: {exc.strerror or exc}; the file "
                         "ends at the last whole line recorded, and the session carries on")]
        return []

    def _relocated(self, path: str) -> str | None:
        """`path` as the session read it, relative to the recording's folder (None: refused)."""
        try:
            target = os.path.abspath(confine.resolve(path, self.session.file))
        except confine.PathRefused:
            return None  # the line was refused: record it as typed (it failed, and says so)
        return os.path.relpath(target, self.path.parent.resolve())

    def close(self) -> None:
        self.fh.close()


def _check_line(s: Session) -> str | None:
    """The :check line that reproduces the session's last check, if one ran."""
    chk = s.last_check
    if chk is None or chk.cancelled:
        return None
    return s.last_check_line


def preamble(s: Session) -> list[str]:
    """Lines that rebuild the session's current state (see the module doc), before the
    :expect error lines that replaying them needs."""
    if s.output is None:  # no program: only operator breakpoints can have been set
        return [f":break op:{op}" for op in sorted(s.break_ops)]
    g = s.prog.graph
    lines: list[str] = []
    for chunk in g.source.chunks:
        lines += [p for p in map(_readable, _as_lines(chunk.text.strip())) if p]
    fresh = Session()
    for line in lines:  # the inputs as the statements alone leave them
        fresh.run_line(line)
    fg = fresh.prog.graph
    for i in g.inputs():  # every input, also one no longer named or used (the summary has it)
        name = g.names[i]
        if i < len(fg) and fg.op[i] == INPUT and repr(fg.value[i]) != repr(g.value[i]):
            # By id when the name now means a later input (x = 2; :set x = 3; x = 5).
            ref = name if s.prog.bindings.get(name) == i else f"#{i}"
            lines.append(f":set {ref} = {g.value[i]!r}")
    if s.output != s.prog.output:
        lines.append(f":output #{s.output}")
    lines += [f":break #{i}" for i in sorted(s.breaks)]
    lines += [f":break op:{op}" for op in sorted(s.break_ops)]
    lines += [f":break {'' if node is None else f'#{node} '}when {cond.text}"
              for node, cond in s.break_when]
    if s.watches:
        lines.append(":watch " + " ".join(f"#{i}" for i in s.watches))
    check = _check_line(s)
    if check is not None:
        lines.append(check)
    if s.pos:
        lines.append(f":step {s.pos}")
    return _with_expectations(lines)


def _expect_error(message: str) -> str:
    """The :expect error line for a message: its longest location-free piece that the file
    can hold (a message quoting a NUL byte is cut before it)."""
    piece = location_free(message)
    cut = next((k for k, c in enumerate(piece) if _unreadable(c)), len(piece))
    return f":expect error {piece[:cut].strip()}"


def _with_expectations(lines: list[str]) -> list[str]:
    """Replay the lines in a scratch session; after each that fails, its :expect error."""
    scratch = Session()
    out: list[str] = []
    for line in lines:
        events = scratch.run_line(line)
        out.append(line)
        errors = [e for e in events if isinstance(e, Error)]
        if errors:
            out.append(_expect_error(errors[-1].message))
    return out


def start_recording(s: Session, path: str | os.PathLike[str]) -> list[Event]:
    """Start appending the session's lines to `path` (what :record FILE and --record do).
    A session that already has a program starts the file with lines rebuilding it."""
    try:
        rec = Recorder(s, path)
    except files.FileError as exc:
        raise CommandError(f"cannot record to {path}: {exc.reason}") from None
    stop_recording(s)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = [f"{replay.RECORDING_HEADER}, {stamp}"]
    pre = preamble(s)
    if pre:
        head += ["# the state when recording began:", *pre]
    try:
        rec.write_lines(head)
    except OSError as exc:
        rec.close()
        raise CommandError(f"cannot record to {path}: {exc.strerror or exc}") from None
    s.listeners.append(rec)
    return [Info(f"recording to {confine.shown(str(path))}: every line is appended and flushed "
                 "(:record stop ends it)")]


def recorder_of(s: Session) -> Recorder | None:
    """The session's recorder, if it is recording."""
    return next((r for r in s.listeners if isinstance(r, Recorder)), None)


def stop_recording(s: Session) -> str | None:
    """Stop recording; returns the file recorded to, or None if there was none."""
    rec = recorder_of(s)
    if rec is None:
        return None
    s.listeners.remove(rec)
    rec.close()
    return str(rec.path)


@command("record", ":record FILE | :record stop", "Append every line you run to a replay file, "
         "flushed after each line; replaying it reaches the same state.",
         args=(Arg("file", choices=("stop",)),), cost="quick")
def _cmd_record(s: Session, args: list[str]) -> list[Event]:
    if not args:
        rec = recorder_of(s)
        where = f"recording to {confine.shown(str(rec.path))}" if rec else "not recording"
        return [Info(f"{where}; usage: :record FILE | :record stop")]
    if args == ["stop"]:
        path = stop_recording(s)
        if path is None:
            return [Info("not recording")]
        return [Exported(f"stopped recording to {confine.shown(path)}", path=path, format="bp")]
    try:
        target = confine.resolve(unquote(" ".join(args)), s.file)
    except confine.PathRefused as exc:
        raise CommandError(f"cannot record: {exc}") from None
    return start_recording(s, target)
