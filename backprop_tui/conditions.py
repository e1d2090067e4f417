"""Breakpoint conditions: ``nan``, ``|grad| > 1e3``, ``value < 0 and not nan``…

A tiny language of its own, parsed without eval: atoms are ``nan`` (or ``inf``: a value or
gradient that is not finite) and comparisons ``QUANTITY OP NUMBER`` with QUANTITY one of
``value``, ``grad``, ``|value|``, ``|grad|`` (``abs(grad)`` too) and OP one of
``> >= < <= == !=``; they combine with ``not``, ``and``, ``or`` and parentheses. Parsed
iteratively (shunting-yard into postfix), evaluated with a stack: no recursion.

A condition is tested on a node's state: its value (None before it is computed) and its
gradient (None while it has none). A comparison with a missing quantity is false.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from .textutil import NumberError, clip, parse_number

MAX_CONDITION = 200  # characters

_TOKEN = re.compile(r"\s*(?:(?P<qty>\|\s*(?:value|grad)\s*\||abs\s*\(\s*(?:value|grad)\s*\))"
                    r"|(?P<op>>=|<=|==|!=|>|<)|(?P<par>[()])"
                    r"|(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
                    r"|(?P<word>[A-Za-z_][A-Za-z_0-9]*)|(?P<bad>\S))")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne}
_PREC = {"or": 1, "and": 2, "not": 3}
_ATOM_HINT = "a condition such as nan, grad > 1e3, |value| < 1e-9 or not nan"


class ConditionError(ValueError):
    """A malformed condition: the message says where and what was expected."""


@dataclass(frozen=True)
class _Compare:
    quantity: str  # value | grad
    absolute: bool
    op: str
    number: float


@dataclass(frozen=True)
class Condition:
    text: str
    postfix: tuple[object, ...]  # "nan" | _Compare | "not" | "and" | "or"

    def test(self, value: float | None, grad: float | None) -> bool:
        stack: list[bool] = []
        for item in self.postfix:
            if item == "nan":
                stack.append((value is not None and not math.isfinite(value))
                             or (grad is not None and not math.isfinite(grad)))
            elif isinstance(item, _Compare):
                x = value if item.quantity == "value" else grad
                if x is None:
                    stack.append(False)
                else:
                    stack.append(_COMPARE[item.op](abs(x) if item.absolute else x, item.number))
            elif item == "not":
                stack.append(not stack.pop())
            else:
                right, left = stack.pop(), stack.pop()
                stack.append(left and right if item == "and" else left or right)
        return stack[0]

    def uses(self, quantity: str) -> bool:
        """Does the condition read the node's value (or gradient)?"""
        return any(item == "nan" or (isinstance(item, _Compare) and item.quantity == quantity)
                   for item in self.postfix)


def _where(text: str, pos: int) -> str:
    return "at the end" if pos >= len(text) else f"at '{clip(text[pos:], 20)}'"


def parse(text: str) -> Condition:
    """A Condition from its text, or ConditionError saying what was expected where."""
    text = text.strip()
    if not text:
        raise ConditionError(f"expected {_ATOM_HINT} after 'when'")
    if len(text) > MAX_CONDITION:
        raise ConditionError(f"the condition is {len(text)} characters long; the limit is "
                             f"{MAX_CONDITION}")
    out: list[object] = []
    ops: list[tuple[str, int]] = []  # operators and '(' with their positions
    want_atom = True
    pos = 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:  # only spaces are left
            break
        start, pos = m.start(m.lastgroup or 0), m.end()
        kind, tok = m.lastgroup, m.group(m.lastgroup or 0)
        word = tok.lower() if kind == "word" else tok
        if want_atom:
            if kind == "par" and tok == "(":
                ops.append(("(", start))
            elif word == "not":
                ops.append(("not", start))
            elif word in ("nan", "inf", "nonfinite"):
                out.append("nan")
                want_atom = False
            elif kind == "qty" or word in ("value", "grad"):
                pos = _comparison(text, m, pos, out)
                want_atom = False
            else:
                raise ConditionError(f"expected {_ATOM_HINT} {_where(text, start)}")
            continue
        if word in ("and", "or"):
            while ops and ops[-1][0] != "(" and _PREC[ops[-1][0]] >= _PREC[word]:
                out.append(ops.pop()[0])
            ops.append((word, start))
            want_atom = True
        elif kind == "par" and tok == ")":
            while ops and ops[-1][0] != "(":
                out.append(ops.pop()[0])
            if not ops:
                raise ConditionError(f"unmatched ')' {_where(text, start)}")
            ops.pop()
        else:
            raise ConditionError(f"expected 'and', 'or' or the end of the condition "
                                 f"{_where(text, start)}")
    if want_atom:
        raise ConditionError(f"expected {_ATOM_HINT} at the end")
    while ops:
        item, at = ops.pop()
        if item == "(":
            raise ConditionError(f"unclosed '(' {_where(text, at)}")
        out.append(item)
    return Condition(text, tuple(out))


def _comparison(text: str, m: re.Match[str], pos: int, out: list[object]) -> int:
    """QUANTITY OP NUMBER starting at match m; appends it to out, returns the new position."""
    tok = m.group(m.lastgroup or 0)
    absolute = m.lastgroup == "qty"
    quantity = "value" if "value" in tok.lower() else "grad"
    op_m = _TOKEN.match(text, pos)
    if op_m is None or op_m.lastgroup != "op":
        at = op_m.start(op_m.lastgroup or 0) if op_m else len(text)
        raise ConditionError(f"expected a comparison (> >= < <= == !=) after '{tok.strip()}' "
                             f"{_where(text, at)}")
    num_m = _TOKEN.match(text, op_m.end())
    if num_m is None or num_m.lastgroup != "num":
        at = num_m.start(num_m.lastgroup or 0) if num_m else len(text)
        raise ConditionError(f"expected a number after '{op_m.group('op')}' {_where(text, at)}")
    try:
        number = parse_number(num_m.group("num"))
    except NumberError as exc:
        raise ConditionError(str(exc)) from None
    out.append(_Compare(quantity, absolute, op_m.group("op"), number))
    return num_m.end()
