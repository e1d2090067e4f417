"""The builder's values and helpers: E (a node, or a number literal not yet made one),
the @_rule callback wrapper, and NodeBuilder, the transformer's state and the helpers that
put nodes into the graph (or into the tape of the definition being read)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from lark import Transformer

from ..ops import CONST, CONSTANTS, LITERAL, OP_INDEX
from ..textutil import clip
from .errors import Pending
from .functions import Tape

if TYPE_CHECKING:
    from .program import Program


class Tok(Protocol):
    """What the rules read of a lark Token. Lark types positions as optional; the LALR
    lexer always sets them, and this annotation says so at no runtime cost."""

    start_pos: int
    end_pos: int
    type: str

    def __len__(self) -> int: ...


# The parts of a definition's head token, f(x, y) = (the grammar's DEFHEAD).
class E:
    """A transformer value: a node, or a number literal not yet made a node (so that
    `x = -2` is an input and `x^2` bakes its exponent into the node). `split`: for an
    implicit product not in parentheses (2y, x^2y), where its first factor ends (x/2y warns
    about it); else -1."""

    __slots__ = ("node", "lit", "start", "end", "split")

    def __init__(self, node: int, start: int, end: int, lit: float = 0.0) -> None:
        self.node, self.lit, self.start, self.end = node, lit, start, end
        self.split = -1


def _float(text: str) -> float:
    return float(text.replace("−", "-"))  # the Unicode minus of an exponent: 2e−3


def _rule(method: Callable[..., Any]) -> Callable[[Any, list], Any]:
    """An inline rule callback. Lark passes the children as one list; unpacking them here
    costs one call per reduction (v_args(inline=True) costs three wrapper layers)."""

    def callback(self: Any, children: list) -> Any:
        return method(self, *children)

    callback.__wrapped__ = method  # type: ignore[attr-defined]
    callback.__name__ = method.__name__
    return callback


class NodeBuilder(Transformer):
    """Inline LALR callbacks that build graph nodes as the parser reduces rules.

    Rule callbacks are marked @_rule. (Lark's class-level v_args(inline=True) wrapped every
    method, helpers included, and each call through its wrapper paid three extra calls and,
    for helpers, a functools.update_wrapper: a sixth of parse time.)
    """

    def __init__(self) -> None:
        super().__init__()
        # The program being built: set by build() for the length of one parse.
        self.prog: Program = None  # type: ignore[assignment]
        self.base = 0
        self.text = ""
        # Readings worth a warning (x^2y, x/2y): (message, node, start, end), chunk-relative.
        self.notes: list[tuple[str, int, int, int]] = []
        self.nodes0 = 0  # graph size when this parse began (bounds what calls create)
        # While a definition's body is parsed, nodes go to its tape instead of the graph.
        self.tape: Tape | None = None
        self.head: tuple[str, tuple[str, ...], int, int] | None = None  # name, params, span
        self.param_slot: dict[str, int] = {}

    # -- helpers --

    # -- helpers: nodes go to the graph, or to the tape of the definition being read --
    def _node(self, e: E) -> int:
        if e.node >= 0:
            return e.node
        start, end = self.base + e.start, self.base + e.end
        if self.tape is not None:
            e.node = self.tape.add(LITERAL, k=e.lit, start=start, end=end)
        else:
            e.node = self.prog.graph.add(LITERAL, value=e.lit, start=start, end=end)
        return e.node

    def _make(self, opname: str, start: int, end: int, a: int, b: int = -1, k: float = 0.0,
              group: int = -1) -> E:
        code = OP_INDEX[opname]
        if self.tape is not None:
            return E(self.tape.add(code, a, b, k, self.base + start, self.base + end, group),
                     start, end)
        g = self.prog.graph
        # nan: not computed yet (the session's resting state for an op node)
        i = g.add(code, a, b, k, math.nan, self.base + start, self.base + end)
        if group >= 0:
            g.call_of[i] = group
        return E(i, start, end)

    def _group(self, name: str) -> int:
        """A new group (a call) for a chain of nodes: in the graph, or in the tape."""
        if self.tape is not None:
            return self.tape.new_group(name)
        return self.prog.graph.new_call(name)

    def _lookup(self, tok: Tok) -> E:
        name = str(tok)
        prog = self.prog
        start, end = tok.start_pos, tok.end_pos
        tape = self.tape
        if tape is not None and name in self.param_slot:
            return E(self.param_slot[name], start, end)
        node = prog.bindings.get(name)
        if node is None and name in CONSTANTS:
            node = prog.builtin.get(name)
            if node is None:
                node = prog.graph.add(CONST, value=CONSTANTS[name], start=self.base + start,
                                      end=self.base + end)
                prog.graph.names[node] = name
                prog.builtin = {**prog.builtin, name: node}  # copy on write (Program.run)
        if node is not None:
            return E(node if tape is None else tape.global_slot(node), start, end)
        message = prog.unknown_name_message(name)
        if self.head is not None:
            fname, params = self.head[0], self.head[1]
            message += (f" (the body of {fname} sees its parameters"
                        f"{' ' + ', '.join(params) if params else ' (none)'} and names bound "
                        "before the definition)")
        raise Pending(message, start, end)

    def _src(self, start: int, end: int) -> str:
        return _clip30(self.text[start:end])


def _clip30(text: str) -> str:
    return clip(text, 30)
