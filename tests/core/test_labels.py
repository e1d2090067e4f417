"""labels: numbers, node labels, formulas and derivative text."""

from __future__ import annotations

import pytest

from backprop_tui.labels import LABEL_BUDGET, deriv_text, fmt_num, fmt_val, formula, kind_name, label
from backprop_tui.language import parse


@pytest.mark.parametrize(("x", "num", "val"), [
    (3.0, "3", "3"), (2.5, "2.5", "2.5"), (-1.5e-8, "-1.5e-08", "-1.5e-08"),
    (1 / 3, "0.3333333333333333", "0.333333"), (float("nan"), "nan", "nan"),
])
def test_numbers_print_as_a_program_and_as_a_display_would(x, num, val):
    assert fmt_num(x) == num and fmt_val(x) == val


def test_the_seed_labels_are_the_lectures():
    prog = parse("x = 2; y = 3; x^2 + 3x*y + 1")
    g = prog.graph
    labels = {label(g, i) for i in range(len(g))}
    assert labels == {"x", "3", "y", "1", "3x", "3xy", "x²", "x²+3xy", "x²+3xy+1"}


def test_formulas_show_the_operation_with_numbers():
    prog = parse("x = 2; y = 3; x^2 + 3x*y + 1")
    g = prog.graph
    g.forward()
    by_label = {label(g, i): i for i in range(len(g))}
    assert formula(g, by_label["3x"]) == "3x = 3 × 2 = 6"
    assert formula(g, by_label["x²"]) == "x² = 2² = 4"


def test_derivative_text_of_each_operand():
    prog = parse("x = 2; y = 3; x^2 + 3x*y + 1")
    g = prog.graph
    by_label = {label(g, i): i for i in range(len(g))}
    assert deriv_text(g, by_label["x²"], 0) == "2x"
    assert deriv_text(g, by_label["3xy"], 0) == "y" and deriv_text(g, by_label["3xy"], 1) == "3x"
    cube = parse("x = 2; x^3").graph
    assert deriv_text(cube, len(cube) - 1, 0) == "3x²"


def test_long_labels_are_elided_within_the_budget():
    prog = parse("x = 1; " + "+".join(f"x*{k}" for k in range(2, 60)))
    text = label(prog.graph, prog.output)
    assert len(text) <= LABEL_BUDGET + 1 and text.endswith("…")


def test_kind_names():
    prog = parse("x = 2; c: const = 3; x*c")
    g = prog.graph
    assert [kind_name(g, i) for i in range(len(g))] == ["input", "const", "mul"]
