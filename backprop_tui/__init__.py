"""backprop-tui: a terminal step-through debugger and REPL for backpropagation."""

from .graph import EvalError, Graph
from .language import LangError, Program, parse

__all__ = ["EvalError", "Graph", "LangError", "Program", "parse"]
__version__ = "0.1.0"
