""":repeat N LINE: run a statement (or a :command) N times, e.g. an iterated map."""

from __future__ import annotations

from ..events import Error, Event, Info
from ..language import LangError
from ..language.functions import MAX_LINE_NODES
from ..registry import ALIASES, Arg, CommandError, command
from ..session import Session
from ..textutil import clip, plural

MAX_REPEAT = 10_000  # iterations of one :repeat
# Nodes one :repeat may add in all (each iteration is also bounded like any line).
MAX_REPEAT_NODES = MAX_LINE_NODES


@command("repeat", ":repeat N LINE", "Run LINE N times (at most 10,000): a statement such as "
         "the logistic map l = 4l*(1 - l), or a :command. Stops at the first error; f becomes "
         "the last statement's value once, at the end.", aliases=("rep",),
         args=(Arg("count"), Arg("text")), cost="slow")
def _cmd_repeat(s: Session, args: list[str]) -> list[Event]:
    if len(args) < 2:
        raise CommandError("usage: :repeat N LINE, e.g. :repeat 20 l = 4l*(1 - l)")
    try:
        n = int(args[0])
    except ValueError:
        raise CommandError(f"expected a number of times, got '{clip(args[0])}'") from None
    if not 1 <= n <= MAX_REPEAT:
        raise CommandError(f"the number of times is between 1 and {MAX_REPEAT:,}")
    line = " ".join(args[1:])
    if line.startswith(":"):
        word = line[1:].split(maxsplit=1)[0] if len(line) > 1 else ""
        if ALIASES.get(word) == "repeat":
            raise CommandError(":repeat cannot repeat itself (the counts would multiply)")
        return _repeat_command(s, n, line)
    return _repeat_statement(s, n, line)


def _repeat_command(s: Session, n: int, line: str) -> list[Event]:
    events: list[Event] = []
    for k in range(n):
        got = s.run_line(line, line=s.line)
        events.extend(got)
        if any(isinstance(e, Error) for e in got):
            events.append(Info(f"stopped at iteration {k + 1} of {n}: it failed"))
            break
    return events


def _repeat_statement(s: Session, n: int, line: str) -> list[Event]:
    g = s.prog.graph
    n0 = len(g)
    done = 0
    error: Event | None = None
    for k in range(n):
        try:
            s.prog.run(line, s.file, s.line)
        except LangError as exc:
            error = Error(f"iteration {k + 1} of {n}: {exc.message}", file=exc.file,
                          at_line=exc.line, col=exc.col, caret=exc.caret())
            break
        done += 1
        if len(g) - n0 > MAX_REPEAT_NODES and k + 1 < n:
            error = Error(f"stopped after {plural(done, 'iteration')} of {n}: they added "
                          f"{len(g) - n0:,} nodes (the limit is {MAX_REPEAT_NODES:,})")
            break
    events: list[Event] = []
    if done:
        events.append(Info(f"ran {clip(line, 60)} {plural(done, 'time')}: "
                           f"{plural(len(g) - n0, 'new node')}"))
        if s.prog.output is not None and len(g) > n0:
            events.extend(s.statement_event(line))
    if error is not None:
        events.append(error)
    return events
