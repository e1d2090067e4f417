"""backprop-tui: a terminal step-through debugger and REPL for backpropagation.

The Python API (README: "Your own functions"):

    from backprop_tui import Var, tanh
    x = Var(2.0, "x"); w = Var(-3.0, "w"); b = Var(6.88, "b")
    o = tanh(w*x + b)
    o.backward(); w.grad          # 1.0019…
    backprop_tui.check(o)         # finite differences for every input, as :check prints it
    backprop_tui.debug(o)         # the TUI on o's graph

`session(f)` is a Session on f's graph (`run_line(text) -> list[Event]`), `op(name, fn,
derivs)` registers an operator, `check_engine(root)` checks a micrograd-style engine.
"""

from . import commands as _commands  # noqa: F401  registers the built-in :commands
from .api import CheckReport, EngineReport, check, check_engine, debug, session
from .graph import EvalError, Graph
from .language import LangError, Program, parse
from .learner import EngineError
from .ops import OpError
from .session import Session
from .tracing import (
    NotANumber,
    TraceError,
    Var,
    const,
    cos,
    exp,
    function,
    log,
    max,
    min,
    relu,
    sigmoid,
    sin,
    sqrt,
    tan,
    tanh,
)
from .tracing import abs as abs
from .tracing import pow as pow
from .tracing import sum as sum
from .tracing.userop import op

# abs, pow and sum are attributes (backprop_tui.sum) but not star-imported: the built-ins do
# the same on Vars through their operators.
__all__ = ["CheckReport", "EngineError", "EngineReport", "EvalError", "Graph", "LangError",
           "NotANumber", "OpError", "Program", "Session", "TraceError", "Var", "check",
           "check_engine", "const", "cos", "debug", "exp", "function", "log", "max", "min",
           "op", "parse", "relu", "session", "sigmoid", "sin", "sqrt", "tan", "tanh"]
__version__ = "0.1.0"
