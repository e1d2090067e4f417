"""The inline LALR transformer: graph nodes are built as the parser reduces rules."""

from __future__ import annotations

import difflib
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from lark import Lark, Token, Transformer

from ..ops import CONST, CONSTANTS, FUNCTIONS, INFIX_TOKENS, LITERAL, OP_INDEX
from ..textutil import clip, join_or
from . import names
from .errors import Pending
from .grammar import MAX_NAME_LENGTH, grammar_text

if TYPE_CHECKING:
    from .program import Program



class Tok(Protocol):
    """What the rules read of a lark Token. Lark types positions as optional; the LALR
    lexer always sets them, and this annotation says so at no runtime cost."""

    start_pos: int
    end_pos: int
    type: str

    def __len__(self) -> int: ...


_SUPER_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
TYPES = ("real", "const")


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


class Builder(Transformer):
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

    # -- helpers --
    def _node(self, e: E) -> int:
        if e.node >= 0:
            return e.node
        g = self.prog.graph
        e.node = g.add(LITERAL, value=e.lit, start=self.base + e.start, end=self.base + e.end)
        return e.node

    def _make(self, opname: str, start: int, end: int, a: int, b: int = -1, k: float = 0.0) -> E:
        g = self.prog.graph
        i = g.add(OP_INDEX[opname], a, b, k, start=self.base + start, end=self.base + end)
        return E(i, start, end)

    def _lookup(self, tok: Tok) -> E:
        name = str(tok)
        prog = self.prog
        start, end = tok.start_pos, tok.end_pos
        node = prog.bindings.get(name)
        if node is not None:
            return E(node, start, end)
        if name in CONSTANTS:
            node = prog.builtin.get(name)
            if node is None:
                node = prog.graph.add(CONST, value=CONSTANTS[name], start=self.base + start,
                                      end=self.base + end)
                prog.graph.names[node] = name
                prog.builtin[name] = node
            return E(node, start, end)
        raise Pending(prog.unknown_name_message(name), start, end)

    # -- rules --
    def _src(self, start: int, end: int) -> str:
        return _clip30(self.text[start:end])

    @_rule
    def number(self, tok: Tok) -> E:
        value = _float(str(tok))
        if math.isinf(value):
            raise Pending(f"the number {_clip30(str(tok))} is too large for a float64 "
                           f"(largest is about 1.8e308)", tok.start_pos, tok.end_pos)
        return E(-1, tok.start_pos, tok.end_pos, value)

    _number = number.__wrapped__  # type: ignore[attr-defined]  # for implicit()

    @_rule
    def var(self, tok: Tok) -> E:
        return self._lookup(tok)

    @_rule
    def paren(self, lpar: Tok, e: E, rpar: Tok) -> E:
        e.start, e.end = lpar.start_pos, rpar.end_pos  # e is this reduction's own value
        e.split = -1
        return e

    @_rule
    def neg(self, minus: Tok, e: E) -> E:
        if e.node < 0:
            return E(-1, minus.start_pos, e.end, -e.lit)
        return self._make("neg", minus.start_pos, e.end, e.node)

    @_rule
    def binop(self, left: E, optok: Tok, right: E) -> E:
        opname = INFIX_TOKENS[str(optok)]
        if opname == "pow" and right.node < 0:
            return self._make("powk", left.start, right.end, self._node(left), k=right.lit)
        a = self._node(left)
        e = self._make(opname, left.start, right.end, a, self._node(right))
        if opname == "div" and right.split >= 0:
            whole, lhs = self._src(left.start, right.end), self._src(left.start, left.end)
            rhs, first = self._src(right.start, right.end), self._src(right.start, right.split)
            rest = self._src(right.split, right.end).strip()
            self.notes.append((f"{whole} is read as {lhs}/({rhs}): implicit multiplication "
                               f"binds tighter than /; write ({lhs}/{first})*{rest} for the "
                               "other reading", e.node, left.start, right.end))
        return e

    power = binop

    @_rule
    def powimplicit(self, base: E, pow_tok: Tok, *rest: Any) -> E:
        """x^2y, x^-2y: (x^2)·y, the power's exponent ending at its number."""
        num, right = rest[-2], rest[-1]
        k = _float(str(num)) * (-1.0 if len(rest) == 3 else 1.0)
        if math.isinf(k):
            self._number(num)  # raises the number's error
        power = self._make("powk", base.start, num.end_pos, self._node(base), k=k)
        e = self._make("mul", base.start, right.end, power.node, self._node(right))
        e.split = num.end_pos
        b, x = self._src(base.start, base.end), self._src(pow_tok.end_pos, num.end_pos)
        r = self._src(right.start, right.end)
        self.notes.append((f"{b}^{x}{r} is read as ({b}^{x})·{r}: an exponent ends at its "
                           f"number; write {b}^({x}{r}) for the power of {x}{r}", e.node,
                           base.start, right.end))
        return e

    @_rule
    def suppower(self, base: E, sup: Tok) -> E:
        text = str(sup).translate(_SUPER_DIGITS)
        if text in ("-", "+") or not text.lstrip("+-").isdigit():
            raise Pending(f"'{sup}' is not a power", sup.start_pos, sup.end_pos)
        return self._make("powk", base.start, sup.end_pos, self._node(base), k=float(int(text)))

    @_rule
    def implicit(self, tok: Tok, right: E) -> E:
        left = self._number(tok)
        a = self._node(left)
        e = self._make("mul", left.start, right.end, a, self._node(right))
        e.split = tok.end_pos
        return e

    @_rule
    def args(self, *items: E | Tok) -> list[E]:
        return [x for x in items if isinstance(x, E)]

    @_rule
    def call(self, name_tok: Tok, lpar: Tok, args: list[E], rpar: Tok) -> E:
        name = str(name_tok)
        prog = self.prog
        start, end = name_tok.start_pos, rpar.end_pos
        if name not in FUNCTIONS:
            if name in prog.bindings or name in CONSTANTS:
                inside = self.text[lpar.start_pos:rpar.end_pos]
                raise Pending(f"{name} is not a function; did you mean {name}*{_clip30(inside)}?",
                               name_tok.start_pos, name_tok.end_pos)
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=3, cutoff=0.6)
            hint = f"; did you mean {join_or(close)}?" if close else (
                f"; functions are {', '.join(sorted(FUNCTIONS))}")
            raise Pending(f"unknown function '{_clip30(name)}'{hint}", name_tok.start_pos,
                           name_tok.end_pos)
        opname, arity = FUNCTIONS[name]
        if len(args) != arity:
            want = "1 argument" if arity == 1 else f"{arity} arguments"
            raise Pending(f"{name} takes {want}, got {len(args)}", start, end)
        if opname == "pow":
            base = self._node(args[0])
            if args[1].node < 0:
                return self._make("powk", start, end, base, k=args[1].lit)
            return self._make("pow", start, end, base, self._node(args[1]))
        return self._make(opname, start, end, self._node(args[0]))

    @_rule
    def assign(self, name_tok: Tok, eq: Tok, e: E) -> int:
        return self.prog.bind(self, name_tok, e, "real" if e.node < 0 else None)

    @_rule
    def declare(self, name_tok: Tok, colon: Tok, type_tok: Tok, eq: Tok, e: E) -> int:
        kind = str(type_tok)
        if kind not in TYPES:
            raise Pending(f"unknown type '{_clip30(kind)}': expected real or const",
                           type_tok.start_pos, type_tok.end_pos)
        if kind == "const" and e.node >= 0:
            raise Pending("a const needs a number on the right of '='", e.start, e.end)
        return self.prog.bind(self, name_tok, e, kind if e.node < 0 else None)

    @_rule
    def program(self, *stmts: E | int) -> list[int]:
        # An assignment reduces to its node (an int), an expression to an E: f's name is
        # the one the last statement bound, if it is an assignment.
        prog = self.prog
        prog.last_name = prog.bound_last if stmts and isinstance(stmts[-1], int) else None
        return [s if isinstance(s, int) else self._node(s) for s in stmts]


def _check_name(tok: Token) -> Token:
    """The lexer callback for NAME: the length limit, then Python's identifier rule and its
    NFKC normalisation (language/names.py). Positions stay those of the text as typed."""
    start = tok.start_pos or 0
    if len(tok) > MAX_NAME_LENGTH:
        raise Pending(f"a name of {len(tok):,} characters is too long; names have at most "
                      f"{MAX_NAME_LENGTH} characters", start, tok.end_pos or 0)
    raw = str(tok)
    if raw.isascii():  # the pattern's ASCII part is exactly [A-Za-z_][A-Za-z0-9_]*
        return tok
    bad = names.first_invalid(raw)
    if bad >= 0:
        rule = ("in the name '" + _clip30(raw) + "'; a name goes on with letters, combining "
                "marks, digits and _") if bad else "; a name starts with a letter or _"
        raise Pending(f"unexpected character '{names.shown(raw[bad])}' {rule}".replace(" ;", ";"),
                      start + bad, start + bad + 1)
    norm = names.normalise(raw)
    return tok if norm == raw else tok.update(value=norm)


_BUILDER = Builder()
_PARSER: Lark | None = None
# One parser and one transformer for the process: the transformer holds the program being
# built, so parses take turns.
_LOCK = threading.Lock()


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        _PARSER = Lark(grammar_text(), parser="lalr", start="program", transformer=_BUILDER,
                       maybe_placeholders=False, lexer_callbacks={"NAME": _check_name})
    return _PARSER


def build(prog: Program, text: str, base: int) -> list[int]:
    """Parse text into prog's graph (chunk offset `base`); returns each statement's node.
    Raises Pending or Lark's UnexpectedInput/VisitError; the caller rolls back."""
    with _LOCK:
        _BUILDER.prog, _BUILDER.base, _BUILDER.text = prog, base, text
        _BUILDER.notes = []
        try:
            nodes: list[int] = _parser().parse(text)  # type: ignore[assignment]
        finally:
            _BUILDER.prog = None  # type: ignore[assignment]
        prog.notes = [(msg, node, base + a, base + b) for msg, node, a, b in _BUILDER.notes]
    return nodes


def _clip30(text: str) -> str:
    return clip(text, 30)
