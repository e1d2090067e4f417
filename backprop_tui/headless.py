"""Headless mode: run replay files without a UI.

Three renderings of the same events: a readable transcript (each line, then what it did,
narration standing out, ending with the summary table; Rich colour on a terminal, plain
text when piped or with --no-color), ``--json`` (one JSON object per event, each file's run
ending with its Summary object), and ``--quiet`` (only failures, then ``N passed, N failed``).

Exit status: 2 when a file cannot be read or a line failed with an error that no
``:expect error`` accounts for; else 1 when an expectation failed; else 0; 130 after Ctrl+C.

A long ``:check`` shows its progress on stderr when stderr is a terminal; Ctrl+C during it
cancels the check cleanly (its rows so far are printed, then the summary) and ends the run
with 130; Ctrl+C anywhere else ends it at once with 130, what ran so far already printed.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .commands.export import FORMATS as EXPORT_KINDS
from .commands.export import export, kind_for
from .commands.record import start_recording, stop_recording
from .events import Error, Event, Expect, Pause, Phase, Say, Statement, Summary
from .graph import EvalError
from .labels import f_is, fmt_val
from .registry import CommandError
from .render_text import passes_line, statement_text
from .render_text import text as event_text
from .replay import ReplayError, ScriptLine, Tally, failure_text, iter_lines, iter_text, run_line
from .session import Session
from .textutil import EXIT_ERROR, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, clip_long, plural

_QUIET_ECHO = (":say", ":pause", ":expect")  # lines whose events speak for themselves

_STYLES = {
    "echo": "bold yellow", "say": "bold cyan", "error": "bold red", "pass": "green",
    "fail": "bold red", "warning": "yellow", "phase": "bold", "header": "bold magenta",
    "dim": "dim",
}


@dataclass
class Options:
    json: bool = False
    quiet: bool = False
    color: bool | None = None  # None: colour when stdout is a terminal and NO_COLOR is unset
    record: str | None = None
    exports: list[str] = field(default_factory=list)  # --export [KIND:]FILE, after the run


class _Out:
    """Writes plain or Rich-styled lines, flushed after each script line (pipes see
    each answer as soon as it exists: headless mode is also a REPL)."""

    def __init__(self, out: TextIO, color: bool) -> None:
        self.out = out
        self.console = None
        if color:
            from rich.console import Console

            # emoji=False: ':pause:'-like text in a line must not turn into an emoji.
            self.console = Console(file=out, force_terminal=True, highlight=False,
                                   soft_wrap=True, emoji=False)

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.console is not None and style:
            self.console.print(text, style=_STYLES[style], markup=False)
        elif self.console is not None:
            self.console.print(text, markup=False)
        else:
            self.out.write(text + "\n")

    def flush(self) -> None:
        self.out.flush()


def _indent(text: str, prefix: str = "  ") -> str:
    # Most answers are one line: no split and join for them.
    return prefix + text if "\n" not in text else "\n".join(prefix + t for t in text.split("\n"))


def _style(ev: Event) -> str | None:
    if isinstance(ev, Error):
        return "error"
    if isinstance(ev, Expect):
        return "pass" if ev.passed else "fail"
    if isinstance(ev, Phase):
        return "phase"
    if ev.kind == "warning":
        return "warning"
    return None


class _Interrupted(Exception):
    """Ctrl+C cancelled a check: the run stops after this file's summary."""


class CheckWatch:
    """The session's check hooks in headless mode: a progress bar on stderr when it is a
    terminal and the check runs for more than half a second, and Ctrl+C cancelling it."""

    DELAY = 0.5

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = _isatty(err)
        self.active = False  # a check's loop is running (it polls cancelled())
        self.requested = False  # Ctrl+C asked it to stop
        self._t0: float | None = None
        self._bar: Any = None

    def cancelled(self) -> bool:
        self.active = True
        return self.requested

    def progress(self, done: int, total: int) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        if self._bar is None and now - self._t0 > self.DELAY and done < total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn(":check"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), TextColumn("Ctrl+C cancels"),
                                 console=Console(file=self.err), transient=True)
            self._bar.start()
            self._bar.add_task("check", total=total)
        if self._bar is not None:
            self._bar.update(0, completed=done)

    def line_done(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar, self._t0, self.active = None, None, False

    def on_sigint(self, signum: int, frame: object) -> None:
        if self.active and not self.requested:
            self.requested = True  # the check stops before its next node
            return
        raise KeyboardInterrupt


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


@dataclass
class Runner:
    opts: Options
    out: TextIO
    err: TextIO
    tally: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        color = self.opts.color
        if color is None:
            color = self.out.isatty() and "NO_COLOR" not in os.environ
        self.w = _Out(self.out, bool(color) and not self.opts.json)
        self._narrating = False
        self.watch = CheckWatch(self.err)

    # -- one file --
    def run_file(self, name: str, lines: Iterator[ScriptLine]) -> Session:
        session = Session()
        session.check_progress = self.watch.progress
        session.check_cancelled = self.watch.cancelled
        if self.opts.record:
            start_recording(session, self.opts.record)
        interrupted = None
        try:
            if not (self.opts.json or self.opts.quiet):
                self.w.line(f"── {name} ──", "header")
            shown = name
            watch, tally, render, flush = self.watch, self.tally, self.render, self.w.flush
            for sl in lines:
                if sl.file != shown:
                    if not (self.opts.json or self.opts.quiet):
                        self.w.line(f"── {sl.file} ──", "header")
                    shown = sl.file
                try:
                    events = run_line(session, sl)
                finally:
                    watch.line_done()
                newly = tally.feed(sl, events)
                if newly:
                    self.report_unexpected(newly)
                render(sl, events)
                flush()
                if watch.requested:
                    interrupted = f"{sl.file}:{sl.line}"
                    break
            self.report_unexpected(self.tally.finish())
            self.finish_file(session)
        finally:
            stop_recording(session)
        self.w.flush()
        if interrupted is not None:
            raise _Interrupted(interrupted)
        return session

    def render(self, sl: ScriptLine, events: list[Event]) -> None:
        if self.opts.json:
            for ev in events:
                self.w.line(json.dumps(ev.to_dict(), ensure_ascii=False))
            return
        if self.opts.quiet:
            for ev in events:
                if isinstance(ev, Expect) and not ev.passed:
                    self.w.line(event_text(ev), "fail")
            return
        stripped = sl.text.strip()
        if (len(events) == 1 and type(events[0]) is Statement and self.w.console is None
                and not self._narrating and sl.error is None and stripped[:1] != ":"):
            # Most lines of a file: the line and its answer, plain, in one write.
            self.w.out.write(f"› {clip_long(stripped)}\n{_indent(statement_text(events[0]))}\n")
            return
        if sl.error is not None or not stripped.startswith(_QUIET_ECHO):
            self._end_narration()
            self.w.line(f"› {clip_long(stripped)}", "echo")
        for ev in events:
            if type(ev) is Statement:  # most lines of a file: one line, no style
                self._end_narration()
                self.w.line(_indent(statement_text(ev)))
                continue
            if isinstance(ev, Pause):
                continue  # headless mode does not wait
            if isinstance(ev, Say):
                if not self._narrating:  # a paragraph of narration, set off by blank lines
                    self.w.line()
                self.w.line(_indent(event_text(ev), "» "), "say")
                self._narrating = True
                continue
            self._end_narration()
            self.w.line(_indent(event_text(ev)), _style(ev))

    def _end_narration(self) -> None:
        if self._narrating:
            self.w.line()
            self._narrating = False

    def report_unexpected(self, errors: list[Error]) -> None:
        # Unexpected errors always reach stderr (with file:line:col), whatever the mode.
        for ev in errors:  # the words the TUI's banner uses when such an error stops playback
            self.err.write(failure_text(ev) + "\n")
        if errors:
            self.err.flush()

    def finish_file(self, session: Session) -> None:
        broken = ""
        try:
            # Every node only for --json (its documented summary object): the transcript's
            # table shows f and its inputs, O(inputs) rather than a label per node.
            summary = session.summary(nodes=self.opts.json)
        except EvalError as err:  # f cannot be evaluated (its error was reported on its line)
            summary = Summary(None, [], [])
            broken = f"f cannot be evaluated: {session.eval_error(err).message}"
        out = summary.output
        if out is not None and not math.isfinite(out["value"]):
            # Overflow is a warning in the REPL (issue 2), but a headless run whose output is
            # not a finite number failed (issue 7: exit 2), e.g. 1e308*10.
            span = session.prog.span(session.require_program())
            bad = Error(f"the output f = {out['label']} is {out['value']}, not a finite number "
                        "(headless mode treats a non-finite output as an error)",
                        file=span.file, at_line=span.line, col=span.col, line=span.line)
            self.tally.unexpected.append(bad)
            self.report_unexpected([bad])
            if self.opts.json:  # the JSON stream says it too, not only stderr
                self.w.line(json.dumps(bad.to_dict(), ensure_ascii=False))
        if self.opts.json:
            self.w.line(json.dumps(summary.to_dict(), ensure_ascii=False))
        elif not self.opts.quiet:
            self._narrating = False
            self.w.line()
            for row in [broken] if broken else summary_table(summary):
                self.w.line(row)
            self.w.line()

    # -- the whole run --
    def run(self, sources: Sequence[tuple[str, str]]) -> int:
        """sources: (kind, value) with kind 'file' (a path or -) or 'text' (-e PROGRAM)."""
        try:
            previous = signal.signal(signal.SIGINT, self.watch.on_sigint)
        except ValueError:  # not the main thread: Ctrl+C keeps its default behaviour
            previous = None
        try:
            return self._run(sources)
        except _Interrupted as exc:
            self.w.flush()
            self.err.write(f"backprop-tui: interrupted at {exc}: the check was cancelled\n")
            return EXIT_INTERRUPTED
        except KeyboardInterrupt:
            self.w.flush()
            self.err.write("backprop-tui: interrupted\n")
            return EXIT_INTERRUPTED
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _run(self, sources: Sequence[tuple[str, str]]) -> int:
        file_error = False
        last: Session | None = None
        for kind, value in sources:
            last = None
            try:
                if kind == "text":
                    last = self.run_file("<-e>", iter_text(value))
                else:
                    name = "<stdin>" if value == "-" else value
                    last = self.run_file(name, iter_lines(value))
            except ReplayError as exc:
                self.err.write(f"backprop-tui: {exc}\n")
                file_error = True
            except CommandError as exc:  # --record to a file that cannot be opened
                self.err.write(f"backprop-tui: {exc}\n")
                return EXIT_ERROR
        if self.opts.exports and not self.export_all(last):
            file_error = True
        t = self.tally
        if self.opts.quiet:
            self.w.line(f"{t.passed} passed, {t.failed} failed")
        elif t.failures and self.opts.json:
            for ev in t.failures:
                self.err.write(event_text(ev).removeprefix("✗ ") + "\n")
        self.w.flush()
        if file_error or t.unexpected:
            return EXIT_ERROR
        return EXIT_FAILED if t.failures else EXIT_OK


    def export_all(self, session: Session | None) -> bool:
        """--export: write each file from the last run's final state; False if one failed."""
        ok = True
        for spec in self.opts.exports:
            kind, path = parse_export(spec)
            try:
                if session is None:
                    raise CommandError("the last file did not run: nothing to export")
                if kind is None:
                    raise CommandError(f"which export is {path}? name it .dot, .html, "
                                       ".md, .tex or .csv, or say KIND:FILE (dot:, trace:, html:)")
                ev = export(session, kind, path, including="")  # a path typed in the shell
            except CommandError as exc:
                self.err.write(f"backprop-tui: --export {spec}: {exc}\n")
                ok = False
                continue
            if self.opts.json:
                self.w.line(json.dumps(ev.to_dict(), ensure_ascii=False))
            elif not self.opts.quiet:
                self.w.line(f"› --export {clip_long(spec)}", "echo")
                self.w.line(_indent(event_text(ev)))
        self.w.flush()
        self.err.flush()
        return ok


def parse_export(spec: str) -> tuple[str | None, str]:
    """'trace:notes.html' → ('trace', 'notes.html'); 'g.dot' → ('dot', 'g.dot') by extension."""
    head, sep, rest = spec.partition(":")
    if sep and head in EXPORT_KINDS and rest:
        return head, rest
    return kind_for(spec), spec


def summary_table(summary: Summary) -> list[str]:
    """The closing table: f's value, then each input's value and gradient."""
    if summary.output is None:
        return ["no program: nothing to summarise"]
    out = summary.output
    rows = [("input", "value", "∂f/∂input")]
    rows += [(r["name"], fmt_val(r["value"]), fmt_val(r["grad"])) for r in summary.inputs]
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    lines = [f"{f_is(out['label'])} = {fmt_val(out['value'])}"]
    if summary.inputs:
        for k, r in enumerate(rows):
            lines.append(f"  {r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}")
            if k == 0:
                lines.append("  " + "  ".join("─" * w for w in widths))
    if summary.outside:
        lines.append(f"  ({plural(summary.outside, 'node')} of the program outside f: not shown)")
    if summary.passes.get("inputs"):
        lines.append("  " + passes_line(summary.passes))
    return lines


def run(sources: Sequence[tuple[str, str]], opts: Options, out: TextIO | None = None,
        err: TextIO | None = None) -> int:
    """Headless entry point (cli.py): run each source, render, return the exit status."""
    return Runner(opts, out or sys.stdout, err or sys.stderr).run(sources)

