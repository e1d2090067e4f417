"""Replay-file commands: :say :pause :expect :load :record.

They are registered in the session's one COMMANDS table (session.py imports this module at
its end), so the TUI, replay files and headless mode all have them and :help lists them.

:expect tolerance. Without ``± TOL`` a number matches when
``|actual − expected| ≤ 1e-12 + 1e-9·|expected|`` (EXPECT_ATOL, EXPECT_RTOL): tight enough
that a wrong gradient never passes, loose enough for float64 round-off in a long sum. With
``± TOL`` (or ``+- TOL``) the rule is ``|actual − expected| ≤ TOL``. ``nan`` matches nan.

Recording. A Recorder appends each line the session runs to a replay file and flushes it
at once, so a killed session loses nothing. It leaves out its own :record lines (replaying
them would start another recording), and after a line that failed it writes a matching
``:expect error`` so that the recording replays headless with exit 0 to the same state.
"""

from __future__ import annotations

import datetime
import math
import os
import re
from pathlib import Path
from typing import TextIO

from . import replay
from .events import Echo, Error, Event, Expect, Info, Pause, Say
from .labels import fmt_val, label
from .language import Program
from .ops import INPUT
from .session import CommandError, Session, command

EXPECT_ATOL = 1e-12
EXPECT_RTOL = 1e-9

_NUMBER = re.compile(r"[-+−]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def parse_number(text: str) -> float:
    """A number as written in :expect: also nan, inf and -inf (for overflow demos)."""
    t = text.strip().replace("−", "-")
    if t.lower() in ("nan", "inf", "+inf", "-inf"):
        return float(t)
    if not _NUMBER.fullmatch(t):
        raise CommandError(f"expected a number, got '{text.strip()}'")
    return float(t)


def close(actual: float, expected: float, tol: float | None) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if math.isinf(expected) or math.isinf(actual):
        return actual == expected
    bound = tol if tol is not None else EXPECT_ATOL + EXPECT_RTOL * abs(expected)
    return abs(actual - expected) <= bound


# ---------------------------------------------------------------------- :say, :pause

@command("say", ":say TEXT", "Narration: the TUI shows it, headless mode prints it.")
def _cmd_say(s: Session, args: list[str]) -> list[Event]:
    return [Say(" ".join(args))]


@command("pause", ":pause SECONDS", "Pacing for replay in the TUI; headless mode skips it.")
def _cmd_pause(s: Session, args: list[str]) -> list[Event]:
    if len(args) != 1:
        raise CommandError("usage: :pause SECONDS")
    secs = parse_number(args[0])
    if not (math.isfinite(secs) and 0 <= secs <= 3600):
        raise CommandError("a pause is between 0 and 3600 seconds")
    return [Pause(secs)]


# ---------------------------------------------------------------------- :expect

_EXPECT_USAGE = ("usage: :expect value NODE = NUMBER [± TOL] | :expect grad NODE = NUMBER [± TOL] | "
                 ":expect check pass | :expect check NODE pass|fail|kink | :expect error TEXT")


@command("expect", ":expect value|grad NODE = NUMBER [± TOL] | check pass | error TEXT",
         "Assert on the session's state (replay files and tests): a node's value or gradient "
         "so far (default tolerance 1e-12 + 1e-9·|expected|), that the last :check passed, "
         "or that the previous line failed with a message containing TEXT.")
def _cmd_expect(s: Session, args: list[str]) -> list[Event]:
    if not args:
        raise CommandError(_EXPECT_USAGE)
    what, rest = args[0], " ".join(args[1:])
    if what in ("value", "grad"):
        ev = _expect_number(s, what, rest)
    elif what == "check":
        ev = _expect_check(s, rest)
    elif what == "error":
        ev = _expect_error(s, rest)
    else:
        raise CommandError(f"unknown expectation '{what}'; {_EXPECT_USAGE}")
    ev.file, ev.at_line = s.file, s.line
    return [ev]


def _expect_number(s: Session, what: str, rest: str) -> Expect:
    ref, eq, rhs = rest.rpartition("=")
    ref = ref.strip()
    if not eq or not ref:
        raise CommandError(f"usage: :expect {what} NODE = NUMBER [± TOL]")
    m = re.search(r"±|\+-", rhs)
    num, tol_text = (rhs[: m.start()], rhs[m.end():]) if m else (rhs, "")
    expected = parse_number(num)
    tol = None
    if m and not tol_text.strip():
        raise CommandError("a tolerance must follow ±, e.g. ± 1e-6")
    if tol_text.strip():
        tol = parse_number(tol_text)
        if not (tol >= 0 and math.isfinite(tol)):
            raise CommandError("the tolerance after ± must be a non-negative number")
    shown = num.strip() + (f" ± {tol_text.strip()}" if tol is not None else "")  # as written
    shown_ref = ref if ref.replace("_", "").isalnum() else f"({ref})"
    claim = f"value of {ref} = {shown}" if what == "value" else f"∂f/∂{shown_ref} = {shown}"

    def fail(got: str, node: str | None = None) -> Expect:
        return Expect(what, node, expected, None, tol, False, claim, got)

    if s.output is None:
        return fail("no program yet")
    try:
        i = s.resolve(ref)
    except CommandError as exc:
        return fail(str(exc))
    g = s.prog.graph
    name = label(g, i)
    if what == "value":
        if not s.computed(i):
            phase, k, n = s.progress()
            return fail(f"not yet computed (now at {phase} {k}/{n}: step forward to it first)", name)
        actual = g.value[i]
        got = fmt_val(actual)
    else:
        if not g.takes_grad(i):
            return fail(f"{name} is a constant: it gets no gradient", name)
        if s.bwd_index[i] < 0:
            return fail(f"{name} is not part of f = {label(g, s.output)}", name)
        actual = g.grad[i]
        if s.final(i):
            got = f"{fmt_val(actual)} (final)"
        elif s.pos <= len(s.fwd):
            got = f"{fmt_val(actual)} (the backward pass has not started)"
        else:
            got = f"{fmt_val(actual)} (so far)"
    return Expect(what, name, expected, actual, tol, close(actual, expected, tol), claim, got)


def _expect_check(s: Session, rest: str) -> Expect:
    words = rest.split()
    if not words or words[-1] not in ("pass", "fail", "kink"):
        raise CommandError("usage: :expect check pass | :expect check NODE pass|fail|kink")
    verdict, ref = words[-1], " ".join(words[:-1])
    chk = s.last_check
    if not ref:
        if verdict != "pass":
            raise CommandError("usage: :expect check pass (or name a node: :expect check x kink)")
        claim = "every verdict of the last check is pass"
        if chk is None:
            return Expect("check", None, "pass", None, None, False, claim, "no :check has run yet")
        bad = [f"{r.node}: {'not differentiable here' if r.verdict == 'kink' else r.verdict}"
               for r in chk.rows if r.verdict != "pass"]
        got = "all pass" if not bad else "; ".join(bad)
        if chk.cancelled:
            got = "the check was cancelled"
        return Expect("check", None, "pass", "pass" if chk.all_pass else "fail", None,
                      chk.all_pass, claim, got)
    claim = f"check verdict for {ref} is {verdict}"
    if chk is None:
        return Expect("check", ref, verdict, None, None, False, claim, "no :check has run yet")
    try:
        i = s.resolve(ref)
    except CommandError as exc:
        return Expect("check", ref, verdict, None, None, False, claim, str(exc))
    row = next((r for r in chk.rows if r.id == i), None)
    if row is None:
        return Expect("check", ref, verdict, None, None, False, claim,
                      f"the last check did not cover {label(s.prog.graph, i)}")
    return Expect("check", row.node, verdict, row.verdict, None, row.verdict == verdict, claim,
                  row.verdict)


def _expect_error(s: Session, rest: str) -> Expect:
    text = rest.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    claim = f"an error containing '{text}'" if text else "an error"
    err = s.last_error
    if err is None:
        return Expect("error", None, text, None, None, False, claim, "the previous line succeeded")
    return Expect("error", None, text, err.message, None, text in err.message, claim,
                  f"'{err.message}'")


# ---------------------------------------------------------------------- :load

@command("load", ":load FILE", "Run another replay file's lines here (a path relative to the "
         "file that loads it). In the TUI prefer playing it: backprop-tui FILE.bp.")
def _cmd_load(s: Session, args: list[str]) -> list[Event]:
    if not args:
        raise CommandError("usage: :load FILE")
    arg = replay.unquote(" ".join(args))
    if arg == "-":  # stdin would block the session
        raise CommandError(":load reads a file, not stdin")
    name = replay.relative_to(arg, s.file)
    try:
        lines = replay.iter_lines(name)
    except replay.ReplayError as exc:
        raise CommandError(f"cannot load {arg}: {exc.reason}") from None
    saved_file, saved_line, saved_rec = s.file, s.line, s.recorder
    s.recorder = None  # the :load line itself is recorded, not the lines it runs
    events: list[Event] = [Info(f"loading {name}")]
    try:
        for sl in lines:
            events.append(Echo(sl.text.strip(), sl.file, sl.line))
            events.extend(replay.run_line(s, sl))
    except replay.ReplayError as exc:
        events.append(Error(str(exc), file=name))
    finally:
        s.file, s.line = saved_file, saved_line
        if s.recorder is None:
            s.recorder = saved_rec
    return events


# ---------------------------------------------------------------------- :record

def _is_record(stripped: str) -> bool:
    return re.match(r":\s*record(\s|$)", stripped) is not None


def _location_free(message: str) -> str:
    """The longest piece of an error message without a line:column in it: line numbers of a
    replay differ from the interactive session's, the rest of the message does not."""
    pieces = re.split(r"\s*\bat \d+:\d+(?:-\d+(?::\d+)?)?:?\s*", message)
    return max(pieces, key=len).strip()


class Recorder:
    """Appends the lines a session runs to a replay file, flushed after every line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
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

    def record(self, s: Session, text: str, events: list[Event]) -> None:
        """Called by Session.run_line after each line it runs."""
        stripped = text.strip()
        if not stripped or _is_record(stripped):
            return
        m = re.match(r":\s*load\s+(.+)$", stripped)
        if m:  # rewrite the path so it resolves from the recording's folder
            target = os.path.abspath(replay.relative_to(replay.unquote(m.group(1)), s.file))
            stripped = f":load {os.path.relpath(target, self.path.parent.resolve())}"
        for piece in stripped.splitlines():
            self.write(piece)
        errors = [e for e in events if isinstance(e, Error)]
        if errors and not stripped.startswith(":expect"):
            self.write(f":expect error {_location_free(errors[-1].message)}")

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
        rec = Recorder(path)
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
    s.recorder = rec
    return [Info(f"recording to {path}: every line is appended and flushed (:record stop ends it)")]


def stop_recording(s: Session) -> str | None:
    """Stop recording; returns the file recorded to, or None if there was none."""
    rec = s.recorder
    if rec is None:
        return None
    s.recorder = None
    rec.close()
    return str(rec.path)


@command("record", ":record FILE | :record stop", "Append every line you run to a replay file, "
         "flushed after each line; replaying it reaches the same state.")
def _cmd_record(s: Session, args: list[str]) -> list[Event]:
    if not args:
        where = f"recording to {s.recorder.path}" if s.recorder else "not recording"
        return [Info(f"{where}; usage: :record FILE | :record stop")]
    if args == ["stop"]:
        path = stop_recording(s)
        return [Info(f"stopped recording to {path}" if path else "not recording")]
    return start_recording(s, replay.relative_to(replay.unquote(" ".join(args)), s.file))
