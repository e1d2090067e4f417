"""The expression language: precedence, implicit products, Unicode, statements, bindings,
labels, spans and the exact text of every kind of error."""

from __future__ import annotations

import math

import pytest

from backprop_tui.graph import Graph
from backprop_tui.labels import LABEL_BUDGET, label
from backprop_tui.language import LangError, Program, parse
from backprop_tui.ops import CONST, INPUT, LITERAL, OPS


def shape(g: Graph, i: int) -> str:
    """Node i as an S-expression of op names: (neg (powk x 2)). Leaves show their name or
    number; powk shows its exponent. Built iteratively from the graph arrays."""
    out: list[str] = []
    stack: list[int | str] = [i]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        o = g.op[item]
        if o in (INPUT, CONST):
            out.append(g.names[item])
        elif o == LITERAL:
            v = g.value[item]
            out.append(str(int(v)) if v == int(v) else repr(v))
        else:
            parts: list[int | str] = ["(" + OPS[o].name, " ", g.a[item]]
            if g.b[item] >= 0:
                parts += [" ", g.b[item]]
            if OPS[o].kind == "powk":
                k = g.k[item]
                parts += [" " + (str(int(k)) if k == int(k) else repr(k))]
            parts.append(")")
            stack.extend(reversed(parts))
    return "".join(out)


def out_shape(src: str) -> str:
    prog = parse(src)
    return shape(prog.graph, prog.output)


def value(src: str) -> float:
    prog = parse(src)
    prog.graph.forward()
    return prog.graph.value[prog.output]


def error(src: str) -> LangError:
    with pytest.raises(LangError) as info:
        parse(src)
    return info.value


XY = "x = 2; y = 3; "

# -- precedence and associativity --

PRECEDENCE = [
    # source, structure, value (written out by hand, independent of the parser)
    ("-x^2", "(neg (powk x 2))", -(2 ** 2)),
    # 3^2 is a node (a power of a literal), so 2^(3^2) has a variable exponent.
    ("2^3^2", "(pow 2 (powk 3 2))", 2 ** 9),
    ("2^-1", "(powk 2 -1)", 0.5),
    ("2*3+4", "(add (mul 2 3) 4)", 10),
    ("2+3*4", "(add 2 (mul 3 4))", 14),
    ("8/4/2", "(div (div 8 4) 2)", 1),
    ("2-3-4", "(sub (sub 2 3) 4)", -5),
    ("-2^2", "(neg (powk 2 2))", -4),
    ("x**2", "(powk x 2)", 4),
    ("x**y", "(pow x y)", 8),
    ("x^y^2", "(pow x (powk y 2))", 2 ** 9),
    ("(-2)^2", "(powk -2 2)", 4),
    ("2*-3", "(mul 2 -3)", -6),
    ("--x", "(neg (neg x))", 2),
    ("-2^-2", "(neg (powk 2 -2))", -0.25),
    ("2^3*2", "(mul (powk 2 3) 2)", 16),
    ("2*3^2", "(mul 2 (powk 3 2))", 18),
    ("1-2+3", "(add (sub 1 2) 3)", 2),
    ("x/y*x", "(mul (div x y) x)", 2 / 3 * 2),
    ("x-y*x^2", "(sub x (mul y (powk x 2)))", 2 - 3 * 4),
    ("-x*y", "(mul (neg x) y)", -6),
    ("x - -y", "(sub x (neg y))", 5),
    ("(x+y)*(x-y)", "(mul (add x y) (sub x y))", -5),
    ("pow(x, 3)", "(powk x 3)", 8),
    ("pow(x, y)", "(pow x y)", 8),
]


@pytest.mark.parametrize("src, structure, expected", PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence_and_associativity(src, structure, expected):
    assert out_shape(XY + src) == structure
    assert value(XY + src) == pytest.approx(expected)


# -- implicit multiplication --

IMPLICIT = [
    ("3x", "(mul 3 x)", 6),
    ("3x^2", "(mul 3 (powk x 2))", 12),
    ("2(x+1)", "(mul 2 (add x 1))", 6),
    ("2sin(x)", "(mul 2 (sin x))", 2 * math.sin(2)),
    ("3x²", "(mul 3 (powk x 2))", 12),
    ("3x*y", "(mul (mul 3 x) y)", 18),
    ("-3x", "(neg (mul 3 x))", -6),
    ("2x^-1", "(mul 2 (powk x -1))", 1),
    ("1.5e1x", "(mul 15 x)", 30),
    (".5x", "(mul 0.5 x)", 1),
    ("2 x", "(mul 2 x)", 4),
]


@pytest.mark.parametrize("src, structure, expected", IMPLICIT, ids=[p[0] for p in IMPLICIT])
def test_implicit_multiplication(src, structure, expected):
    assert out_shape(XY + src) == structure
    assert value(XY + src) == pytest.approx(expected)


@pytest.mark.parametrize("src", ["x y", "x 2", "2 3", "(x)(y)", "(x+1)2", "x(y)z"])
def test_juxtaposition_is_only_after_a_number(src):
    with pytest.raises(LangError):
        parse(XY + src)


# -- numbers and Unicode --

@pytest.mark.parametrize("src, expected", [
    ("2", 2.0), ("2.5", 2.5), (".5", 0.5), ("1e-3", 0.001), ("2.", 2.0), ("1E3", 1000.0),
    ("1.5e+2", 150.0), ("007", 7.0),
])
def test_numbers(src, expected):
    assert value(src) == expected


UNICODE = [
    ("α = 2; α^2", "(powk α 2)", 4),
    ("x₁ = 4; x₁*2", "(mul x₁ 2)", 8),
    ("x = 3; x²", "(powk x 2)", 9),
    ("x = 3; x³", "(powk x 3)", 27),
    ("x = 2; x¹⁰", "(powk x 10)", 1024),
    ("x = 4; x⁻¹", "(powk x -1)", 0.25),
    ("x = 4; 3x²", "(mul 3 (powk x 2))", 48),
    ("x = 2; x × 3", "(mul x 3)", 6),
    ("x = 2; x · 3", "(mul x 3)", 6),
    ("x = 2; x − 3", "(sub x 3)", -1),
    ("x = 2; −x", "(neg x)", -2),
    ("x = 2; (x+1)²", "(powk (add x 1) 2)", 9),
    ("größe = 2; größe", "größe", 2),
    ("変数 = 5; 変数 + 1", "(add 変数 1)", 6),
    ("θ₂ = 1; θ₂²", "(powk θ₂ 2)", 1),
]


@pytest.mark.parametrize("src, structure, expected", UNICODE, ids=[u[0] for u in UNICODE])
def test_unicode_input(src, structure, expected):
    assert out_shape(src) == structure
    assert value(src) == pytest.approx(expected)


def test_superscript_digits_are_not_part_of_names():
    prog = parse("x = 3; x²")
    assert set(prog.bindings) == {"x"}


# -- statements, comments, separators --

@pytest.mark.parametrize("src", [
    "x = 1; y = 2; x + y",
    "x = 1\ny = 2\nx + y",
    "x = 1\r\ny = 2\r\nx + y\r\n",
    "# a comment\nx = 1  # the first input\n\ny = 2;; # two\n\nx + y\n# trailing\n",
    ";x = 1;\n;y = 2\n\tx + y;",
])
def test_separators_and_comments(src):
    assert value(src) == 3.0


def test_output_is_the_last_statement():
    prog = parse("x = 2; y = x^2; x + 1; y")
    assert prog.output == prog.bindings["y"]
    assert parse("x = 2; y = x^2").output == parse("x = 2; y = x^2").bindings["y"]


def test_empty_program_has_no_output():
    assert parse("").output is None
    assert parse("# nothing\n\n;").output is None


def test_statements_return_their_nodes():
    prog = Program()
    nodes = prog.run("x = 2; x^2; 3")
    g = prog.graph
    assert [OPS[g.op[n]].name for n in nodes] == ["input", "powk", "literal"]


# -- bindings --

def test_number_on_the_right_makes_an_input_and_an_expression_a_named_node():
    prog = parse("x = 2; n = -1.5; h = x*n; h")
    g = prog.graph
    assert g.op[prog.bindings["x"]] == INPUT and g.op[prog.bindings["n"]] == INPUT
    assert g.value[prog.bindings["n"]] == -1.5
    assert OPS[g.op[prog.bindings["h"]]].name == "mul"
    assert label(g, prog.bindings["h"]) == "h"
    assert [name for name, _ in prog.inputs()] == ["x", "n"]


def test_rebinding_sees_the_previous_binding():
    prog = parse("c = 1\nc = c + c + 1\nc = c * 2\nc")
    g = prog.graph
    g.forward()
    g.backward(prog.output)
    assert g.value[prog.output] == 6.0
    assert shape(g, prog.output) == "(mul (add (add c c) 1) 2)"
    first = min(i for i in range(len(g)) if g.op[i] == INPUT)
    assert g.grad[first] == 4.0


def test_rebinding_an_input_to_a_number_makes_a_new_input():
    prog = parse("x = 1; y = x*2; x = 5; x + y")
    prog.graph.forward()
    assert prog.graph.value[prog.output] == 7.0
    # Both x nodes are inputs of f: the first (shadowed, still used through y) and the new one.
    inputs = prog.inputs()
    assert [name for name, _ in inputs] == ["x", "x"]
    assert [prog.graph.value[i] for _, i in inputs] == [1.0, 5.0]
    assert inputs[1][1] == prog.bindings["x"]


def test_declared_real_is_an_input():
    prog = parse("w: real = 2.0; w^2")
    assert prog.graph.op[prog.bindings["w"]] == INPUT
    assert value("w: real = -2.5; w") == -2.5


def test_const_gets_no_gradient():
    prog = parse("c: const = 3; x = 2; c*x")
    g = prog.graph
    c = prog.bindings["c"]
    assert g.op[c] == CONST and not g.takes_grad(c)
    g.forward()
    g.backward(prog.output)
    assert g.value[prog.output] == 6.0
    assert g.grad[c] == 0.0 and g.grad[prog.bindings["x"]] == 3.0
    assert [name for name, _ in prog.inputs()] == ["x"]


def test_const_accepts_a_signed_number():
    assert value("c: const = -2; c") == -2.0


def test_a_binding_shadows_a_constant():
    prog = parse("e = 3; e*2")
    assert prog.graph.op[prog.bindings["e"]] == INPUT
    assert value("e = 3; e*2") == 6.0
    assert value("pi = 3; pi") == 3.0
    assert value("e") == math.e and value("pi") == math.pi
    assert value("e^2") == pytest.approx(math.e ** 2)


def test_function_names_are_not_reserved():
    assert value("exp = 3; sin = 2; exp*sin") == 6.0
    assert value("exp = 3; exp(0)") == 1.0  # a call still resolves to the function


def test_a_failed_statement_leaves_the_program_unchanged():
    prog = Program()
    prog.run("x = 2; y = x + 1")
    before = (len(prog.graph), dict(prog.bindings), prog.output)
    with pytest.raises(LangError):
        prog.run("z = x * 3; w = nope")
    assert (len(prog.graph), dict(prog.bindings), prog.output) == before
    prog.run("x * y", first_line=2)
    prog.graph.forward()
    assert prog.graph.value[prog.output] == 6.0


# -- labels --

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def test_seed_has_exactly_the_nine_labels_of_the_picture():
    prog = parse(SEED)
    g = prog.graph
    assert len(g) == 9
    assert sorted(label(g, i) for i in range(len(g))) == sorted(
        ["x", "3", "y", "1", "3x", "3xy", "x²", "x²+3xy", "x²+3xy+1"])
    assert label(g, prog.output) == "x²+3xy+1"


@pytest.mark.parametrize("src, expected", [
    ("x = 2; h = x^2 + 1; h*3", "h·3"),
    ("x = 2; y = 3; x*(y+1)", "x·(y+1)"),
    ("x = 2; y = 3; (x+y)*(x-y)", "(x+y)·(x-y)"),
    ("x = 2; (-x)^2", "(-x)²"),
    ("x = 2; -x^2", "-x²"),
    ("x = 2; y = 3; x-(y-1)", "x-(y-1)"),
    ("x = 2; y = 3; x - -y", "x-(-y)"),
    ("x = 2; y = 1; -(x+y)", "-(x+y)"),
    ("x = 2; 2(x+1)", "2(x+1)"),
    ("x = 2; sin(x)^2", "sin(x)²"),
    ("x = 2; y = 3; x^y^2", "x^y²"),
])
def test_labels_use_minimal_parentheses(src, expected):
    prog = parse(src)
    assert label(prog.graph, prog.output) == expected


def test_a_bound_name_wins():
    prog = parse("x = 2; h = x^2 + 1; h*3")
    g = prog.graph
    assert label(g, prog.bindings["h"]) == "h"
    assert label(g, prog.output) == "h·3"


def test_long_labels_are_elided_and_bounded():
    prog = parse("x = 1; " + "+".join(["x"] * 1000))
    g = prog.graph
    labels = [label(g, i) for i in range(len(g))]
    assert max(map(len, labels)) <= LABEL_BUDGET
    assert "…" in labels[-1]
    assert labels[1] == "x+x"


# -- spans --

def test_spans_are_line_column_ranges():
    prog = parse("x = 2\ny = 3\nx^2 + 3x*y")
    g = prog.graph
    by_label = {label(g, i): prog.span(i) for i in range(len(g))}
    assert str(by_label["x²+3xy"]) == "3:1-10"
    assert str(by_label["3x"]) == "3:7-8"
    assert str(by_label["x²"]) == "3:1-3"
    assert str(by_label["x"]) == "1:1-5"  # the declaration x = 2
    s = by_label["3xy"]
    assert (s.file, s.line, s.col, s.end_line, s.end_col) == ("<input>", 3, 7, 3, 11)


def test_spans_of_later_chunks_count_from_their_first_line():
    prog = Program()
    prog.run("x = 2", file="<repl>", first_line=1)
    prog.run("  x^2", file="<repl>", first_line=2)
    assert str(prog.span(prog.output)) == "2:3-5"
    assert prog.span(prog.output).file == "<repl>"


# -- errors: exact text --

def test_parse_error_format():
    err = error("x = 2; y = 3; x +* y")
    assert err.format() == (
        "<input>:1:18: error: unexpected '*'; expected a number, a name, '(' or '-'\n"
        "    x = 2; y = 3; x +* y\n"
        "                     ^")


def test_parse_error_on_a_later_line_keeps_tabs_under_the_caret():
    err = error("x = 1\n\ty = @ 2")
    assert (err.line, err.col) == (2, 6)
    assert err.format() == (
        "<input>:2:6: error: unexpected character '@'; expected a number, a name, '(' or '-'\n"
        "    \ty = @ 2\n"
        "    \t    ^")


def test_unexpected_character_lists_only_what_fits_the_parenthesis_depth():
    # At the top level a name may be followed by an operator, '(' (a call), '=' or ':'
    # (a binding) or the end of the statement; never ')' or ','.
    assert error("x = 1; x $ 2").message == (
        "unexpected character '$'; expected '(', an operator, '=', ':' or the end of the "
        "statement")
    # Inside parentheses the statement cannot end there.
    assert error("x = 1; pow(x $ 2)").message == (
        "unexpected character '$'; expected '(', an operator, ',' or ')'")


def test_caret_on_a_long_line_shows_the_spot():
    src = "x = 1; " + "+".join(["x"] * 500) + " $ 2"
    err = error(src)
    assert err.col == src.index("$") + 1
    line, caret = err.format().splitlines()[1:]
    assert caret.endswith("^") and line[len(caret) - 1] == "$"
    assert line.startswith("    …") and len(line) <= 4 + 200


def test_unfinished_input():
    err = error("x = (1 + 2")
    assert err.format() == ("<input>:1:11: error: unfinished input: expected ')'\n"
                            "    x = (1 + 2\n"
                            "              ^")
    assert error("x = 2; x^").message == ("unfinished input: expected a number, a name, '(' "
                                          "or '-'")
    assert error("x =").message.startswith("unfinished input: expected a number")


def test_unexpected_token_words():
    assert error("x = 2\ny = 2 )").message == (
        "unexpected ')'; expected the end of the statement or the end of the input")
    assert error("x = 2; (x+1)2").message == (
        "unexpected '2'; expected an operator, the end of the statement or the end of the input")


def test_a_line_that_ends_too_early():
    # A newline ends a statement, so an expression cannot continue on the next line.
    err = error("x = 2\ny = (x +\n 1)")
    assert err.format() == (
        "<input>:2:9: error: unexpected end of line; expected a number, a name, '(' or '-'\n"
        "    y = (x +\n"
        "            ^")
    assert error("x = 2; y = (x +;").message == (
        "unexpected ';'; expected a number, a name, '(' or '-'")


def test_unknown_name_suggests_a_product():
    err = error("x = 2; y = 3; xy")
    assert err.format() == ("<input>:1:15: error: unknown name 'xy'; did you mean x*y?\n"
                            "    x = 2; y = 3; xy\n"
                            "                  ^^")


def test_unknown_name_suggests_near_misses():
    assert error("xval = 2; xvl").message == "unknown name 'xvl'; did you mean xval?"
    assert error("alpha = 1; alpah").message == "unknown name 'alpah'; did you mean alpha?"


def test_unknown_name_without_suggestions():
    assert error("q + 1").message == "unknown name 'q'; give it a value first, e.g. q = 1"


def test_function_used_as_a_name():
    assert error("sin").message == "sin is a function; call it as sin(...)"


def test_unknown_function():
    assert error("sinn(2)").message == "unknown function 'sinn'; did you mean sin?"
    assert error("foo(2)").message == (
        "unknown function 'foo'; functions are abs, cos, exp, log, max, min, pow, relu, sigmoid, "
        "sin, sqrt, sum, tan, tanh")


def test_wrong_number_of_arguments():
    assert error("sin(1, 2)").message == "sin takes 1 argument, got 2"
    assert error("pow(2)").message == "pow takes 2 arguments, got 1"
    err = error("exp()")
    assert err.message == "exp takes 1 argument, got 0"
    assert (err.col, err.width) == (1, 5)


def test_a_name_called_like_a_function_suggests_a_product():
    err = error("x = 2; y = 3; x(y+1)")
    assert err.format() == ("<input>:1:15: error: x is not a function; did you mean x*(y+1)?\n"
                            "    x = 2; y = 3; x(y+1)\n"
                            "                  ^")


def test_number_too_large():
    err = error("x = 1e999")
    assert err.message == "the number 1e999 is too large for a float64 (largest is about 1.8e308)"
    assert (err.col, err.width) == (5, 5)


def test_nul_byte():
    err = error("1 + \x00")
    assert err.message == "unexpected NUL byte; expected a number, a name, '(' or '-'"
    assert err.format().splitlines()[1] == "    1 + \ufffd"


def test_unknown_type():
    err = error("x: int = 2")
    assert err.format() == ("<input>:1:4: error: unknown type 'int': expected real or const\n"
                            "    x: int = 2\n"
                            "       ^^^")


def test_const_cannot_be_declared_or_assigned_again():
    msg = "c is a const and cannot be declared or assigned again"
    assert error("c: const = 3\nc: const = 4").message == msg
    err = error("c: const = 3; c = c + 1")
    assert err.message == msg and err.col == 15


def test_const_needs_a_number():
    assert error("x = 2; c: const = x").message == "a const needs a number on the right of '='"


def test_errors_name_the_file_and_line():
    with pytest.raises(LangError) as info:
        Program().run("x = 2\n\nx +", file="model.bp")
    assert info.value.where == "model.bp:3:4"  # just past the end, where more was expected


def test_the_size_limits_nest_as_program_run_assumes():
    # Program.run checks the limits only for a text longer than MAX_NESTING: a shorter one
    # has at most that many '(' and is under the token and character limits too.
    from backprop_tui.language import MAX_NESTING, MAX_SOURCE_CHARS, MAX_TOKENS

    assert MAX_NESTING <= MAX_TOKENS <= MAX_SOURCE_CHARS
    deep = "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1)
    with pytest.raises(LangError, match=f"nested more than {MAX_NESTING:,} deep"):
        Program().run(deep)
    assert Program().run("(" * 1000 + "1" + ")" * 1000)  # under the limit: parsed
