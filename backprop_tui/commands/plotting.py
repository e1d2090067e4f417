""":plot boundary — a classifier's decision regions over two of its inputs, with the data.

The rule: MODEL is any node of the graph (a name, a label or #id) that depends on two
inputs X and Y; its class at a point is MODEL > at (default 0: the sign of a ±1
classifier's score; at=0.5 for a sigmoid's). The grid re-evaluates the existing graph, as
:descend does: a scratch copy of its values, X and Y set at each cell's centre, and one
forward pass over the nodes of MODEL's cone that depend on X or Y (the weights stay as
they are, trained or not). Nothing is rebuilt.

The data points come from `data=NAME`, a set registered from Python (register_data: the
moons demo registers its points), or `data=FILE`, lines of `x y label` (commas or spaces;
# comments; a header line is skipped). register_boundary(s, MODEL, X, Y, data) makes a bare
`:plot boundary` draw that model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from .. import confine, files
from ..events import Event
from ..events_train import ABOVE, BELOW, UNDEFINED, Boundary
from ..gradcheck import scratch
from ..graph import EvalError, Graph
from ..labels import fmt_val, label
from ..ops import INPUT, LITERAL
from ..registry import Arg, CommandError, command, key_values
from ..session import Session
from ..textutil import clip
from .inspect import number_arg

Point = tuple[float, float, float]  # x, y, label
MAX_COLUMNS = 240
MAX_POINTS = 100_000
MAX_WORK = 30_000_000  # (cells + points) × nodes re-evaluated: ~15 s at worst
DATA_BYTES = 4_000_000
_OPTIONS = ("data=", "x=", "y=", "grid=", "at=")


@dataclass(frozen=True)
class Registered:
    model: str
    x: str
    y: str
    data: str = ""


_DATA: WeakKeyDictionary[Session, dict[str, list[Point]]] = WeakKeyDictionary()
_MODELS: WeakKeyDictionary[Session, Registered] = WeakKeyDictionary()


def register_data(s: Session, name: str, points: list[Point]) -> None:
    """Points (x, y, label) that `:plot boundary … data=NAME` draws."""
    if len(points) > MAX_POINTS:
        raise ValueError(f"{len(points):,} points; at most {MAX_POINTS:,}")
    _DATA.setdefault(s, {})[name] = [(float(x), float(y), float(c)) for x, y, c in points]


def register_boundary(s: Session, model: str, x: str, y: str, data: str = "") -> None:
    """What a bare `:plot boundary` draws: MODEL over X, Y (with the data set `data`)."""
    _MODELS[s] = Registered(model, x, y, data)


USAGE = (":plot boundary MODEL over X,Y [data=NAME|FILE] [x=LO:HI] [y=LO:HI] [grid=COLUMNS] "
         "[at=0]")


@command("plot", USAGE, "Draw a classifier's decision regions: MODEL (any node) evaluated on a "
         "grid over its inputs X (across) and Y (up), each cell shaded by its class (MODEL > at, "
         "at=0 by default), the data points on top, by label; the accuracy on them. The grid "
         "re-evaluates the graph with X and Y set (never rebuilt). data=NAME is a set registered "
         "from Python (demos/moons.py registers 'moons'), data=FILE has lines 'x y label'. In the "
         "TUI it is drawn in the Plot tab (:screenshot saves it); headless as a text picture.",
         args=(Arg("word", choices=("boundary",), options=_OPTIONS), Arg("node"),
               Arg("word", choices=("over",)), Arg("text")), cost="slow")
def _cmd_plot(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if not args or args[0] != "boundary":
        raise CommandError(f"usage: {USAGE} (boundary is the one plot so far)")
    words = [w for w in args[1:] if "=" not in w]
    opts = key_values([w for w in args[1:] if "=" in w], tuple(o[:-1] for o in _OPTIONS),
                      f":plot boundary takes {', '.join(o + '…' for o in _OPTIONS)}")
    if not words:
        reg = _MODELS.get(s)
        if reg is None:
            raise CommandError(f"usage: {USAGE}; nothing is registered to draw without them")
        words = [reg.model, "over", f"{reg.x},{reg.y}"]
        if reg.data:
            opts.setdefault("data", reg.data)
    model, x, y = _model(s, words)
    shown = words[0] if s.prog.lookup(words[0]) == model else label(s.prog.graph, model)
    points, data = _data(s, opts.get("data", ""))
    g = s.prog.graph
    x_range = _range(s, opts, "x", [p[0] for p in points], g.value[x])
    y_range = _range(s, opts, "y", [p[1] for p in points], g.value[y])
    cols, rows = _grid(opts.get("grid", "60"))
    at = number_arg(opts["at"]) if "at" in opts else 0.0
    return [boundary(s, model, x, y, x_range, y_range, cols, rows, at, points, data, shown)]


def _model(s: Session, words: list[str]) -> tuple[int, int, int]:
    if len(words) != 3 or words[1] != "over":
        raise CommandError(f"cannot read '{clip(' '.join(words))}': usage: {USAGE}")
    names = [n for n in words[2].split(",") if n]
    if len(names) != 2:
        raise CommandError(f"over {clip(words[2])}: name two inputs, X,Y (e.g. over x1,x2)")
    g = s.prog.graph
    model = s.resolve(words[0])
    cone = g.cone(model)
    found = []
    for name in names:
        i = s.resolve(name)
        if g.op[i] != INPUT:
            raise CommandError(f"{clip(name)} is not an input: the plot's axes are two inputs "
                               f"the model depends on")
        if i > model or not cone[i]:
            raise CommandError(f"{label(g, model)} does not depend on {clip(name)}: it would "
                               "be the same along that axis")
        found.append(i)
    if found[0] == found[1]:
        raise CommandError("X and Y are the same input: name two")
    return model, found[0], found[1]


def _data(s: Session, ref: str) -> tuple[list[Point], str]:
    if not ref:
        return [], ""
    sets = _DATA.get(s, {})
    if ref in sets:
        return sets[ref], ref
    try:
        path = confine.resolve(ref, s.file)
        text = files.read_text(path, DATA_BYTES)
    except (confine.PathRefused, files.FileError) as exc:
        known = f" (registered: {', '.join(sets)})" if sets else ""
        raise CommandError(f"data={clip(ref)}: no data set of that name{known}, and not a "
                           f"readable file: {exc}") from None
    return read_points(text, ref), ref


def read_points(text: str, name: str) -> list[Point]:
    """Lines of `x y label` (commas or spaces; # comments; a header line skipped)."""
    where = name if len(name) <= 60 else "…" + name[-59:]  # the file's name is the tail
    points: list[Point] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#")[0].replace(",", " ").split()
        if not line:
            continue
        try:
            nums = [float(w) for w in line]
        except ValueError:
            if not points and n == 1:
                continue  # a header
            raise CommandError(f"{where}:{n}: expected 'x y label' numbers, got "
                               f"'{clip(raw.strip())}'") from None
        if len(nums) != 3 or not all(map(math.isfinite, nums)):
            raise CommandError(f"{where}:{n}: expected three finite numbers (x y label), "
                               f"got '{clip(raw.strip())}'")
        points.append((nums[0], nums[1], nums[2]))
        if len(points) > MAX_POINTS:
            raise CommandError(f"{where}: more than {MAX_POINTS:,} points")
    if not points:
        raise CommandError(f"{where}: no points in it (lines of 'x y label')")
    return points


def _range(s: Session, opts: dict[str, str], axis: str, values: list[float],
           now: float) -> tuple[float, float]:
    if axis in opts:
        lo_text, colon, hi_text = opts[axis].partition(":")
        if not colon:
            raise CommandError(f"{axis}={clip(opts[axis])}: expected LO:HI (e.g. {axis}=-2:2)")
        lo, hi = number_arg(lo_text), number_arg(hi_text)
    elif values:
        lo, hi = min(values), max(values)
        pad = 0.15 * (hi - lo) + 0.1  # micrograd's picture leaves a margin round the data
        lo, hi = lo - pad, hi + pad
    else:
        lo, hi = now - 2, now + 2
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise CommandError(f"{axis}: the range {fmt_val(lo)}:{fmt_val(hi)} needs LO < HI")
    return lo, hi


def _grid(text: str) -> tuple[int, int]:
    """COLUMNS (rows: half as many, as a terminal's cells are twice as tall) or COLSxROWS."""
    cols_text, _, rows_text = text.partition("x")
    if not cols_text.isdigit() or (rows_text and not rows_text.isdigit()):
        raise CommandError(f"grid={clip(text)}: expected COLUMNS or COLUMNSxROWS, whole numbers")
    cols = int(cols_text)
    rows = int(rows_text) if rows_text else max(2, cols // 2)
    if not (2 <= cols <= MAX_COLUMNS and 2 <= rows <= MAX_COLUMNS):
        raise CommandError(f"grid={clip(text)}: 2 to {MAX_COLUMNS} columns and rows")
    return cols, rows


def boundary(s: Session, model: int, x: int, y: int, x_range: tuple[float, float],
             y_range: tuple[float, float], cols: int, rows: int, at: float,
             points: list[Point], data: str, shown: str = "") -> Boundary:
    """Evaluate MODEL on the grid and at the points (see the module doc)."""
    t0 = time.perf_counter()
    g = s.prog.graph
    sg = scratch(g)
    nodes = _settle(sg, model, x, y)
    work = (cols * rows + len(points)) * max(1, len(nodes))
    if work > MAX_WORK:
        raise CommandError(f"{cols * rows + len(points):,} evaluations × {len(nodes):,} "
                           f"operations is {work:,}; the limit is {MAX_WORK:,}: a smaller grid=")
    v = sg.value
    evaluate = _pass(sg, nodes, model)

    def cls(px: float, py: float) -> int:
        v[x], v[y] = px, py
        try:
            evaluate()
        except EvalError:
            return 0
        out = v[model]
        return 0 if not math.isfinite(out) else 1 if out > at else -1

    (x0, x1), (y0, y1) = x_range, y_range
    dx, dy = (x1 - x0) / cols, (y1 - y0) / rows
    char = {1: ABOVE, -1: BELOW, 0: UNDEFINED}
    cells = []
    progress, cancelled = s.check_progress, s.check_cancelled
    for r in range(rows):
        if cancelled is not None and cancelled():
            raise CommandError(f":plot boundary cancelled after {r} of {rows} rows")
        py = y1 - (r + 0.5) * dy
        cells.append("".join(char[cls(x0 + (c + 0.5) * dx, py)] for c in range(cols)))
        if progress is not None:
            progress(r + 1, rows)
    predicted = [cls(px, py) for px, py, _ in points]
    return Boundary(shown or label(g, model), label(g, x), label(g, y), x_range, y_range, at, cells,
                    list(points), predicted, data, time.perf_counter() - t0,
                    cols * rows + len(points))


def _pass(sg: Graph, nodes: list[int], model: int) -> Callable[[], object]:
    """One re-evaluation of `nodes` (in order): the engine's forward pass over their span
    when they fill most of it (a model built in one go, as the moons demo's is), else node
    by node. The span's other nodes must evaluate too, or the node loop is used."""
    if not nodes:
        return lambda: None
    lo, hi = nodes[0], model + 1
    ops = sum(1 for i in range(lo, hi) if sg.op[i] > LITERAL)
    if 2 * len(nodes) >= ops:
        try:
            sg.forward(lo, hi)
            return lambda: sg.forward(lo, hi)
        except EvalError:
            pass
    v, ev = sg.value, sg.eval_node

    def loop() -> None:
        for i in nodes:
            v[i] = ev(i)
    return loop


def _settle(sg: Graph, model: int, x: int, y: int) -> list[int]:
    """Evaluate MODEL's cone once (a session leaves nodes outside f's cone unevaluated), and
    return its operations that depend on X or Y, in order: what each cell re-evaluates."""
    cone = sg.cone(model)
    op, a, b = sg.op, sg.a, sg.b
    dep = bytearray(model + 1)
    dep[x] = dep[y] = 1
    nodes = []
    for i in range(model + 1):
        if not cone[i] or op[i] <= LITERAL:
            continue
        try:
            sg.value[i] = sg.eval_node(i)
        except EvalError as err:
            raise CommandError(f"cannot evaluate the model at the current inputs: {err}") from None
        if dep[a[i]] or (b[i] >= 0 and dep[b[i]]):
            dep[i] = 1
            nodes.append(i)
    return nodes
