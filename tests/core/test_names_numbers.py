"""Names, numbers and implicit products (issue 16, items 10-12).

- 10: the Unicode minus U+2212 in an exponent (2e−3) is the same number everywhere: in the
  grammar and in every command argument that takes a number (:set, :expect, :pause, h=).
- 11: names are Python's identifiers (XID_Start, XID_Continue, combining marks included),
  NFKC-normalised (fullwidth ｘ is x; NFD é is é), plus subscript digits kept as typed;
  superscript digits are never part of a name (x² is x^2). Spans stay those of the text typed.
- 12: x^2y is (x^2)·y, 2^3x is (2^3)·x, x/2y is x/(2y), each with a warning saying so.
"""

from __future__ import annotations

import unicodedata

import pytest
from test_language import out_shape, value

from backprop_tui.events import Error, Expect, Info, Statement, Warn
from backprop_tui.language import LangError, Program, parse
from backprop_tui.session import Session


def events_of(lines: list[str]) -> tuple[Session, list]:
    s = Session()
    out = []
    for line in lines:
        out += s.run_line(line)
    return s, out


# ------------------------------------------------------------------ item 10


@pytest.mark.parametrize("src, expected", [("2e−3", 0.002), ("1.5E−2", 0.015), ("2e-3", 0.002),
                                           ("3e+2", 300.0)])
def test_unicode_minus_in_an_exponent_is_part_of_the_number(src, expected):
    """Regression: `x = 2e−3` was 2·e − 3 (x became an intermediate node)."""
    assert value(src) == expected
    prog = parse(f"x = {src}")
    assert prog.inputs() == [("x", prog.bindings["x"])]  # a number: x is an input


def test_unicode_minus_in_every_number_argument():
    """Regression: `:expect value x = 2e−3` read 0.002 while the statement made 2e − 3, and
    `:set x = 1e−3` was refused. Now each reads the same number as the language."""
    s, events = events_of(["x = 2e−3", "y = x*1e3", ":expect value x = 2e−3",
                           ":set x = 1e−3", ":expect value x = 0.001 ± 1e−12",
                           ":check h=1e−4", ":pause 1e−1", ":expect grad x = 0 ± 1e−9"])
    errors = [e for e in events if isinstance(e, Error)]
    assert errors == []
    assert [e.passed for e in events if isinstance(e, Expect)] == [True, True, True]
    assert s.prog.graph.value[s.prog.bindings["x"]] == 0.001
    check = next(e for e in events if e.kind == "check")
    assert check.rows[0].h == 1e-4
    assert next(e for e in events if e.kind == "pause").seconds == 0.1


# ------------------------------------------------------------------ item 11


NAMES = [
    ("गति", "गति"),  # Devanagari with a vowel sign (Mc)
    ("ராம்", "ராம்"),  # Tamil with a virama (Mn)
    ("ความเร็ว", "ความเร็ว"),  # Thai with a tone mark (Mn)
    (unicodedata.normalize("NFD", "é"), "é"),  # e + U+0301 combining acute: NFC
    ("ｘ", "x"),  # fullwidth: NFKC
    ("ℌ", "H"),
    ("x₁", "x₁"),  # subscript digits are kept as typed
    ("θ₂ᵢ", "θ₂i"),
    ("_under", "_under"),
    ("café_2", "café_2"),
]


@pytest.mark.parametrize("typed, name", NAMES, ids=[n for _, n in NAMES])
def test_identifier_characters_as_python_takes_them(typed, name):
    """Regression: names with combining marks were refused (`गति = 2`: unexpected
    character), though the README says letters of any script."""
    prog = parse(f"{typed} = 2; {typed}^2 + 1")
    assert list(prog.bindings) == [name]
    s, events = events_of([f"{typed} = 2", f"{typed} * 3", f":expect value {typed} = 2",
                           f":set {typed} = 5"])
    assert [type(e) for e in events[:2]] == [Statement, Statement]
    assert events[2].passed and isinstance(events[3], Info)
    assert s.summary().output["value"] == 15


def test_a_normalised_name_is_the_same_name():
    prog = parse("ｘ = 2; x + ｘ")
    assert list(prog.bindings) == ["x"] and value("ｘ = 2; x + ｘ") == 4
    nfc, nfd = "é", unicodedata.normalize("NFD", "é")
    assert value(f"{nfc} = 3; {nfd} * {nfc}") == 9


def test_spans_are_those_of_the_text_typed():
    """Normalising names must not move spans: NFD é is two characters in the source."""
    nfd = unicodedata.normalize("NFD", "é")
    prog = Program()
    with pytest.raises(LangError) as info:
        prog.run(f"{nfd} = 2; {nfd} + q")
    assert info.value.col == len(f"{nfd} = 2; {nfd} + ") + 1
    text = f"{nfd} = 2; y = {nfd}^2"
    prog.run(text)
    start = text.index(nfd, 1) + 1
    assert str(prog.span(prog.bindings["y"])) == f"1:{start}-{len(text)}"
    with pytest.raises(LangError) as info:
        prog.run(f"{nfd} {nfd}")
    assert info.value.message.startswith(f"unexpected '{nfd}'") and info.value.width == 2


@pytest.mark.parametrize("src, says, col", [
    ("x = 1; x² = 1", "unexpected '='", 11),  # x² is a power, not a name
    ("a→b = 1", "unexpected character '→' in the name 'a→b'", 2),
    ("½x = 1", "unexpected character '½'; a name starts with a letter or _", 1),
    ("x½ = 1", "unexpected character '½'", 2),
    ("x\u200by = 1", "unexpected character '\\u200b'", 2),
    ("x = 2 ∗ 3", "unexpected character '∗'; expected", 7),
])
def test_what_is_not_a_name_is_a_clear_error(src, says, col):
    with pytest.raises(LangError) as info:
        parse(src)
    assert says in info.value.message and info.value.col == col


def test_superscripts_are_still_powers():
    assert out_shape("x = 3; x²") == "(powk x 2)"
    assert value("x₁ = 3; x₁²") == 9 and value("x = 2; 3x²") == 12


# ------------------------------------------------------------------ item 12


@pytest.mark.parametrize("src, shape, result", [
    ("x = 2; y = 3; x^2y", "(mul (powk x 2) y)", 12),
    ("x = 2; 2^3x", "(mul (powk 2 3) x)", 16),
    ("x = 2; y = 3; x^-2y", "(mul (powk x -2) y)", 0.75),
    ("x = 2; y = 3; 2x^2y", "(mul 2 (mul (powk x 2) y))", 24),
    ("x = 2; y = 3; x^2(y+1)", "(mul (powk x 2) (add y 1))", 16),
    ("x = 2; y = 3; x^2y^2", "(mul (powk x 2) (powk y 2))", 36),
    ("x = 2; y = 3; x/2y", "(div x (mul 2 y))", 1 / 3),
    ("x = 2; y = 3; x^(2y)", "(pow x (mul 2 y))", 64),
    ("x = 2; 2^3^2", "(pow 2 (powk 3 2))", 512),
    ("x = 2; 2^-1", "(powk 2 -1)", 0.5),
    ("x = 2; -x^2", "(neg (powk x 2))", -4),
])
def test_implicit_products_next_to_a_power_or_a_division(src, shape, result):
    assert value(src) == pytest.approx(result)
    assert out_shape(src) == shape


@pytest.mark.parametrize("line, warning", [
    ("x^2y", "x^2y is read as (x^2)·y: an exponent ends at its number; write x^(2y)"),
    ("2^3x", "2^3x is read as (2^3)·x"),
    ("x/2y", "x/2y is read as x/(2y): implicit multiplication binds tighter than /; "
             "write (x/2)*y for the other reading"),
])
def test_the_reading_is_said_in_a_warning(line, warning):
    s, events = events_of(["x = 2; y = 3", line])
    warns = [e for e in events if isinstance(e, Warn)]
    assert len(warns) == 1 and warning in warns[0].message
    assert [e for e in events if isinstance(e, Error)] == []


def test_no_warning_where_the_reading_is_plain():
    s, events = events_of(["x = 2; y = 3", "x^2*y + x/(2y) + (x/2)*y + x^(2y) + 3x^2 + 2(x+1)"])
    assert [e for e in events if isinstance(e, Warn)] == []
