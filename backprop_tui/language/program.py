"""A Program: a graph plus the names bound so far, built one statement at a time."""

from __future__ import annotations

import difflib

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..graph import Graph
from ..ops import CONST, CONSTANTS, FUNCTIONS, INPUT
from ..textutil import clip, join_or
from . import builder, names
from .builder import Builder, E, Tok
from .errors import LangError, Pending, Span, describe, expected_words, in_context, split_name
from .functions import FunctionDef
from .grammar import MAX_NESTING, MAX_SOURCE_CHARS, MAX_TOKENS, ROUGH_TOKEN, too_deep


class Program:
    """A graph plus the names bound so far. Statements can be added one line at a time
    (the REPL); a statement that fails leaves the program exactly as it was."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.bindings: dict[str, int] = {}
        self.consts: set[str] = set()
        self.builtin: dict[str, int] = {}  # pi, e… as first used; copy on write (run)
        self.output: int | None = None
        self.last_name: str | None = None  # the name the last statement bound (x2 = 3x)
        self.bound_last: str | None = None  # the name bound last during a parse
        # Warnings about how the last run read its text (x^2y is (x^2)·y): (message, node,
        # start, end) with offsets into the graph's source.
        self.notes: list[tuple[str, int, int, int]] = []
        self.functions: dict[str, FunctionDef] = {}  # copy on write (run)
        self.defined: list[FunctionDef] = []  # what the last run() defined
        self._journal: list[tuple[str, int | None, bool]] = []  # this run's bindings (run)

    @classmethod
    def from_graph(cls, graph: Graph, output: int) -> Program:
        """A program on a graph built elsewhere (the tracing API, an engine's rebuilt graph):
        its inputs and named constants are bound by name, so :set and later statements can
        use them. Every node's span is the graph's first chunk (add one if it has none)."""
        prog = cls()
        prog.graph = graph
        if not graph.source.chunks:
            graph.source.add("", "<graph>")
        for i, name in graph.names.items():
            o = graph.op[i]
            if o == INPUT or o == CONST:
                prog.bindings[name] = i
                if o == CONST:
                    prog.consts.add(name)
        prog.output = output
        return prog

    # -- building --
    def run(self, text: str, file: str = "<input>", first_line: int = 1) -> list[int]:
        """Parse text and add its statements; returns each statement's node."""
        if len(text) > MAX_NESTING:  # below every limit: a line of a file skips the checks
            self._check_size(text, file, first_line)
        g = self.graph
        n0 = len(g.op)
        self.notes = []
        # Bindings and consts are rolled back from a journal of this run's changes, O(the
        # run): copying them per statement made a file quadratic in its lines. builtin and
        # functions are replaced, never changed in place (copy on write: a run that adds one
        # copies them), so the dicts kept here are as they were.
        saved = (self.builtin, self.output, self.last_name, self.functions)
        if self._journal:
            self._journal = []
        base = g.source.add(text, file, first_line)
        if self.defined:
            self.defined = []
        try:
            nodes = builder.build(self, text, base)
        except (Pending, UnexpectedInput, VisitError, RecursionError) as exc:
            err = self._error(exc, text, file, first_line)
            g.truncate(n0)
            g.source.drop_last()
            for name, old, made_const in reversed(self._journal):
                if old is None:
                    self.bindings.pop(name, None)
                else:
                    self.bindings[name] = old
                if made_const:
                    self.consts.discard(name)
            self._journal = []
            self.builtin, self.output, self.last_name, self.functions = saved
            self.notes = []
            self.defined = []
            raise err from None
        if nodes:
            self.output = nodes[-1]
        return nodes

    def _check_size(self, text: str, file: str, first_line: int) -> None:
        """The limits on one run's text (MAX_NESTING < MAX_TOKENS < MAX_SOURCE_CHARS)."""
        if text.count("(") > MAX_NESTING and (pos := too_deep(text)) >= 0:
            raise self._at(f"parentheses are nested more than {MAX_NESTING:,} deep (the limit)",
                           text, file, first_line, pos, 1)
        if len(text) > MAX_SOURCE_CHARS:
            raise LangError(f"the input is {len(text):,} characters long; the limit is "
                            f"{MAX_SOURCE_CHARS:,} per file or line", file, first_line, 1)
        if len(text) > MAX_TOKENS and (tokens := len(ROUGH_TOKEN.findall(text))) > MAX_TOKENS:
            raise LangError(f"the input has about {tokens:,} tokens; the limit is {MAX_TOKENS:,} "
                            "per file or line", file, first_line, 1)

    def define(self, f: FunctionDef) -> None:
        """Store a definition (a later one of the same name replaces it for later calls)."""
        f.redefines = f.name in self.functions
        self.functions = {**self.functions, f.name: f}  # copy on write (run's rollback)
        self.defined.append(f)

    def bind(self, b: Builder, name_tok: Tok, e: E, kind: str | None) -> int:
        """name = e. kind 'real'/'const' with a number makes a leaf; None names a node."""
        name = str(name_tok)
        if name in self.consts:
            raise Pending(f"{name} is a const and cannot be declared or assigned again",
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
        # (name, its node before, whether this made it a const): bind refuses a const twice
        self._journal.append((name, self.bindings.get(name), kind == "const"))
        self.bindings[name] = node
        self.bound_last = name
        return node

    # -- errors --
    def unknown_name_message(self, name: str) -> str:
        known = set(self.bindings) | set(CONSTANTS)
        parts = split_name(name, known)
        if parts:
            return f"unknown name '{clip(name, 30)}'; did you mean {'*'.join(parts)}?"
        close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
        if close:
            return f"unknown name '{clip(name, 30)}'; did you mean {join_or(close)}?"
        if name in FUNCTIONS or name in self.functions:
            return f"{name} is a function; call it as {name}(...)"
        return f"unknown name '{clip(name, 30)}'; give it a value first, e.g. {clip(name, 30)} = 1"

    def _error(self, exc: BaseException, text: str, file: str, first_line: int) -> LangError:
        if isinstance(exc, VisitError):
            exc = exc.orig_exc
        if isinstance(exc, Pending):
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
            width = (tok.end_pos or 0) - (tok.start_pos or 0)  # as typed (names are normalised)
            typed = text[tok.start_pos or 0:tok.end_pos or 0] if width > 0 else None
            msg = f"unexpected {describe(tok, typed)}; expected {expected_words(set(exc.accepts))}"
            return self._at(msg, text, file, first_line, tok.start_pos or 0, width)
        if isinstance(exc, UnexpectedCharacters):
            at = exc.pos_in_stream or 0
            ch = text[at] if at < len(text) else "?"
            shown = repr(ch)[1:-1] if not ch.isprintable() else ch
            msg = f"unexpected character '{shown}'"
            if ch == "\x00":
                msg = "unexpected NUL byte"
            allowed = in_context(set(exc.allowed or ()), text, at)
            if allowed:
                msg += f"; expected {expected_words(allowed)}"
            return self._at(msg, text, file, first_line, at, 1)
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

    def lookup(self, name: str) -> int | None:
        """The node a name is bound to, the name as typed in a command (NFKC: ｘ is x)."""
        node = self.bindings.get(name)
        return node if node is not None else self.bindings.get(names.normalise(name))

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

    def statement_text(self, i: int, limit: int = 60) -> str:
        """The statement node i comes from, as typed (clipped): for lines typed in a session,
        whose line:column point into a buffer the user never sees."""
        g = self.graph
        return clip(g.source.statement_at(g.start[i], limit + 1).strip(), limit)

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
