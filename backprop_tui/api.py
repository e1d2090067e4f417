"""The public Python API's functions: session, debug, check, check_engine (and their reports).

A traced function (a Var) or a learner's micrograd-style Value gets a Session on its graph —
the same `run_line(text) -> list[Event]` every view uses — and the finite-difference check
or the engine check as a report that prints as headless mode's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import commands as _commands  # noqa: F401  registers the :commands a session runs
from . import engine_check as _engine
from .commands.check import check_nodes, run_check
from .engine_events import EngineCheck, EngineRow, RuleFinding
from .events import Check, CheckRow
from .graph import EvalError
from .records import CheckMode
from .render_text import text
from .session import Session
from .tracing import Var, program_of


def _is_engine_value(x: object) -> bool:
    return not isinstance(x, Var) and hasattr(x, "data") and hasattr(x, "_prev")


def session(f: object, params: object = None) -> Session:
    """A Session on f's graph: f a traced Var (its cone, copied: stepping it leaves the
    Vars' values alone), or a micrograd-style Value (rebuilt, with the learner's gradients
    beside backprop-tui's at every node)."""
    if isinstance(f, Var):
        return Session(program_of(f))
    if _is_engine_value(f):
        return check_engine(f, params).session
    raise TypeError(f"session() takes a traced value (backprop_tui.Var) or a micrograd-style "
                    f"Value, not {type(f).__name__}")


@dataclass
class CheckReport:
    """The finite-difference check of every input: ok, and one row per input (analytic,
    numeric, error, verdict). print(report) shows headless mode's table."""

    event: Check

    @property
    def ok(self) -> bool:
        return self.event.all_pass

    @property
    def rows(self) -> list[CheckRow]:
        return self.event.rows

    def __str__(self) -> str:
        return text(self.event)


def check(f: Var, h: float | None = None, mode: CheckMode = "central") -> CheckReport:
    """Compare backprop's gradient of f with finite differences for every input of f."""
    s = session(f)
    try:
        return CheckReport(run_check(s, check_nodes(s, ""), mode, h))
    except EvalError as err:
        raise ValueError(s.eval_error(err).message) from None


@dataclass
class EngineReport:
    """check_engine's report: ok; `first`, the first wrong rule in backward order (None when
    every rule holds); every finding; one row per node; a Session on the rebuilt graph.
    print(report) shows it as a table."""

    event: EngineCheck
    session: Session

    @property
    def ok(self) -> bool:
        return self.event.ok

    @property
    def first(self) -> RuleFinding | None:
        return self.event.first

    @property
    def findings(self) -> list[RuleFinding]:
        return self.event.findings

    @property
    def rows(self) -> list[EngineRow]:
        return self.event.rows

    @property
    def notes(self) -> list[str]:
        return self.event.notes

    def __str__(self) -> str:
        return text(self.event)


def check_engine(root: object, params: object = None) -> EngineReport:
    """Check a micrograd-style engine (data, grad, _prev, _op, _backward) at `root`: every
    node's _backward alone, then every gradient against backprop-tui's and finite
    differences. params= names the parameter leaves (a list, or a dict name: Value); without
    it every leaf gets a gradient. Raises EngineError (a ValueError) when the graph cannot
    be checked: a cycle, non-numeric data, more than 2,000,000 nodes."""
    result = _engine.check_engine(root, params)
    s = Session(result.program)
    s.other_grads = result.learner_grads
    s.other_name = "learner"
    s.fd_grads = result.numeric
    return EngineReport(result.event, s)


def app_for(s: Session) -> Any:
    """The TUI's app on session s (not yet running)."""
    from .tui.app import BackpropApp

    app = BackpropApp(program="")  # "": no seed example; the session below is the program
    app.session = s
    return app


def debug(f: object, params: object = None) -> int:
    """Open the TUI on f's graph (a Var, or a micrograd-style Value); returns its exit code."""
    app = app_for(session(f, params))
    app.run()
    return app.return_code or 0
