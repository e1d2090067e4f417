"""Function definitions and calls: a definition's head (checked by a lexer callback, so
that its body goes to a tape), calls of built-in functions and of the user's (inlined)."""

from __future__ import annotations

import difflib
import re

from lark import Token

from ..ops import BUILTIN_FUNCTIONS, CONSTANTS, FUNCTIONS, VARIADIC
from ..textutil import join_or, plural
from .errors import Pending
from .functions import MAX_BODY_OPS, MAX_LINE_NODES, MAX_PARAMS, FunctionDef, Tape, count_ops, expand
from .grammar import MAX_NAME_LENGTH
from .nodes import E, NodeBuilder, Tok, _clip30, _rule

_HEAD = re.compile(r"(?P<name>[^\s(]+)[ \t]*\((?P<params>[^)]*)\)[ \t]*=")
_PARAM = re.compile(r"(?![⁰¹²³⁴⁵⁶⁷⁸⁹])[^\W\d](?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])\w)*")


class CallBuilder(NodeBuilder):
    """The rules and callbacks of definitions and calls (Builder adds the expressions')."""

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
