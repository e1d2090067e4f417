"""The expression language: grammar loading, parse → graph, friendly errors.

The LALR parser applies an inline transformer, so nodes are created during the parse
(operands first: creation order is a topological order) and no parse tree is built —
nothing here recurses, whatever the nesting depth of the input.
"""

from __future__ import annotations

import difflib
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from .graph import Graph
from .ops import CONST, CONSTANTS, FUNCTIONS, INFIX_TOKENS, INPUT, LITERAL, OP_INDEX

_SUPER_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
TYPES = ("real", "const")

# Input limits, so that hostile input gets a clear error instead of minutes of parsing.
# Parsing costs ~5-15 µs per token, so 4M characters bound one run (a file or a REPL
# line) to well under a minute and ~1 GB; a 100k-node program is ~0.8-1.2M characters,
# and a 10 MB line is refused at once.
MAX_SOURCE_CHARS = 4_000_000
MAX_NESTING = 100_000  # parenthesis depth (a 100k-deep chain ((x+1)+1)… still parses)
MAX_NAME_LENGTH = 256
# Parse time follows tokens, not characters: 4M characters of "1+1+…" are 4M tokens (about a
# minute and 1 GB), while a 100k-node program has ~0.3-0.4M. Counted roughly (a word, or one
# other character) with one regex before parsing; 1M tokens parse in seconds.
MAX_TOKENS = 1_000_000
_ROUGH_TOKEN = re.compile(r"\w+|[^\w\s]")


def grammar_text() -> str:
    """The grammar, from inside the installed package or from the repo's grammar/."""
    packaged = Path(__file__).with_name("grammar") / "backprop.lark"
    repo = Path(__file__).resolve().parent.parent / "grammar" / "backprop.lark"
    for path in (packaged, repo):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"grammar not found at {packaged} or {repo}")


@dataclass
class Span:
    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        if self.end_line == self.line:
            tail = f"-{self.end_col - 1}" if self.end_col > self.col + 1 else ""
        else:
            tail = f"-{self.end_line}:{self.end_col}"
        return f"{self.line}:{self.col}{tail}"


class LangError(Exception):
    """A parse or evaluation error with where, what, and what was expected."""

    def __init__(self, message: str, file: str = "<input>", line: int = 1, col: int = 1,
                 source_line: str = "", width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line
        self.width = max(1, width)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def caret(self) -> str:
        """The source line and a caret under the spot (tabs kept so columns line up)."""
        if not self.source_line:
            return ""
        text, col = self.source_line, self.col
        if col > 120:  # a long line: show a window that holds the spot, not its first 200
            text, col = "…" + text[col - 80:], 81
        line = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in text[:200])
        pad = "".join(c if c == "\t" else " " for c in line[: col - 1])
        return f"    {line}\n    {pad}{'^' * min(self.width, 80)}"

    def format(self) -> str:
        text = f"{self.where}: error: {self.message}"
        caret = self.caret()
        return f"{text}\n{caret}" if caret else text


class _Pending(Exception):
    """Raised inside the transformer with chunk-relative offsets; becomes a LangError."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message, self.start, self.end = message, start, end


class E:
    """A transformer value: a node, or a number literal not yet made a node (so that
    `x = -2` is an input and `x^2` bakes its exponent into the node)."""

    __slots__ = ("node", "lit", "start", "end")

    def __init__(self, node: int, start: int, end: int, lit: float = 0.0) -> None:
        self.node, self.lit, self.start, self.end = node, lit, start, end


_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'",
    "MINUS": "'-'", "TIMES": "'*'", "SLASH": "'/'", "POW": "'^'", "EQ": "'='",
    "COLON": "':'", "COMMA": "','", "SUP": "a superscript power", "_SEP": "the end of the statement",
    "$END": "the end of the input",
}
_OPERATORS = {"PLUS", "MINUS", "TIMES", "SLASH", "POW", "SUP"}
_ORDER = ["NUMBER", "NAME", "LPAR", "MINUS", "PLUS", "OPERATOR", "EQ", "COLON", "COMMA", "RPAR",
          "_SEP", "$END"]


def expected_words(terminals: set[str]) -> str:
    """'a number, a name or '('' from Lark's terminal names."""
    names = set(terminals)
    if len(names & _OPERATORS) >= 3:
        names -= _OPERATORS
        names.add("OPERATOR")
    words = []
    for t in _ORDER + sorted(names - set(_ORDER)):
        if t in names:
            words.append("an operator" if t == "OPERATOR" else _WORDS.get(t, t))
    if not words:
        return "nothing more"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe(token: Token) -> str:
    """The token after 'unexpected ': "')'", "end of line"."""
    if token.type == "$END":
        return "end of input"
    text = str(token)
    if token.type == "_SEP":
        return "end of line" if text != ";" else "';'"
    if len(text) > 20:
        text = text[:20] + "…"
    return f"'{text}'"


def _in_context(allowed: set[str], text: str, pos: int) -> set[str]:
    """The lexer's allowed terminals, less those the parenthesis depth rules out: LALR merges
    lookaheads, so after `x` at the top level it also allows ')' and ','."""
    start = max(text.rfind("\n", 0, pos), text.rfind(";", 0, pos)) + 1  # this statement
    depth = text.count("(", start, pos) - text.count(")", start, pos)
    return allowed - ({"_SEP", "$END"} if depth > 0 else {"RPAR", "COMMA"})


def split_name(name: str, known: set[str]) -> list[str] | None:
    """'xy' → ['x', 'y'] when x and y are known: the product the user probably meant."""
    n = len(name)
    if n > 64:
        return None
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 1, n + 1):
            part = name[i:j]
            if part in known and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                best[j] = best[i] + [part]
    found = best[n]
    return found if found and len(found) > 1 else None


def _rule(method: Callable[..., Any]) -> Callable[[Any, list], Any]:
    """An inline rule callback. Lark passes the children as one list; unpacking them here
    costs one call per reduction (v_args(inline=True) costs three wrapper layers)."""

    def callback(self: Any, children: list) -> Any:
        return method(self, *children)

    callback.__wrapped__ = method  # type: ignore[attr-defined]
    callback.__name__ = method.__name__
    return callback


class _Builder(Transformer):
    """Inline LALR callbacks that build graph nodes as the parser reduces rules.

    Rule callbacks are marked @_rule. (Lark's class-level v_args(inline=True) wrapped every
    method, helpers included, and each call through its wrapper paid three extra calls and,
    for helpers, a functools.update_wrapper: a sixth of parse time.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.prog: Program | None = None
        self.base = 0
        self.text = ""

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

    def _lookup(self, tok: Token) -> E:
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
        raise _Pending(prog.unknown_name_message(name), start, end)

    # -- rules --
    @_rule
    def number(self, tok: Token) -> E:
        value = float(str(tok))
        if math.isinf(value):
            raise _Pending(f"the number {_clip(str(tok))} is too large for a float64 "
                           f"(largest is about 1.8e308)", tok.start_pos, tok.end_pos)
        return E(-1, tok.start_pos, tok.end_pos, value)

    _number = number.__wrapped__  # for implicit()

    @_rule
    def var(self, tok: Token) -> E:
        return self._lookup(tok)

    @_rule
    def paren(self, lpar: Token, e: E, rpar: Token) -> E:
        e.start, e.end = lpar.start_pos, rpar.end_pos  # e is this reduction's own value
        return e

    @_rule
    def neg(self, minus: Token, e: E) -> E:
        if e.node < 0:
            return E(-1, minus.start_pos, e.end, -e.lit)
        return self._make("neg", minus.start_pos, e.end, e.node)

    @_rule
    def binop(self, left: E, optok: Token, right: E) -> E:
        opname = INFIX_TOKENS[str(optok)]
        if opname == "pow" and right.node < 0:
            return self._make("powk", left.start, right.end, self._node(left), k=right.lit)
        a = self._node(left)
        return self._make(opname, left.start, right.end, a, self._node(right))

    power = binop

    @_rule
    def suppower(self, base: E, sup: Token) -> E:
        text = str(sup).translate(_SUPER_DIGITS)
        if text in ("-", "+") or not text.lstrip("+-").isdigit():
            raise _Pending(f"'{sup}' is not a power", sup.start_pos, sup.end_pos)
        return self._make("powk", base.start, sup.end_pos, self._node(base), k=float(int(text)))

    @_rule
    def implicit(self, tok: Token, right: E) -> E:
        left = self._number(tok)
        a = self._node(left)
        return self._make("mul", left.start, right.end, a, self._node(right))

    @_rule
    def args(self, *items: E | Token) -> list[E]:
        return [x for x in items if isinstance(x, E)]

    @_rule
    def call(self, name_tok: Token, lpar: Token, args: list[E], rpar: Token) -> E:
        name = str(name_tok)
        prog = self.prog
        start, end = name_tok.start_pos, rpar.end_pos
        if name not in FUNCTIONS:
            if name in prog.bindings or name in CONSTANTS:
                inside = self.text[lpar.start_pos:rpar.end_pos]
                raise _Pending(f"{name} is not a function; did you mean {name}*{_clip(inside)}?",
                               name_tok.start_pos, name_tok.end_pos)
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=3, cutoff=0.6)
            hint = f"; did you mean {_or(close)}?" if close else (
                f"; functions are {', '.join(sorted(FUNCTIONS))}")
            raise _Pending(f"unknown function '{_clip(name)}'{hint}", name_tok.start_pos,
                           name_tok.end_pos)
        opname, arity = FUNCTIONS[name]
        if len(args) != arity:
            want = "1 argument" if arity == 1 else f"{arity} arguments"
            raise _Pending(f"{name} takes {want}, got {len(args)}", start, end)
        if opname == "pow":
            base = self._node(args[0])
            if args[1].node < 0:
                return self._make("powk", start, end, base, k=args[1].lit)
            return self._make("pow", start, end, base, self._node(args[1]))
        return self._make(opname, start, end, self._node(args[0]))

    @_rule
    def assign(self, name_tok: Token, eq: Token, e: E) -> int:
        return self.prog.bind(self, name_tok, e, "real" if e.node < 0 else None)

    @_rule
    def declare(self, name_tok: Token, colon: Token, type_tok: Token, eq: Token, e: E) -> int:
        kind = str(type_tok)
        if kind not in TYPES:
            raise _Pending(f"unknown type '{_clip(kind)}': expected real or const",
                           type_tok.start_pos, type_tok.end_pos)
        if kind == "const" and e.node >= 0:
            raise _Pending("a const needs a number on the right of '='", e.start, e.end)
        return self.prog.bind(self, name_tok, e, kind if e.node < 0 else None)

    @_rule
    def program(self, *stmts: E | int) -> list[int]:
        return [s if isinstance(s, int) else self._node(s) for s in stmts]


def _clip(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


_BUILDER = _Builder()
_PARSER: Lark | None = None
_LOCK = threading.Lock()


def _check_name(tok: Token) -> Token:
    if len(tok) > MAX_NAME_LENGTH:
        raise _Pending(f"a name of {len(tok):,} characters is too long; names have at most "
                       f"{MAX_NAME_LENGTH} characters", tok.start_pos, tok.end_pos)
    return tok


def _too_deep(text: str) -> int:
    """Offset of the '(' that nests deeper than MAX_NESTING, or -1."""
    depth = 0
    for m in re.finditer(r"[()]", text):
        if m.group() == "(":
            depth += 1
            if depth > MAX_NESTING:
                return m.start()
        elif depth:
            depth -= 1
    return -1


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        _PARSER = Lark(grammar_text(), parser="lalr", start="program", transformer=_BUILDER,
                       maybe_placeholders=False, lexer_callbacks={"NAME": _check_name})
    return _PARSER


class Program:
    """A graph plus the names bound so far. Statements can be added one line at a time
    (the REPL); a statement that fails leaves the program exactly as it was."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.bindings: dict[str, int] = {}
        self.consts: set[str] = set()
        self.builtin: dict[str, int] = {}
        self.output: int | None = None

    # -- building --
    def run(self, text: str, file: str = "<input>", first_line: int = 1) -> list[int]:
        """Parse text and add its statements; returns each statement's node."""
        if text.count("(") > MAX_NESTING and (pos := _too_deep(text)) >= 0:
            raise self._at(f"parentheses are nested more than {MAX_NESTING:,} deep (the limit)",
                           text, file, first_line, pos, 1)
        if len(text) > MAX_SOURCE_CHARS:
            raise LangError(f"the input is {len(text):,} characters long; the limit is "
                            f"{MAX_SOURCE_CHARS:,} per file or line", file, first_line, 1)
        if len(text) > MAX_TOKENS and (tokens := len(_ROUGH_TOKEN.findall(text))) > MAX_TOKENS:
            raise LangError(f"the input has about {tokens:,} tokens; the limit is {MAX_TOKENS:,} "
                            "per file or line", file, first_line, 1)
        g = self.graph
        n0 = len(g)
        saved = (dict(self.bindings), set(self.consts), dict(self.builtin), self.output)
        base = g.source.add(text, file, first_line)
        try:
            with _LOCK:
                _BUILDER.prog, _BUILDER.base, _BUILDER.text = self, base, text
                try:
                    nodes = _parser().parse(text)
                finally:
                    _BUILDER.prog = None
        except (_Pending, UnexpectedInput, VisitError, RecursionError) as exc:
            err = self._error(exc, text, file, first_line)
            g.truncate(n0)
            g.source.drop_last()
            self.bindings, self.consts, self.builtin, self.output = saved
            raise err from None
        if nodes:
            self.output = nodes[-1]
        return nodes

    def bind(self, b: _Builder, name_tok: Token, e: E, kind: str | None) -> int:
        """name = e. kind 'real'/'const' with a number makes a leaf; None names a node."""
        name = str(name_tok)
        if name in self.consts:
            raise _Pending(f"{name} is a const and cannot be declared or assigned again",
                           name_tok.start_pos, name_tok.end_pos)
        g = self.graph
        if kind is None:
            node = e.node
            g.names.setdefault(node, name)
        else:
            op = CONST if kind == "const" else INPUT
            node = g.add(op, value=e.lit, start=b.base + name_tok.start_pos, end=b.base + e.end)
            g.names[node] = name
            if kind == "const":
                self.consts.add(name)
        self.bindings[name] = node
        return node

    # -- errors --
    def unknown_name_message(self, name: str) -> str:
        known = set(self.bindings) | set(CONSTANTS)
        parts = split_name(name, known)
        if parts:
            return f"unknown name '{_clip(name)}'; did you mean {'*'.join(parts)}?"
        close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
        if close:
            return f"unknown name '{_clip(name)}'; did you mean {_or(close)}?"
        if name in FUNCTIONS:
            return f"{name} is a function; call it as {name}(...)"
        return f"unknown name '{_clip(name)}'; give it a value first, e.g. {_clip(name)} = 1"

    def _error(self, exc: BaseException, text: str, file: str, first_line: int) -> LangError:
        if isinstance(exc, VisitError):
            exc = exc.orig_exc
        if isinstance(exc, _Pending):
            return self._at(exc.message, text, file, first_line, exc.start, exc.end - exc.start)
        if isinstance(exc, RecursionError):
            return LangError("the input is nested too deeply", file, first_line, 1)
        if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken)
                                              and exc.token.type == "$END"):
            expected = exc.expected if isinstance(exc, UnexpectedEOF) else exc.accepts
            end = len(text.rstrip())
            return self._at(f"unfinished input: expected {expected_words(set(expected))}",
                            text, file, first_line, end, 1)
        if isinstance(exc, UnexpectedToken):
            tok = exc.token
            msg = f"unexpected {_describe(tok)}; expected {expected_words(set(exc.accepts))}"
            return self._at(msg, text, file, first_line, tok.start_pos, len(str(tok)))
        if isinstance(exc, UnexpectedCharacters):
            ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
            shown = repr(ch)[1:-1] if not ch.isprintable() else ch
            msg = f"unexpected character '{shown}'"
            if ch == "\x00":
                msg = "unexpected NUL byte"
            allowed = _in_context(set(exc.allowed or ()), text, exc.pos_in_stream)
            if allowed:
                msg += f"; expected {expected_words(allowed)}"
            return self._at(msg, text, file, first_line, exc.pos_in_stream, 1)
        return LangError(str(exc), file, first_line, 1)

    @staticmethod
    def _at(message: str, text: str, file: str, first_line: int, pos: int,
            width: int) -> LangError:
        pos = max(0, min(pos, len(text)))
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        source_line = text[line_start:] if line_end == -1 else text[line_start:line_end]
        line = first_line + text.count("\n", 0, line_start)
        width = min(width, max(1, len(source_line) - (pos - line_start)))
        return LangError(message, file, line, pos - line_start + 1, source_line, width)

    # -- queries --
    def span(self, i: int) -> Span:
        g = self.graph
        chunk, line, col = g.source.locate(g.start[i])
        _, end_line, end_col = g.source.locate(max(g.start[i], g.end[i] - 1))
        return Span(chunk.file, line, col, end_line, end_col + 1)

    def error_at(self, i: int, message: str) -> LangError:
        """A LangError pointing at node i's span, with the source line and carets."""
        g = self.graph
        chunk, line, col = g.source.locate(g.start[i])
        _, end_line, end_col = g.source.locate(max(g.start[i], g.end[i] - 1))
        width = end_col + 1 - col if end_line == line else 1
        return LangError(message, chunk.file, line, col, g.source.line_text(chunk, line), width)

    def inputs(self) -> list[tuple[str, int]]:
        """(name, node) for each input in creation order: those bound to a name now, and
        those the output still uses after their name was rebound (c = 1; c = c + c + 1)."""
        g = self.graph
        used = g.cone(self.output) if self.output is not None else bytearray()
        bound = set(self.bindings.values())
        return [(g.names[i], i) for i in g.inputs()
                if i in bound or (i < len(used) and used[i])]


def parse(text: str, file: str = "<input>") -> Program:
    """Parse a whole program into a new Program."""
    prog = Program()
    prog.run(text, file)
    return prog
