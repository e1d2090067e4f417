"""Recording: :record FILE appends every line the session runs to a replay file.

A Recorder subscribes to the session's listeners and flushes each line at once, so a
killed session loses nothing. It leaves out its own :record lines (replaying them would
start another recording), and after a line that failed it writes a matching
``:expect error`` so that the recording replays headless with exit 0 to the same state.
"""

from __future__ import annotations

import datetime
import os
import re
import shlex
from pathlib import Path
from typing import TextIO

from .. import confine
from ..events import Error, Event, Exported, Info
from ..language import Program
from ..ops import INPUT
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import unquote


def _is_record(stripped: str) -> bool:
    return re.match(r":\s*record(\s|$)", stripped) is not None


def _location_free(message: str) -> str:
    """The longest piece of an error message without a line:column in it: line numbers of a
    replay differ from the interactive session's, the rest of the message does not."""
    pieces = re.split(r"\s*\bat \d+:\d+(?:-\d+(?::\d+)?)?:?\s*", message)
    return max(pieces, key=len).strip()


class Recorder:
    """Appends the lines a session runs to a replay file, flushed after every line."""

    def __init__(self, session: Session, path: str | os.PathLike[str]) -> None:
        self.session = session
        self.path = Path(path)
        # errors="replace": a line with a lone surrogate (undecodable input) must not make
        # Session.run_line raise (it did); it is recorded with "?" in its place.
        self.fh: TextIO | None = open(self.path, "a", encoding="utf-8", errors="replace")  # noqa: SIM115

    def write(self, line: str) -> None:
        if self.fh is None:
            return
        self.fh.write(line + "\n")
        # Flush at once: a SIGKILLed session keeps every line handed to the OS.
        self.fh.flush()

    def __call__(self, text: str, events: list[Event]) -> None:
        """A session listener: called after each line the session runs."""
        stripped = text.strip()
        if not stripped or _is_record(stripped):
            return
        m = re.match(r":\s*load\s+(.+)$", stripped)
        if m:  # rewrite the path so it resolves from the recording's folder
            path = self._relocated(unquote(m.group(1)))
            if path is not None:
                stripped = f":load {path}"
        m = re.match(r":\s*export\s+(dot|trace|html)\s+(\S+|'[^']*'|\"[^\"]*\")(\s+state)?\s*$",
                     stripped)
        if m:  # the same for an export's file
            path = self._relocated(unquote(m.group(2)))
            if path is not None:
                stripped = f":export {m.group(1)} {shlex.quote(path)}{m.group(3) or ''}"
        for piece in stripped.splitlines():
            self.write(piece)
        errors = [e for e in events if isinstance(e, Error)]
        if errors and not stripped.startswith(":expect"):
            self.write(f":expect error {_location_free(errors[-1].message)}")

    def _relocated(self, path: str) -> str | None:
        """`path` as the session read it, relative to the recording's folder (None: refused)."""
        try:
            target = os.path.abspath(confine.resolve(path, self.session.file))
        except confine.PathRefused:
            return None  # the line was refused: record it as typed (it failed, and says so)
        return os.path.relpath(target, self.path.parent.resolve())

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def preamble(s: Session) -> list[str]:
    """Lines that rebuild the session's current state: its program, inputs changed with
    :set, the output, breakpoints and the stepping position."""
    if s.output is None:
        return []
    g = s.prog.graph
    lines = [chunk.text for chunk in g.source.chunks]
    fresh = Program()
    for text in lines:
        fresh.run(text)
    for name, i in s.prog.inputs():
        if i < len(fresh.graph) and fresh.graph.op[i] == INPUT and fresh.graph.value[i] != g.value[i]:
            lines.append(f":set {name} = {g.value[i]!r}")
    if s.output != s.prog.output:
        lines.append(f":output #{s.output}")
    lines += [f":break #{i}" for i in sorted(s.breaks)]
    lines += [f":break op:{op}" for op in sorted(s.break_ops)]
    if s.pos:
        lines.append(f":step {s.pos}")
    return lines


def start_recording(s: Session, path: str | os.PathLike[str]) -> list[Event]:
    """Start appending the session's lines to `path` (what :record FILE and --record do).
    A session that already has a program starts the file with lines rebuilding it."""
    try:
        rec = Recorder(s, path)
    except OSError as exc:
        raise CommandError(f"cannot record to {path}: {exc.strerror or exc}") from None
    stop_recording(s)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rec.write(f"# recorded by backprop-tui, {stamp}")
    pre = preamble(s)
    if pre:
        rec.write("# the state when recording began:")
        for line in pre:
            for piece in line.splitlines():
                rec.write(piece)
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
