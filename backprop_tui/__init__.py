"""backprop-tui: a terminal step-through debugger and REPL for backpropagation."""

from . import commands as _commands  # noqa: F401  registers the built-in :commands
from .graph import EvalError, Graph
from .language import LangError, Program, parse
from .session import Session

__all__ = ["EvalError", "Graph", "LangError", "Program", "Session", "parse"]
__version__ = "0.1.0"
