"""Node labels (``x²``, ``3xy``, ``x²+3xy+1``), formulas with numbers, derivative text.

Labels are derived on demand from the graph and elided past a budget, so memory stays
linear in the graph size. Rendering is iterative with an explicit stack and a depth cap,
so a label costs O(budget) whatever the depth of the graph below the node.
"""

from __future__ import annotations

import math

from .graph import Graph
from .ops import CONST, INPUT, LITERAL, OPS, P_ATOM, P_POWER, P_PRODUCT, P_UNARY

LABEL_BUDGET = 40
LABEL_DEPTH = 12  # deep enough to fill the budget; bounds the cost of a label
ELLIPSIS = "…"

_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_MUL = OPS.index(next(op for op in OPS if op.name == "mul"))
_POWK = OPS.index(next(op for op in OPS if op.name == "powk"))


def fmt_num(x: float) -> str:
    """A number as a program would write it: 3, 2.5, 0.001, -1.5e-08."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def fmt_val(x: float) -> str:
    """A value for display: 6 significant digits."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return f"{x:.6g}"


def superscript(k: float) -> str | None:
    if k == int(k) and abs(k) < 1000:
        return str(int(k)).translate(_SUPERSCRIPT)
    return None


def prec(g: Graph, i: int, root: int = -1) -> int:
    """Display precedence of node i as an operand."""
    if i != root and i in g.names:
        return P_ATOM
    o = g.op[i]
    if o == LITERAL:
        return P_UNARY if g.value[i] < 0 else P_ATOM
    return OPS[o].prec


def _head(g: Graph, i: int) -> str:
    """What node i's text starts with: 'name', 'num', 'minus' or 'paren'."""
    for _ in range(LABEL_DEPTH):
        if i in g.names:
            return "e" if g.names[i][0] in "eE" else "name"
        o = g.op[i]
        op = OPS[o]
        if o == LITERAL:
            return "minus" if g.value[i] < 0 else "num"
        if op.kind == "call":
            return "name"
        if op.kind == "prefix":
            return "minus"
        if op.arity == 0:
            return "name"
        child = g.a[i]
        if prec(g, child) < op.prec or (op.kind == "powk" and prec(g, child) <= P_POWER):
            return "paren"
        i = child
    return "name"


def _is_letter(g: Graph, i: int) -> bool:
    name = g.names.get(i)
    return name is not None and len(name) == 1


def _tail_is_letter(g: Graph, i: int) -> bool:
    for _ in range(LABEL_DEPTH):
        if i in g.names:
            return len(g.names[i]) == 1
        if g.op[i] != _MUL:
            return False
        i = g.b[i]
    return False


def _juxtapose(g: Graph, left: int, right: int) -> bool:
    """Write a product as 3x, 3xy, 2(x+1) instead of with a dot."""
    if left not in g.names and g.op[left] == LITERAL and g.value[left] >= 0:
        return _head(g, right) in ("name", "paren") or prec(g, right) <= P_PRODUCT
    return _is_letter(g, right) and _tail_is_letter(g, left)


def label(g: Graph, i: int, budget: int = LABEL_BUDGET) -> str:
    """The node's label: its bound name, or its expression text, elided past budget."""
    name = g.names.get(i)
    return name if name is not None else expression(g, i, budget)


def expression(g: Graph, root: int, budget: int = LABEL_BUDGET) -> str:
    """The node's expression in terms of its operands' labels, minimal parentheses."""
    out: list[str] = []
    used = 0
    stack: list[tuple[int, int] | str] = [(root, 0)]
    names, ops_, a, b, k, value = g.names, g.op, g.a, g.b, g.k, g.value
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            used += len(item)
            if used > budget:
                break
            continue
        i, depth = item
        if i != root and i in names:
            stack.append(names[i])
            continue
        o = ops_[i]
        op = OPS[o]
        if o == LITERAL:
            stack.append(fmt_num(value[i]))
            continue
        if op.arity == 0:
            stack.append(names.get(i, "?"))
            continue
        if depth >= LABEL_DEPTH:
            stack.append(ELLIPSIS)
            continue
        d = depth + 1
        pieces: list[tuple[int, int] | str] = []
        x = a[i]
        if op.kind == "call":
            pieces = [op.symbol + "(", (x, d), ")"]
        elif op.kind == "prefix":
            pieces = _wrap(op.symbol, (x, d), prec(g, x) < P_UNARY or _head(g, x) == "minus")
        elif op.kind == "powk":
            sup = superscript(k[i])
            tail = sup if sup is not None else "^" + fmt_num(k[i])
            pieces = [*_wrap("", (x, d), prec(g, x) <= P_POWER), tail]
        else:
            y = b[i]
            if op.prec == P_POWER:  # right-associative
                lp = prec(g, x) <= P_POWER
                rp = prec(g, y) < P_POWER or _head(g, y) == "minus"
            else:
                lp = prec(g, x) < op.prec
                rp = prec(g, y) <= op.prec or _head(g, y) == "minus"
            sym = "" if o == _MUL and _juxtapose(g, x, y) else op.symbol
            pieces = [*_wrap("", (x, d), lp), sym, *_wrap("", (y, d), rp)]
        stack.extend(reversed(pieces))
    text = "".join(out)
    if len(text) > budget:
        text = text[: budget - 1] + ELLIPSIS
    return text


def _wrap(prefix: str, item: tuple[int, int], parens: bool) -> list[tuple[int, int] | str]:
    return [prefix + "(", item, ")"] if parens else ([prefix, item] if prefix else [item])


def _operand_text(text: str) -> str:
    """An operand label inside a formula, parenthesised unless it is atomic."""
    if text.replace(".", "").replace("_", "").isalnum() or text.startswith("(") and text.endswith(")"):
        return text
    return f"({text})"


def _num(x: float) -> str:
    s = fmt_val(x)
    return f"({s})" if s.startswith("-") else s


def numbers(g: Graph, i: int) -> str:
    """The node's operation with its operands' values: '3 × 2', 'sin(0.5)', '2²'."""
    o = g.op[i]
    op = OPS[o]
    v = g.value
    if op.arity == 0:
        return fmt_val(v[i])
    x = _num(v[g.a[i]])
    if op.kind == "call":
        return f"{op.symbol}({fmt_val(v[g.a[i]])})"
    if op.kind == "prefix":
        return f"-{x}"
    if op.kind == "powk":
        sup = superscript(g.k[i])
        return x + (sup if sup is not None else "^" + _num(g.k[i]))
    sym = "×" if o == _MUL else op.symbol
    return f"{x} {sym} {_num(v[g.b[i]])}"


def formula(g: Graph, i: int) -> str:
    """What a forward step shows: '3x = 3 × 2 = 6' (with the expression when named)."""
    head = label(g, i)
    expr = expression(g, i) if i in g.names and not g.is_leaf(i) else None
    parts = [head] + ([expr] if expr and expr != head else []) + [numbers(g, i), fmt_val(g.value[i])]
    return " = ".join(parts)


def deriv_text(g: Graph, i: int, slot: int) -> str:
    """Local derivative of node i with respect to operand `slot`, in symbols: '2x', '3', 'y'."""
    o = g.op[i]
    op = OPS[o]
    a = _operand_text(label(g, g.a[i]))
    if o == _POWK:
        kk = g.k[i]
        if kk == 2:
            return f"2{a}" if a[0].isalpha() or a[0] == "(" else f"2·{a}"
        sup = superscript(kk - 1)
        power = a + (sup if sup is not None else f"^{fmt_num(kk - 1)}")
        return f"{fmt_num(kk)}{power}" if kk != 1 else "1"
    b = _operand_text(label(g, g.b[i])) if op.arity == 2 else ""
    return op.deriv_text[slot].format(a=a, b=b)


def kind_name(g: Graph, i: int) -> str:
    o = g.op[i]
    return "input" if o == INPUT else "const" if o == CONST else OPS[o].name
