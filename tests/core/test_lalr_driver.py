"""language/lalr.py's driver gives exactly what Lark.parse gives on the same tables: the
same graph, bindings and notes for valid text, and for bad text the same exception (type,
token, position, expected sets) and so the same message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from backprop_tui.language import LangError, Program, builder

_ALPHABET = st.sampled_from(list("xyz12.e ()+-*/^²⁻;\n=:,#") + ["sin", "max", "f(x)=", "real",
                                                                  "const", "**", "−", "π", "x₁"])
TEXTS = st.lists(_ALPHABET, max_size=25).map("".join)


class _LarkParse:
    """The reference: Lark.parse on the grammar with the same builder as transformer."""

    def __init__(self) -> None:
        self.lark = builder.lark_parser()

    def parse(self, text: str) -> object:
        return self.lark.parse(text)


_REFERENCE = _LarkParse()


def _outcome(text: str, reference: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """Everything a run leaves behind: the graph's arrays, names, bindings and notes, or
    the error message; the raw exception's fields from a second, direct build()."""
    if reference:
        monkeypatch.setattr(builder, "_PARSER", _REFERENCE)
    else:
        monkeypatch.setattr(builder, "_PARSER", None)
    prog = Program()
    prog.run("x = 2; y = 3; g(a, b) = a*b + 1")
    try:
        nodes = prog.run(text)
        result: tuple = ("ok", nodes)
    except LangError as err:
        result = ("error", str(err), err.line, err.col, err.caret())
    g = prog.graph
    state = (list(g.op), list(g.a), list(g.b), list(g.k), list(g.start), list(g.end),
             dict(g.names), dict(prog.bindings), sorted(prog.consts), sorted(prog.functions),
             prog.notes, prog.output, prog.last_name)
    raw: tuple = ()
    fresh = Program()
    try:
        builder.build(fresh, text, 0)
    except UnexpectedInput as exc:
        raw = (type(exc).__name__, exc.line, exc.column, getattr(exc, "pos_in_stream", None))
        if isinstance(exc, UnexpectedToken):
            tok = exc.token
            raw += (tok.type, str(tok), tok.start_pos, tok.end_pos, tok.line, tok.column,
                    sorted(exc.expected), sorted(exc.accepts))
        if isinstance(exc, UnexpectedCharacters):
            raw += (sorted(exc.allowed or ()), exc.char)
        if isinstance(exc, UnexpectedEOF):
            raw += (sorted(exc.expected),)
    except Exception as exc:  # Pending and the like: compared by type and text
        raw = (type(exc).__name__, str(exc))
    return result, state, raw


@given(TEXTS)
def test_driver_matches_lark_parse(text: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        ours = _outcome(text, False, mp)
        theirs = _outcome(text, True, mp)
    assert ours == theirs


@pytest.mark.parametrize("text", [
    "", "\n\n", "x + ", "x = = 2", "(x", "x)", "3x^2y + sin(x)", "f(x) = x^2\nf(3)",
    "x @ 2", "1e999", "x: real = 2; x: real = 3", "k: const = 2; k = 3", "max(x, y, x*y)",
    "g(1)", "g(1, 2)", "sin x", "x²⁻", "\x00", "x = 2 # note\ny", "2^-1x", "x/2y",
])
def test_driver_matches_lark_parse_examples(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _outcome(text, False, monkeypatch) == _outcome(text, True, monkeypatch)


def test_an_error_keeps_its_parser_state_when_the_driver_parses_again():
    # The driver reuses its lexer and parser state from one parse to the next; an error
    # takes them along (its interactive parser), so the next parse must build new ones.
    prog = Program()
    prog.run("x = 2")
    with pytest.raises(UnexpectedInput) as caught:
        builder.build(prog, "x + * 2", 0)
    state = caught.value.interactive_parser.parser_state
    stack, accepts = list(state.state_stack), caught.value.interactive_parser.accepts()
    assert builder.build(Program(), "y = 3; y*y + 1", 0)  # a parse after the error
    assert state.state_stack == stack and caught.value.interactive_parser.accepts() == accepts
    assert builder.build(Program(), "z = 1; z + 2", 0)  # and the one after that reuses
