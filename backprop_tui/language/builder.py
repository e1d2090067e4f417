"""The inline LALR transformer: graph nodes are built as the parser reduces rules."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

from lark import Lark, Token

from ..ops import INFIX_TOKENS
from . import names
from .calls import CallBuilder
from .errors import Pending
from .functions import FunctionDef
from .grammar import MAX_NAME_LENGTH, grammar_text
from .lalr import Driver
from .nodes import E, Tok, _clip30, _float, _rule

__all__ = ["Builder", "E", "Tok", "build", "lark_parser"]

if TYPE_CHECKING:
    from .program import Program


_SUPER_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
TYPES = ("real", "const")


class Builder(CallBuilder):
    """Inline LALR callbacks that build graph nodes as the parser reduces rules: the
    expressions' and statements' here, definitions' and calls' in CallBuilder (calls.py),
    the state and node helpers in NodeBuilder (nodes.py).

    Rule callbacks are marked @_rule. (Lark's class-level v_args(inline=True) wrapped every
    method, helpers included, and each call through its wrapper paid three extra calls and,
    for helpers, a functools.update_wrapper: a sixth of parse time.)
    """

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

    def program(self, stmts: list[E | int | FunctionDef]) -> list[int]:
        """The whole text's statements (children as one list: no @_rule unpacking). An
        assignment reduces to its node (an int), an expression to an E: f's name is the
        one the last statement bound, if it is an assignment."""
        prog = self.prog
        if len(stmts) == 1:  # a line of a file
            s = stmts[0]
            if s.__class__ is int:
                prog.last_name = prog.bound_last
                return [s]
            prog.last_name = None
            return [] if isinstance(s, FunctionDef) else [self._node(s)]  # type: ignore[arg-type]
        prog.last_name = prog.bound_last if stmts and isinstance(stmts[-1], int) else None
        return self._statement_nodes(stmts)

    def _statement_nodes(self, stmts: list[E | int | FunctionDef]) -> list[int]:
        # (not inline in program: the comprehension would make self a cell on every call)
        return [s if isinstance(s, int) else self._node(s) for s in stmts
                if not isinstance(s, FunctionDef)]


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
_PARSER: Driver | None = None
# One parser and one transformer for the process: the transformer holds the program being
# built, so parses take turns.
_LOCK = threading.Lock()


def lark_parser() -> Lark:
    """The grammar's Lark parser, with the builder as its inline transformer."""
    return Lark(grammar_text(), parser="lalr", start="program", transformer=_BUILDER,
                maybe_placeholders=False,
                lexer_callbacks={"NAME": _check_name, "DEFHEAD": _BUILDER.begin_definition})


def _parser() -> Driver:
    global _PARSER
    if _PARSER is None:
        _PARSER = Driver(lark_parser(), "program")
    return _PARSER


def build(prog: Program, text: str, base: int) -> list[int]:
    """Parse text into prog's graph (chunk offset `base`); returns each statement's node.
    Raises Pending or Lark's UnexpectedInput/VisitError; the caller rolls back."""
    b = _BUILDER
    with _LOCK:
        b.prog, b.base, b.text = prog, base, text
        b.notes = []
        b.nodes0 = len(prog.graph.op)
        try:
            nodes: list[int] = (_PARSER or _parser()).parse(text)
        finally:
            b.prog = None  # type: ignore[assignment]
            if b.tape is not None or b.head is not None:
                b.end_definition()  # a definition that failed half-way
        prog.notes = _shifted(b.notes, base) if b.notes else []
    return nodes


def _shifted(notes: list[tuple[str, int, int, int]], base: int) -> list[tuple[str, int, int, int]]:
    # (not inline in build: a comprehension there makes base a cell on every call)
    return [(msg, node, base + a, base + z) for msg, node, a, z in notes]
