"""Textbook symbolic differentiation, to show expression swell beside backprop.

Expressions live in a hash-consed DAG (`Dag`): building the same (op, operands) twice
returns the same node, so common subexpressions are shared automatically. Each node also
records its size *as a tree* (every shared subexpression counted once per use), computed
by dynamic programming when the node is created — operands always exist first, so
creation order is a topological order and the count never expands the tree. That gives
both sizes the seed's argument needs: the tree a textbook derivation writes out (×2–3
per logistic-map iteration) and the DAG of distinct subexpressions (about linear).

Differentiation applies the chain rule d f(u, v) = ∂f/∂u·du + ∂f/∂v·dv, with the local
derivatives ∂f/∂u taken from each op's ``sym`` builder in the op table, so the sum,
product and quotient rules fall out of add's (1, 1), mul's (v, u) and div's
(1/v, -u/v²). Nothing recurses: graphs can be 100k deep.

Simplification is deliberately light, only what the textbook (SICP's ``make-sum`` and
``make-product``) does while differentiating:
  - constants are folded: an op whose operands are all number literals becomes a literal
    (unless it fails or overflows);
  - x+0 = 0+x = x, x-0 = x, 0-x = -x, x+(-y) = x-y;
  - x·1 = 1·x = x, x·0 = 0·x = 0, (-1)·x = x·(-1) = -x, x/1 = x, 0/x = 0;
  - -(-x) = x, x^1 = x, x^0 = 1.
No like terms are collected and nothing is factored: the swell is the point. The
function itself is converted unsimplified (only hash-consed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from .graph import Graph
from .labels import Store, Style, render
from .ops import AUX_BASE, CONST, FNS, INPUT, LEAVES, LITERAL, OP_INDEX, OPS


def _step(a: float, b: float, k: float) -> float:
    return 1.0 if a > 0 else 0.0


def _sign(a: float, b: float, k: float) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


# Two functions that only occur in derivatives (relu' and abs'); they are not operators of
# the language, so they get op codes after the op table's: name -> (fn, display format).
AUX: dict[str, tuple[Callable[[float, float, float], float], str]] = {
    "step": (_step, "[{}>0]"),  # Iverson bracket, as in relu's deriv_text
    "sign": (_sign, "sign({})"),
}
_AUX_CODE = {name: AUX_BASE + i for i, name in enumerate(AUX)}


class _Fns:
    """Op code -> function: the op table's (user operators included), then the aux ops."""

    _aux = tuple(fn for fn, _ in AUX.values())

    def __getitem__(self, code: int) -> Callable[[float, float, float], float]:
        return FNS[code] if code < AUX_BASE else self._aux[code - AUX_BASE]


_FNS = _Fns()
_ADD, _SUB, _MUL, _DIV = OP_INDEX["add"], OP_INDEX["sub"], OP_INDEX["mul"], OP_INDEX["div"]
_NEG, _POWK, _POW = OP_INDEX["neg"], OP_INDEX["powk"], OP_INDEX["pow"]

PRINT_BUDGET = 200
PRINT_DEPTH = 400
# Derivative text spaces its sums and drops parentheses that associativity makes
# redundant (a + b - c, a·b·c); a number juxtaposes only onto an operand that visibly
# starts with a name or a parenthesis (2x, 2sin(x), 4(1 - x)), and names never do (x·y).
_TEXT_STYLE = Style(depth=PRINT_DEPTH, look=1, letters=False, spaced_sums=True,
                    associative=frozenset((_ADD, _MUL)),
                    aux=tuple((before, after) for before, _, after
                              in (fmt.partition("{}") for _, fmt in AUX.values())))


class Dag:
    """A hash-consed expression DAG in flat arrays; node ids are a topological order.

    Leaves: number literals (value in ``k``), and inputs and named constants, identified
    by ``ref`` (their graph node) and carrying their value in ``k``. The constructors
    ``num add sub mul div neg powk pow call`` simplify lightly (see the module doc);
    ``make`` only interns.
    """

    def __init__(self) -> None:
        self.op: list[int] = []
        self.a: list[int] = []
        self.b: list[int] = []
        self.k: list[float] = []
        self.ref: list[int] = []
        # Size as a tree, all nodes (leaves included), and operations only (what sympy's
        # count_ops counts); ints, or log2 floats past 2^62 (see _grow).
        self.tree: list[int | float] = []
        self.tree_ops: list[int | float] = []
        self.names: dict[int, str] = {}
        self._index: dict[tuple, int] = {}

    def __len__(self) -> int:
        return len(self.op)

    # -- interning --
    def _intern(self, op: int, a: int = -1, b: int = -1, k: float = 0.0, ref: int = -1) -> int:
        key = (op, a, b, k, ref)
        i = self._index.get(key)
        if i is not None:
            return i
        i = len(self.op)
        self.op.append(op)
        self.a.append(a)
        self.b.append(b)
        self.k.append(k)
        self.ref.append(ref)
        tree, tops = self.tree, self.tree_ops
        if op in LEAVES:
            tree.append(1)
            tops.append(0)
        elif b < 0:
            tree.append(_grow(tree[a], 0))
            tops.append(_grow(tops[a], 0))
        else:
            tree.append(_grow(tree[a], tree[b]))
            tops.append(_grow(tops[a], tops[b]))
        self._index[key] = i
        return i

    def make(self, op: int, a: int = -1, b: int = -1, k: float = 0.0) -> int:
        """The node (op, a, b, k) without simplification."""
        return self._intern(op, a, b, k)

    def var(self, ref: int, name: str, value: float, const: bool = False) -> int:
        i = self._intern(CONST if const else INPUT, k=0.0, ref=ref)
        self.k[i] = value
        self.names[i] = name
        return i

    def num(self, x: float) -> int:
        return self._intern(LITERAL, k=float(x))

    # -- simplifying constructors (the `S` that the op table's sym builders call) --
    def _lit(self, i: int) -> float | None:
        return self.k[i] if self.op[i] == LITERAL else None

    def _fold(self, op: int, a: int, b: int = -1, k: float = 0.0) -> int:
        """Fold an op over literal operands into a literal; otherwise intern it."""
        x = self._lit(a)
        y = 0.0 if b < 0 else self._lit(b)
        if x is not None and y is not None:
            try:
                v = _FNS[op](x, y, k)
            except (ValueError, ZeroDivisionError, OverflowError):
                v = math.nan
            if math.isfinite(v):
                return self.num(v)
        return self._intern(op, a, b, k)

    def add(self, a: int, b: int) -> int:
        if self._lit(a) == 0.0:
            return b
        if self._lit(b) == 0.0:
            return a
        if self.op[b] == _NEG:
            return self.sub(a, self.a[b])
        return self._fold(_ADD, a, b)

    def sub(self, a: int, b: int) -> int:
        if self._lit(b) == 0.0:
            return a
        if self._lit(a) == 0.0:
            return self.neg(b)
        return self._fold(_SUB, a, b)

    def mul(self, a: int, b: int) -> int:
        x, y = self._lit(a), self._lit(b)
        if x == 0.0 or y == 0.0:
            return self.num(0.0)
        if x == 1.0:
            return b
        if y == 1.0:
            return a
        if x == -1.0:
            return self.neg(b)
        if y == -1.0:
            return self.neg(a)
        return self._fold(_MUL, a, b)

    def div(self, a: int, b: int) -> int:
        if self._lit(b) == 1.0:
            return a
        if self._lit(a) == 0.0 and self._lit(b) != 0.0:
            return a
        return self._fold(_DIV, a, b)

    def neg(self, a: int) -> int:
        if self.op[a] == _NEG:
            return self.a[a]
        return self._fold(_NEG, a)

    def powk(self, a: int, k: float) -> int:
        if k == 1.0:
            return a
        if k == 0.0:
            return self.num(1.0)
        return self._fold(_POWK, a, k=float(k))

    def pow(self, a: int, b: int) -> int:
        return self._fold(_POW, a, b)

    def call(self, name: str, a: int) -> int:
        code = _AUX_CODE.get(name)
        return self._fold(OP_INDEX[name] if code is None else code, a)

    # -- sizes --
    def tree_size(self, root: int) -> int:
        """Nodes in the expression written out as a tree (no sharing): exact below 2^62,
        beyond that 2^log2 from a float log2 (relative error ~1e-11 up to 2^100000)."""
        return _as_int(self.tree[root])

    def tree_ops_size(self, root: int) -> int:
        """Operation nodes in the tree (leaves not counted; sympy's count_ops)."""
        return _as_int(self.tree_ops[root])

    def tree_log10(self, root: int) -> float:
        v = self.tree[root]
        return v * _LOG10_2 if isinstance(v, float) else math.log10(v)

    def tree_exact(self, root: int) -> bool:
        return isinstance(self.tree[root], int)

    def cone(self, root: int) -> list[int]:
        """The distinct nodes root depends on (itself included), in increasing id order."""
        seen = {root}
        stack = [root]
        op, a, b = self.op, self.a, self.b
        while stack:
            i = stack.pop()
            if op[i] in LEAVES:
                continue
            for j in (a[i], b[i]):
                if j >= 0 and j not in seen:
                    seen.add(j)
                    stack.append(j)
        return sorted(seen)

    def dag_size(self, root: int) -> int:
        """Distinct nodes (shared subexpressions counted once)."""
        return len(self.cone(root))

    def dag_ops(self, root: int) -> int:
        """Distinct operation nodes."""
        op = self.op
        return sum(1 for i in self.cone(root) if op[i] not in LEAVES)

    # -- evaluation --
    def evaluate(self, root: int, env: dict[int, float] | None = None) -> float:
        """The value of `root`; leaves take `env[ref]` when given, else their stored value.
        A failing op (outside its domain) gives nan rather than raising."""
        env = env or {}
        op, a, b, k, ref = self.op, self.a, self.b, self.k, self.ref
        val: dict[int, float] = {}
        fns = _FNS
        for i in self.cone(root):
            o = op[i]
            if o == LITERAL:
                val[i] = k[i]
            elif o in LEAVES:
                val[i] = env.get(ref[i], k[i])
            else:
                bi = b[i]
                try:
                    val[i] = fns[o](val[a[i]], val[bi] if bi >= 0 else 0.0, k[i])
                except (ValueError, ZeroDivisionError, OverflowError):
                    val[i] = math.nan
        return val[root]

    # -- printing --
    def text(self, root: int, budget: int = PRINT_BUDGET) -> str:
        """The expression with minimal parentheses, elided with … past `budget` characters
        (and below PRINT_DEPTH levels), so the cost is bounded whatever the tree size."""
        return render(Store(self.op, self.a, self.b, self.k, self.k, self.names), root, budget,
                      _TEXT_STYLE)


# Tree sizes are exact ints below 2^62 and log2 floats above: a 100k-level doubling
# x·x has 2^100000 nodes as a tree, and exact ints for every node would hold O(N²) bits.
_EXACT = 1 << 62
_LOG10_2 = math.log10(2.0)


def _grow(x: int | float, y: int | float) -> int | float:
    """1 + x + y for sizes stored as exact ints or as log2 floats."""
    if type(x) is int and type(y) is int:
        s = 1 + x + y
        return s if s < _EXACT else math.log2(s)
    lx = x if type(x) is float else math.log2(x) if x else -math.inf
    ly = y if type(y) is float else math.log2(y) if y else -math.inf
    hi, lo = (lx, ly) if lx >= ly else (ly, lx)
    return hi + math.log2(1.0 + 2.0 ** (lo - hi))  # the 1 is below a float's precision here


def _as_int(v: int | float) -> int:
    if isinstance(v, int):
        return v
    e = math.floor(v)
    return round(2.0 ** (v - e) * 2**52) << (e - 52)


def graph_cone(g: Graph, output: int) -> list[int]:
    """Graph nodes that `output` depends on (itself included), in topological order."""
    mark = g.cone(output)
    return [i for i in range(output + 1) if mark[i]]


class Symbolic:
    """A graph's function as an expression DAG, and its symbolic partial derivatives.

    >>> s = Symbolic(g, output); d = s.derivative(x_node)
    >>> s.dag.tree_size(d), s.dag.dag_size(d), s.dag.text(d), s.dag.evaluate(d)
    """

    def __init__(self, g: Graph, output: int, dag: Dag | None = None) -> None:
        self.g = g
        self.output = output
        self.dag = dag if dag is not None else Dag()
        self.nodes = graph_cone(g, output)
        self.expr: dict[int, int] = {}  # graph node -> dag node
        dag_ = self.dag
        op, a, b, k, value, names = g.op, g.a, g.b, g.k, g.value, g.names
        expr = self.expr
        for i in self.nodes:
            o = op[i]
            if o == LITERAL:
                expr[i] = dag_.num(value[i])
            elif o in LEAVES:
                expr[i] = dag_.var(i, names.get(i, f"#{i}"), value[i], const=o == CONST)
            else:
                bi = b[i]
                expr[i] = dag_.make(o, expr[a[i]], expr[bi] if bi >= 0 else -1, k[i])
        self.root = expr[output]

    def derivative(self, wrt: int) -> int:
        """d output / d (graph node `wrt`, an input) as a dag node: forward accumulation of
        the chain rule in topological order, which is the textbook recursion memoised."""
        g, dag, expr = self.g, self.dag, self.expr
        op, a, b, k = g.op, g.a, g.b, g.k
        zero, one = dag.num(0.0), dag.num(1.0)
        d: dict[int, int] = {}
        for i in self.nodes:
            o = op[i]
            if o in LEAVES:
                d[i] = one if i == wrt else zero
                continue
            ai, bi = a[i], b[i]
            da = d[ai]
            db = d[bi] if bi >= 0 else zero
            if da == zero and db == zero:
                d[i] = zero
                continue
            rule = OPS[o].sym
            assert rule is not None  # every op node's op has a symbolic rule
            local = rule(dag, expr[ai], expr[bi] if bi >= 0 else -1, k[i], expr[i])
            total = zero
            for loc, dx in zip(local, (da, db), strict=False):
                if dx != zero:
                    # Chain rule f'(u)·u'; a number u' goes first, so the product rule
                    # reads 4(1-x) rather than (1-x)·4.
                    term = dag.mul(dx, loc) if dag.op[dx] == LITERAL else dag.mul(loc, dx)
                    total = dag.add(total, term)
            d[i] = total
        return d[self.output]

    def derivatives(self, wrt: Iterable[int]) -> list[int]:
        return [self.derivative(w) for w in wrt]
