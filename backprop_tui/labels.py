"""Node labels (``x²``, ``3xy``, ``x²+3xy+1``), formulas with numbers, derivative text.

Labels are derived on demand from the graph and elided past a budget, so memory stays
linear in the graph size. Rendering is iterative with an explicit stack and a depth cap,
so a label costs O(budget + depth) whatever the size of the graph below the node.

`render` is the one expression printer: node labels read a Graph through it, and
symbolic.Dag.text its derivative DAG; a `Store` says where the nodes are, a `Style` what
the two views print differently (spaced sums, associativity, letter juxtaposition, depth).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .graph import Graph
from .ops import AUX_BASE, CONST, INPUT, LITERAL, OPS, P_ATOM, P_POWER, P_SUM, P_UNARY, PREC

LABEL_BUDGET = 40
LABEL_DEPTH = 12  # deep enough to fill the budget; bounds the cost of a label
ELLIPSIS = "…"

_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_MUL = OPS.index(next(op for op in OPS if op.name == "mul"))
_POWK = OPS.index(next(op for op in OPS if op.name == "powk"))
_NOPS = AUX_BASE  # op codes from here on are a store's auxiliary ops (Style.aux)
_PREC = PREC  # the op table's list: user operators registered later are in it
CALL_NAME_WIDTH = 16  # a function's name in a call prefix (neuron#2: …) is clipped to this


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
    if abs(k) < 1000 and k == int(k):  # abs first: int(inf) and int(nan) raise
        return str(int(k)).translate(_SUPERSCRIPT)
    return None


class Store(NamedTuple):
    """What the printer reads of an expression store: a Graph's arrays or a symbolic Dag's."""

    op: Sequence[int]
    a: Sequence[int]
    b: Sequence[int]
    k: Sequence[float]
    lit: Sequence[float]  # a literal's value (Graph.value, Dag.k)
    names: Mapping[int, str]  # nodes that print as their name, the root excepted


@dataclass(frozen=True, slots=True)
class Style:
    """How one view of expressions differs from another (node labels, derivative text)."""

    depth: int  # levels printed before eliding with …
    look: int  # first-operand nodes examined to see how an operand's text starts
    letters: bool = True  # juxtapose single-letter names: xy, 3xy
    spaced_sums: bool = False  # "a + b" rather than "a+b"
    associative: frozenset[int] = frozenset()  # ops whose right operand may be the same level bare
    aux: tuple[tuple[str, str], ...] = ()  # (before, after) for op codes past the op table


LABEL_STYLE = Style(depth=LABEL_DEPTH, look=LABEL_DEPTH)


def _store(g: Graph) -> Store:
    return Store(g.op, g.a, g.b, g.k, g.value, g.names)


def _prec(s: Store, i: int) -> int:
    """Display precedence of node i as an operand."""
    if i in s.names:
        return P_ATOM
    o = s.op[i]
    if o == LITERAL:
        return P_UNARY if s.lit[i] < 0 else P_ATOM
    return _PREC[o] if o < _NOPS else P_ATOM


def _left_parens(s: Store, o: int, x: int) -> bool:
    p = _PREC[o]
    return _prec(s, x) <= P_POWER if p == P_POWER else _prec(s, x) < p  # ^ is right-associative


def _right_parens(s: Store, style: Style, o: int, y: int, look: int) -> bool:
    # A right operand of the same level keeps its parentheses unless regrouping changes
    # nothing: ^ (right-associative) and, in some styles, + and ·. x-(-y), not x--y.
    p = _PREC[o]
    same_ok = p == P_POWER or o in style.associative
    return (_prec(s, y) < p if same_ok else _prec(s, y) <= p) or _head(s, y, look) == "minus"


def _head(s: Store, i: int, look: int) -> str:
    """What node i's text starts with: 'name', 'e' (a name that would read as a
    number's exponent after a digit), 'num', 'minus', 'paren', or '?' past `look` nodes."""
    op, names = s.op, s.names
    while True:
        name = names.get(i)
        if name is not None:
            return "e" if name[0] in "eE" else "name"
        o = op[i]
        if o == LITERAL:
            return "minus" if s.lit[i] < 0 else "num"
        if o >= _NOPS:  # auxiliary op: a call or a bracket, juxtaposed like a call
            return "name"
        kind = OPS[o].kind
        if kind == "call" or kind == "leaf":
            return "name"
        if kind == "prefix":
            return "minus"
        look -= 1
        if look <= 0:
            return "?"
        child = s.a[i]
        if _left_parens(s, o, child):
            return "paren"
        i = child


def _tail_is_letter(s: Store, i: int, depth: int) -> bool:
    op, b, names = s.op, s.b, s.names
    for _ in range(depth):
        name = names.get(i)
        if name is not None:
            return len(name) == 1
        if op[i] != _MUL:
            return False
        i = b[i]
    return False


def _juxtapose(s: Store, style: Style, x: int, y: int, rparen: bool) -> bool:
    """Write a product as 3x, 2sin(x), 2(x+1), 2(-x) (and 3xy in the letters style)
    instead of with a dot: a number before a name, a call or a parenthesis."""
    names = s.names
    if x not in names and s.op[x] == LITERAL and s.lit[x] >= 0:
        return rparen or _head(s, y, style.look) in ("name", "paren")  # not 2e, 2·3
    name = names.get(y)
    return (style.letters and name is not None and len(name) == 1
            and _tail_is_letter(s, x, style.depth))


def render(s: Store, root: int, budget: int, style: Style) -> str:
    """Node root's expression with minimal parentheses, elided with … past `budget`
    characters and below `style.depth` levels. An explicit stack, no recursion: the cost
    is O(budget + depth) whatever the size of the expression below root."""
    out: list[str] = []
    used = 0
    stack: list[tuple[int, int] | str] = [(root, 0)]
    ops_, a, b, k, lit, names = s
    look, max_depth, aux, spaced = style.look, style.depth, style.aux, style.spaced_sums
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
        if o == LITERAL:
            stack.append(fmt_num(lit[i]))
            continue
        if o < _NOPS and OPS[o].arity == 0:
            stack.append(names.get(i, "?"))
            continue
        if depth >= max_depth:
            stack.append(ELLIPSIS)
            continue
        d = depth + 1
        x = a[i]
        pieces: list[tuple[int, int] | str]
        if o >= _NOPS:
            before, after = aux[o - _NOPS]
            pieces = [before, (x, d), after]
            stack.extend(reversed(pieces))
            continue
        op = OPS[o]
        if op.kind == "call":
            pieces = ([op.symbol + "(", (x, d), ")"] if op.arity == 1
                      else [op.symbol + "(", (x, d), ", ", (b[i], d), ")"])
        elif op.kind == "prefix":
            pieces = _wrap(op.symbol, (x, d), _prec(s, x) < P_UNARY or _head(s, x, look) == "minus")
        elif op.kind == "powk":
            sup = superscript(k[i])
            # x^(-0.5) like x^(-y): a minus right after ^ is parenthesised
            tail = sup if sup is not None else "^" + _paren_num(k[i])
            pieces = [*_wrap("", (x, d), _left_parens(s, o, x)), tail]
        else:
            y = b[i]
            rp = _right_parens(s, style, o, y, look)
            sym = op.symbol
            if o == _MUL and _juxtapose(s, style, x, y, rp):
                sym = ""
            elif spaced and op.prec == P_SUM:
                sym = f" {sym} "
            pieces = [*_wrap("", (x, d), _left_parens(s, o, x)), sym, *_wrap("", (y, d), rp)]
        stack.extend(reversed(pieces))
    text = "".join(out)
    if len(text) > budget:
        text = text[: budget - 1] + ELLIPSIS
    return text


def _wrap(prefix: str, item: tuple[int, int], parens: bool) -> list[tuple[int, int] | str]:
    return [prefix + "(", item, ")"] if parens else ([prefix, item] if prefix else [item])


def _paren_num(x: float) -> str:
    s = fmt_num(x)
    return f"({s})" if s.startswith("-") else s


def label(g: Graph, i: int, budget: int = LABEL_BUDGET) -> str:
    """The node's label: its bound name, or its expression text, elided past budget. A node
    an inlined function call created says which call: 'neuron#2: tanh(w2·x2+b2)'."""
    name = g.names.get(i)
    if name is not None:
        return name
    if g.call_of:
        call = call_prefix(g, i)
        if call:
            return call + expression(g, i, max(12, budget - len(call)))
    return expression(g, i, budget)


def call_prefix(g: Graph, i: int) -> str:
    """'neuron#2: ' for a node of the second call of neuron, else ''."""
    c = g.call_of.get(i)
    if c is None:
        return ""
    name, ordinal, _ = g.calls[c]
    if len(name) > CALL_NAME_WIDTH:
        name = name[: CALL_NAME_WIDTH - 1] + ELLIPSIS
    return f"{name}#{ordinal}: "


def expression(g: Graph, root: int, budget: int = LABEL_BUDGET) -> str:
    """The node's expression in terms of its operands' labels, minimal parentheses."""
    return render(_store(g), root, budget, LABEL_STYLE)


def wrt(text: str) -> str:
    """A label after ∂ (∂f/∂x², ∂f/∂(x²+3xy), ∂f/∂tanh(u)): bare when it reads as one
    symbol, a name or a call, else in parentheses."""
    if text.replace("_", "").isalnum() or _is_call(text):
        return text
    return f"({text})"


def _is_call(text: str) -> bool:
    """name(...) whose first parenthesis closes at the end: tanh(u), not exp(x)·sin(x)."""
    head = text.find("(")
    if head <= 0 or not text.endswith(")") or not text[:head].isalnum():
        return False
    depth = 0
    for k in range(head, len(text)):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            return k == len(text) - 1
    return False


def f_is(text: str) -> str:
    """'f = x²+1', or just 'f' when the output's label is f (not 'f = f')."""
    return "f" if text == "f" else f"f = {text}"


def _operand_text(text: str) -> str:
    """An operand label inside a formula, parenthesised unless it is atomic."""
    if text.replace(".", "").replace("_", "").isalnum() or text.startswith("(") and text.endswith(")"):
        return text
    return f"({text})"


def _num(x: float) -> str:
    s = fmt_val(x)
    return f"({s})" if s.startswith("-") else s


def apply_text(o: int, k: float, x: str, y: str = "") -> str:
    """Operation o applied to operand texts: 'x × y', 'sin(x)', 'x²', '-x', 'x^y'."""
    op = OPS[o]
    if op.kind == "call":
        if op.arity == 2:  # max(a, b), min(a, b)
            return f"{op.symbol}({x}, {y})"
        return f"{op.symbol}({x})"
    if op.kind == "prefix":
        return f"-{x}"
    if op.kind == "powk":
        sup = superscript(k)
        return x + (sup if sup is not None else "^" + _num(k))
    sym = "×" if o == _MUL else op.symbol
    return f"{x} {sym} {y}"


def numbers(g: Graph, i: int) -> str:
    """The node's operation with its operands' values: '3 × 2', 'sin(0.5)', '2²'."""
    o = g.op[i]
    v = g.value
    if OPS[o].arity == 0:
        return fmt_val(v[i])
    if OPS[o].kind == "call":
        return apply_text(o, g.k[i], fmt_val(v[g.a[i]]),
                          fmt_val(v[g.b[i]]) if g.b[i] >= 0 else "")
    return apply_text(o, g.k[i], _num(v[g.a[i]]), _num(v[g.b[i]]) if g.b[i] >= 0 else "")


def formula(g: Graph, i: int) -> str:
    """What a forward step shows: '3x = 3 × 2 = 6' (with the expression when named)."""
    head = label(g, i)
    expr = expression(g, i) if i in g.names and not g.is_leaf(i) else None
    parts = [head] + ([expr] if expr and expr != head else []) + [numbers(g, i), fmt_val(g.value[i])]
    return " = ".join(parts)


def deriv_text(g: Graph, i: int, slot: int) -> str:
    """Local derivative of node i with respect to operand `slot`, in symbols: '2x', '3', 'y'."""
    o = g.op[i]
    raw_a = label(g, g.a[i])
    raw_b = label(g, g.b[i]) if OPS[o].arity == 2 else ""
    return local_text(o, g.k[i], slot, _operand_text(raw_a), _operand_text(raw_b) if raw_b else "",
                      raw_a, raw_b)


def local_text(o: int, k: float, slot: int, a: str, b: str = "", raw_a: str | None = None,
               raw_b: str | None = None) -> str:
    """Operation o's local derivative for operand `slot`, in terms of operand texts a and b
    (already parenthesised where they need it)."""
    if o == _POWK:
        if k == 2:
            return f"2{a}" if a[0].isalpha() or a[0] == "(" else f"2·{a}"
        sup = superscript(k - 1)
        power = a + (sup if sup is not None else f"^{fmt_num(k - 1)}")
        return f"{fmt_num(k)}{power}" if k != 1 else "1"
    # An operand already inside the template's parentheses, tanh({a}), is not wrapped
    # again: 1-tanh(w·x+b)², not 1-tanh((w·x+b))² (raw_a/raw_b: the operands' bare texts).
    template = OPS[o].deriv_text[slot].replace("({a})", "({A})").replace("({b})", "({B})")
    return template.format(a=a, b=b, A=a if raw_a is None else raw_a,
                           B=b if raw_b is None else raw_b)


def kind_name(g: Graph, i: int) -> str:
    o = g.op[i]
    return "input" if o == INPUT else "const" if o == CONST else OPS[o].name
