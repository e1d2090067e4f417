"""The Python tracing API: Var, const and the functions on them build the graph the language
builds (var), labelled by call with @function (functions), and become a Program (program)."""

from .functions import (
    abs,
    binary,
    cos,
    exp,
    function,
    log,
    max,
    min,
    pow,
    relu,
    sigmoid,
    sin,
    sqrt,
    sum,
    tan,
    tanh,
    unary,
    user_function,
)
from .program import cone_graph, program_of
from .var import NotANumber, TraceError, Var, const

__all__ = ["NotANumber", "TraceError", "Var", "abs", "binary", "cone_graph", "const", "cos",
           "exp", "function", "log", "max", "min", "pow", "program_of", "relu", "sigmoid",
           "sin", "sqrt", "sum", "tan", "tanh", "unary", "user_function"]
