"""The inline LALR transformer: graph nodes are built as the parser reduces rules."""

from __future__ import annotations

import difflib
import math
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from lark import Lark, Token, Transformer

from ..ops import BUILTIN_FUNCTIONS, CONST, CONSTANTS, FUNCTIONS, INFIX_TOKENS, LITERAL, OP_INDEX, VARIADIC
from ..textutil import clip, join_or, plural
from . import names
from .errors import Pending
from .functions import MAX_BODY_OPS, MAX_LINE_NODES, MAX_PARAMS, FunctionDef, Tape, count_ops, expand
from .grammar import MAX_NAME_LENGTH, grammar_text
from .lalr import Driver

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
_HEAD = re.compile(r"(?P<name>[^\s(]+)[ \t]*\((?P<params>[^)]*)\)[ \t]*=")
_PARAM = re.compile(r"(?![⁰¹²³⁴⁵⁶⁷⁸⁹])[^\W\d](?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])\w)*")
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
                prog.builtin[name] = node
        if node is not None:
            return E(node if tape is None else tape.global_slot(node), start, end)
        message = prog.unknown_name_message(name)
        if self.head is not None:
            fname, params = self.head[0], self.head[1]
            message += (f" (the body of {fname} sees its parameters"
                        f"{' ' + ', '.join(params) if params else ' (none)'} and names bound "
                        "before the definition)")
        raise Pending(message, start, end)

    # -- definitions --
    def begin_definition(self, tok: Token) -> Token:
        """The lexer callback for a definition's head `f(x, y) =`: check it, and send the
        body's nodes to a tape. It runs before the body is lexed, so before its rules."""
        text = str(tok)
        at = tok.start_pos or 0
        m = _HEAD.match(text)
        if m is None:  # the grammar's DEFHEAD and _HEAD describe the same text
            raise Pending("cannot read this definition; write it as f(x, y) = expression",
                          at, at + len(text))
        name = m.group("name")
        if len(name) > MAX_NAME_LENGTH:
            raise Pending(f"a name of {len(name):,} characters is too long; names have at most "
                          f"{MAX_NAME_LENGTH} characters", at, at + len(name))
        if name in FUNCTIONS:
            what = "a built-in function" if name in BUILTIN_FUNCTIONS else "an operator"
            raise Pending(f"{name} is {what}: a definition cannot shadow it; choose another "
                          f"name, e.g. my_{_clip30(name)}", at, at + len(name))
        if name in CONSTANTS:
            raise Pending(f"{name} is a built-in constant, not a function name; choose another "
                          "name", at, at + len(name))
        params: list[str] = []
        inside = m.group("params")
        offset = at + m.start("params")
        if inside.strip():
            pos = 0
            for piece in inside.split(","):
                word = piece.strip()
                p0 = offset + pos + (len(piece) - len(piece.lstrip()))
                if not _PARAM.fullmatch(word):
                    shown = f"'{_clip30(word)}'" if word else "nothing"
                    raise Pending(f"a parameter must be a name, got {shown}; a definition "
                                  "reads f(x, y) = expression", p0, p0 + max(1, len(word)))
                if len(word) > MAX_NAME_LENGTH:
                    raise Pending(f"a parameter name has at most {MAX_NAME_LENGTH} characters",
                                  p0, p0 + len(word))
                if word in params:
                    raise Pending(f"parameter {word} appears twice in the definition of {name}",
                                  p0, p0 + len(word))
                params.append(word)
                pos += len(piece) + 1
        if len(params) > MAX_PARAMS:
            raise Pending(f"{name} has {len(params)} parameters; the limit is {MAX_PARAMS}",
                          at, at + len(text))
        self.head = (name, tuple(params), at, at + len(text))
        self.tape = Tape(len(params))
        self.param_slot = {p: i for i, p in enumerate(params)}
        return tok

    def end_definition(self) -> None:
        self.tape = None
        self.head = None
        self.param_slot = {}

    def _call_user(self, f: FunctionDef, args: list[E], start: int, end: int) -> E:
        if len(args) != len(f.params):
            want = plural(len(f.params), "argument")
            params = f" ({', '.join(f.params)})" if f.params else ""
            raise Pending(f"{f.name} takes {want}{params}, got {len(args)}", start, end)
        slots = [self._node(e) for e in args]
        tape = self.tape
        size = f.tape.size
        if tape is not None:
            if tape.size + size > MAX_BODY_OPS:
                raise Pending(f"this body would hold more than {MAX_BODY_OPS:,} operations "
                              f"(each call inlines {f.name}'s {size:,})", start, end)
            return E(tape.call(f, slots), start, end)
        g = self.prog.graph
        if len(g) + size - self.nodes0 > MAX_LINE_NODES:
            raise Pending(f"this line would create more than {MAX_LINE_NODES:,} nodes (each "
                          f"call inlines {f.name}'s body, {size:,} nodes)", start, end)
        return E(expand(g, f, slots), start, end)

    def _unknown_function(self, name_tok: Tok, lpar: Tok, rpar: Tok) -> Pending:
        name = str(name_tok)
        prog = self.prog
        at, stop = name_tok.start_pos, name_tok.end_pos
        if self.head is not None and name == self.head[0]:
            return Pending(f"{name} calls itself: recursion is not supported (a call is inlined "
                           "into the graph, so it must end)", at, stop)
        if name in prog.bindings or name in CONSTANTS or name in self.param_slot:
            inside = self.text[lpar.start_pos:rpar.end_pos]
            return Pending(f"{name} is not a function; did you mean {name}*{_clip30(inside)}?",
                           at, stop)
        known = [*FUNCTIONS, *prog.functions]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        user_ops = sorted(set(FUNCTIONS) - BUILTIN_FUNCTIONS)
        hint = f"; did you mean {join_or(close)}?" if close else (
            f"; functions are {', '.join(sorted(BUILTIN_FUNCTIONS))}"
            + (f"; operators {', '.join(user_ops)}" if user_ops else "")
            + (f"; and yours: {', '.join(sorted(prog.functions))}" if prog.functions else ""))
        if self.head is not None:
            hint += " (a body can call only functions defined before it)"
        return Pending(f"unknown function '{_clip30(name)}'{hint}", at, stop)

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
        start, end = name_tok.start_pos, rpar.end_pos
        if name not in FUNCTIONS:
            f = self.prog.functions.get(name)
            if f is None or (self.head is not None and name == self.head[0]):
                raise self._unknown_function(name_tok, lpar, rpar)
            return self._call_user(f, args, start, end)
        opname, arity = FUNCTIONS[name]
        if arity == VARIADIC:
            if not args:
                raise Pending(f"{name} needs at least one argument", start, end)
            acc = args[0]
            group = self._group(name) if len(args) > 2 else -1
            for e in args[1:]:
                acc = self._make(opname, start, e.end, self._node(acc), self._node(e),
                                 group=group)
            acc.start, acc.end = start, end
            return acc
        if len(args) != arity:
            want = "1 argument" if arity == 1 else f"{arity} arguments"
            raise Pending(f"{name} takes {want}, got {len(args)}", start, end)
        if opname == "pow":
            base = self._node(args[0])
            if args[1].node < 0:
                return self._make("powk", start, end, base, k=args[1].lit)
            return self._make("pow", start, end, base, self._node(args[1]))
        if arity == 2:
            a = self._node(args[0])
            return self._make(opname, start, end, a, self._node(args[1]))
        return self._make(opname, start, end, self._node(args[0]))

    @_rule
    def define(self, head: Tok, e: E) -> FunctionDef:
        assert self.tape is not None and self.head is not None
        name, params, at, stop = self.head
        out = self._node(e)
        text = self.text[at:e.end] if e.end > at else str(head)
        f = FunctionDef(name, params, self.tape, out, text)
        f.ops = count_ops(f)
        self.end_definition()
        self.prog.define(f)
        return f

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
    def program(self, *stmts: E | int | FunctionDef) -> list[int]:
        # An assignment reduces to its node (an int), an expression to an E: f's name is
        # the one the last statement bound, if it is an assignment.
        prog = self.prog
        prog.last_name = prog.bound_last if stmts and isinstance(stmts[-1], int) else None
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
    with _LOCK:
        _BUILDER.prog, _BUILDER.base, _BUILDER.text = prog, base, text
        _BUILDER.notes = []
        _BUILDER.nodes0 = len(prog.graph)
        try:
            nodes: list[int] = _parser().parse(text)
        finally:
            _BUILDER.prog = None  # type: ignore[assignment]
            _BUILDER.end_definition()  # a definition that failed half-way
        prog.notes = [(msg, node, base + a, base + b) for msg, node, a, b in _BUILDER.notes]
    return nodes


def _clip30(text: str) -> str:
    return clip(text, 30)
