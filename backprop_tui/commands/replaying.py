"""Replay-file commands: :say :pause :expect :load.

:expect tolerance. Without ``± TOL`` a number matches when
``|actual − expected| ≤ 1e-12 + 1e-9·|expected|`` (EXPECT_ATOL, EXPECT_RTOL): tight enough
that a wrong gradient never passes, loose enough for float64 round-off in a long sum. With
``± TOL`` (or ``+- TOL``) the rule is ``|actual − expected| ≤ TOL``. ``nan`` matches nan.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from .. import confine, replay
from ..events import Check, CheckRow, Echo, Error, Event, Expect, Info, Pause, Say
from ..labels import fmt_val, label
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import NumberError, unquote
from ..textutil import parse_number as _parse

EXPECT_ATOL = 1e-12
EXPECT_RTOL = 1e-9


def parse_number(text: str) -> float:
    """A number as written in :expect: also nan, inf and -inf (for overflow demos)."""
    try:
        return _parse(text, special=True)
    except NumberError as exc:
        raise CommandError(str(exc)) from None


def close(actual: float, expected: float, tol: float | None) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if math.isinf(expected) or math.isinf(actual):
        return actual == expected
    bound = tol if tol is not None else EXPECT_ATOL + EXPECT_RTOL * abs(expected)
    return abs(actual - expected) <= bound


# ---------------------------------------------------------------------- :say, :pause

@command("say", ":say TEXT", "Narration: the TUI shows it, headless mode prints it.",
         args=(Arg("text"),), cost="quick")
def _cmd_say(s: Session, args: list[str]) -> list[Event]:
    message = " ".join(args)
    s.narration.append((s.pos, message))  # the stepping page shows it at this step
    return [Say(message)]


@command("pause", ":pause SECONDS", "Pacing for replay in the TUI; headless mode skips it.",
         args=(Arg("number"),), cost="quick")
def _cmd_pause(s: Session, args: list[str]) -> list[Event]:
    if len(args) != 1:
        raise CommandError("usage: :pause SECONDS")
    secs = parse_number(args[0])
    if not (math.isfinite(secs) and 0 <= secs <= 3600):
        raise CommandError("a pause is between 0 and 3600 seconds")
    return [Pause(secs)]


# ---------------------------------------------------------------------- :expect

_EXPECT_USAGE = ("usage: :expect value|grad|tangent NODE = NUMBER [± TOL] | :expect check pass | "
                 ":expect check NODE pass|fail|kink | :expect check NODE rel ≤ TOL | "
                 ":expect error TEXT")


@command("expect", ":expect value|grad|tangent NODE = NUMBER [± TOL] | check … | error TEXT",
         "Assert on the session's state (replay files and tests): a node's value, gradient so "
         "far or forward-mode tangent (default tolerance 1e-12 + 1e-9·|expected|), that the "
         "last :check passed (or one node's verdict, or that its relative error is at most "
         "TOL: :expect check x rel ≤ 1e-14), or that the previous line failed with a message "
         "containing TEXT.",
         args=(Arg("word", choices=("value", "grad", "tangent", "check", "error")), Arg("node")),
         cost="quick", raw=True)
def _cmd_expect(s: Session, args: list[str]) -> list[Event]:
    # raw: args is [the rest of the line], whitespace kept for :expect error TEXT.
    words = args[0].split(maxsplit=1) if args else []
    if not words:
        raise CommandError(_EXPECT_USAGE)
    what, rest = words[0], words[1] if len(words) > 1 else ""
    if what == "value":
        ev = _expect_number(s, "value", rest)
    elif what == "grad":
        ev = _expect_number(s, "grad", rest)
    elif what == "tangent":
        ev = _expect_number(s, "tangent", rest)
    elif what == "check":
        ev = _expect_check(s, rest)
    elif what == "error":
        ev = _expect_error(s, rest)
    else:
        raise CommandError(f"unknown expectation '{what}'; {_EXPECT_USAGE}")
    ev.file, ev.at_line = s.file, s.line
    return [ev]


def _expect_number(s: Session, what: Literal["value", "grad", "tangent"], rest: str) -> Expect:
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
    claim = (f"value of {ref} = {shown}" if what == "value" else
             f"tangent of {ref} = {shown}" if what == "tangent" else f"∂f/∂{shown_ref} = {shown}")

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
        if not s.computed(i) and not s.in_cone(i):
            return fail(s.node_info(i).note, name)  # it cannot be evaluated, and says why
        if not s.computed(i):
            phase, k, n = s.progress()
            return fail(f"not yet computed (now at {phase} {k}/{n}: step forward to it first)", name)
        actual = g.value[i]  # outside f's cone: its full-pass value (Session.computed)
        got = fmt_val(actual)
    elif what == "tangent":
        if s.mode != "forward":
            return fail("no tangent: stepping is in reverse mode (:mode forward INPUT)", name)
        t = s.tangent(i)
        if t is None:
            return fail(f"not yet computed in this tangent pass (now at {s.progress_text()})", name)
        actual = t
        got = fmt_val(actual)
    else:
        if not g.takes_grad(i):
            return fail(f"{name} is a constant: it gets no gradient", name)
        if not s.in_cone(i):
            return fail(f"{name} is not part of f = {label(g, s.output)}", name)
        actual = g.grad[i]
        if s.final(i):
            got = f"{fmt_val(actual)} (final)"
        elif not s.in_backward:
            got = f"{fmt_val(actual)} (the backward pass has not started)"
        else:
            got = f"{fmt_val(actual)} (so far)"
    return Expect(what, name, expected, actual, tol, close(actual, expected, tol), claim, got)


def _expect_check(s: Session, rest: str) -> Expect:
    m = re.fullmatch(r"\s*(.+?)\s+rel\s*(?:≤|<=|<)\s*(\S+)\s*", rest)
    if m:
        return _expect_check_error(s, m.group(1), m.group(2))
    words = rest.split()
    if not words or words[-1] not in ("pass", "fail", "kink"):
        raise CommandError("usage: :expect check pass | :expect check NODE pass|fail|kink | "
                           ":expect check NODE rel ≤ TOL")
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
    row, missing = _check_row(s, chk, ref)
    if row is None:
        return Expect("check", ref, verdict, None, None, False, claim, missing)
    return Expect("check", row.node, verdict, row.verdict, None, row.verdict == verdict, claim,
                  row.verdict)


def _check_row(s: Session, chk: Check, ref: str) -> tuple[CheckRow | None, str]:
    """The last check's row for NODE (or for 'x,y', an entry of an order-2 check)."""
    row = next((r for r in chk.rows if r.node == ref), None)
    if row is not None:
        return row, ""
    try:
        i = s.resolve(ref)
    except CommandError as exc:
        return None, str(exc)
    row = next((r for r in chk.rows if r.id == i), None)
    return row, "" if row is not None else f"the last check did not cover {label(s.prog.graph, i)}"


def _expect_check_error(s: Session, ref: str, tol_text: str) -> Expect:
    tol = parse_number(tol_text)
    if not (tol >= 0 and math.isfinite(tol)):
        raise CommandError("the bound after rel ≤ must be a non-negative number")
    claim = f"relative error of the last check at {ref} ≤ {tol_text}"
    chk = s.last_check
    if chk is None:
        return Expect("check", ref, tol, None, None, False, claim, "no :check has run yet")
    row, missing = _check_row(s, chk, ref)
    if row is None:
        return Expect("check", ref, tol, None, None, False, claim, missing)
    got = f"{row.rel_err:.2e} ({row.mode}, h = {row.h:.1e})"
    return Expect("check", row.node, tol, row.rel_err, None, row.rel_err <= tol, claim, got)


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
         "file that loads it). In the TUI prefer playing it: backprop-tui FILE.bp.",
         args=(Arg("file"),), cost="slow")
def _cmd_load(s: Session, args: list[str]) -> list[Event]:
    if not args:
        raise CommandError("usage: :load FILE")
    arg = unquote(" ".join(args))
    if arg == "-":  # stdin would block the session
        raise CommandError(":load reads a file, not stdin")
    try:
        name = confine.resolve(arg, s.file)
    except confine.PathRefused as exc:
        raise CommandError(f"cannot load {arg}: {exc}") from None
    try:
        lines = replay.iter_lines(name, loaded=True, confined=confine.root() is not None)
    except replay.ReplayError as exc:
        raise CommandError(f"cannot load {arg}: {exc.reason}") from None
    saved_file, saved_line = s.file, s.line
    # The lines run here are not published to listeners (the recorder records the :load
    # line itself): the session publishes only the lines run from outside.
    events: list[Event] = [Info(f"loading {confine.shown(name)}")]
    try:
        for sl in lines:
            events.append(Echo(sl.text.strip(), sl.file, sl.line))
            events.extend(replay.run_line(s, sl))
    except replay.ReplayError as exc:
        events.append(Error(str(exc), file=name))
    finally:
        s.file, s.line = saved_file, saved_line
    return events


