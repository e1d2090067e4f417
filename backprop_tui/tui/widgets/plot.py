"""The Plot tab: a line plot in the terminal (textual-plotext) — :hsweep's error against h,
:descend's loss against the step, live while it runs — or :plot boundary's picture of a
classifier's regions, drawn as coloured half-block cells with the data points on top.

Reusable: give it a `Figure` (the comparison's scaling plots do the same). Non-positive
and non-finite points are dropped from a log axis, since it cannot show them. Whichever was
given last (a figure or a boundary) is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from ...commands.optimize import LiveDescent
from ...events import HSweep
from ...events_train import ABOVE, BELOW, Boundary
from ...labels import fmt_val
from ...render_reports import POINT_ABOVE, POINT_WRONG, point_cells, tick_text
from ...reports import Descend


@dataclass(frozen=True)
class Series:
    name: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]


@dataclass(frozen=True)
class Figure:
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    xlog: bool = True
    ylog: bool = True
    xmax: float | None = None  # a fixed right end (a live :descend's last step)


COMPLEX_FLOOR = 1e-17  # the complex step is often exact: 0 cannot sit on a log axis


def hsweep_figure(ev: HSweep) -> Figure:
    """Error against h for each method. The title names the best step sizes as step sizes
    (h = …), so they do not read as errors; the complex step's exact zeros are drawn at
    COMPLEX_FLOOR, below every other error, so its flat line shows."""
    hs = tuple(r.h for r in ev.rows)
    best = [f"forward {ev.best_forward:.0e}", f"central {ev.best_central:.0e}"]
    series = [Series("forward", hs, tuple(r.forward_err for r in ev.rows)),
              Series("central", hs, tuple(r.central_err for r in ev.rows))]
    if any(math.isfinite(r.richardson_err) for r in ev.rows):
        best.append(f"Richardson {ev.best_richardson:.0e}")
        series.append(Series("Richardson", hs, tuple(r.richardson_err for r in ev.rows)))
    if any(math.isfinite(r.complex_err) for r in ev.rows):
        series.append(Series("complex step", hs, tuple(
            max(r.complex_err, COMPLEX_FLOOR) if math.isfinite(r.complex_err) else r.complex_err
            for r in ev.rows)))
    return Figure(f"error of ∂f/∂{ev.node} against h (best h: {', '.join(best)})",
                  "h", "error against backprop", tuple(series))


MAX_LOSS_POINTS = 2_000  # a long :descend is thinned to this many evenly spaced steps


def descend_figure(e: Descend) -> Figure:
    """f against the step of a finished :descend (log y when every loss is positive)."""
    n = len(e.losses)
    return loss_figure(f"f = {e.output} against the step ({e.method}, lr = {e.lr:g}): "
                       f"{e.losses[0]:.6g} → {e.losses[-1]:.6g}", e.losses, n)


def live_figure(live: LiveDescent) -> Figure:
    """A running :descend: the steps so far, on an x axis that runs to the last step asked
    for, so the curve fills the plot as it goes. Reads only the first len() items, since
    the list grows on another thread."""
    n = len(live.losses)
    return loss_figure(f"f = {live.output} ({live.method}, lr = {live.lr:g}): step {n - 1:,} of "
                       f"{live.steps:,}, f = {live.losses[n - 1]:.6g}  (Esc stops)",
                       live.losses, n, xmax=float(max(1, live.steps)))


def loss_figure(title: str, losses: list[float], n: int, xmax: float | None = None) -> Figure:
    """The first n losses, thinned to MAX_LOSS_POINTS evenly spaced steps (the last kept)."""
    every = max(1, -(-n // MAX_LOSS_POINTS))
    steps = list(range(0, n, every))
    if steps[-1] != n - 1:
        steps.append(n - 1)
    ys = tuple(losses[t] for t in steps)
    return Figure(title, "step", "f", (Series("f", tuple(float(t) for t in steps), ys),),
                  xlog=False, ylog=all(y > 0 for y in ys), xmax=xmax)


def _plottable(fig: Figure, s: Series) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for x, y in zip(s.xs, s.ys, strict=True):
        ok_x = math.isfinite(x) and (x > 0 or not fig.xlog)
        ok_y = math.isfinite(y) and (y > 0 or not fig.ylog)
        if ok_x and ok_y:
            xs.append(x)
            ys.append(y)
    return xs, ys


def decade_ticks(values: list[float], most: int = 7) -> tuple[list[float], list[str]]:
    """Ticks at powers of ten labelled 1e-5 (plotext's own log labels are long decimals)."""
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))
    step = max(1, math.ceil((hi - lo) / (most - 1)))
    ks = list(range(lo, hi + 1, step))
    return [10.0**k for k in ks], [f"1e{k}" for k in ks]


# micrograd's notebook colours the two classes' regions red and blue (Spectral); the
# points are brighter versions of the same, a misclassified point yellow.
REGION = {ABOVE: "#2f5f9e", BELOW: "#9e3f36"}
UNDEFINED_REGION = "#444444"
POINT = {POINT_ABOVE: "bold #cfe4ff", POINT_WRONG: "bold #ffe84d"}
POINT_OTHER = "bold #ffd2c8"


def boundary_picture(e: Boundary, width: int, height: int) -> Text:
    """e as a width × height picture: a title, the regions in half-block cells (two grid
    samples per character, top and bottom), the points as ● by label, the axes' ranges."""
    out = Text(no_wrap=True, overflow="crop")
    top, bottom = tick_text(e.y_range[1]), tick_text(e.y_range[0])
    gutter = max(len(top), len(bottom)) + 1
    w, h = max(1, width - gutter), max(1, height - 3)
    out.append(f"{e.output} over {e.x} (across), {e.y} (up): blue where > "
               f"{fmt_val(e.threshold)}, red where ≤\n", style="bold")
    rows, cols = len(e.cells), len(e.cells[0]) if e.cells else 1
    dots = point_cells(e, w, h)

    def colour(k: int, c: int) -> str:  # k: half-row 0 … 2h-1
        cell = e.cells[min(rows - 1, k * rows // (2 * h))][min(cols - 1, c * cols // w)]
        return REGION.get(cell, UNDEFINED_REGION)

    for r in range(h):
        tick = top if r == 0 else bottom if r == h - 1 else ""
        out.append(f"{tick:>{gutter - 1}} ", style="dim")
        for c in range(w):
            upper, lower = colour(2 * r, c), colour(2 * r + 1, c)
            dot = dots.get((r, c))
            if dot is None:
                out.append("▀", style=f"{upper} on {lower}")
            else:
                out.append("●", style=f"{POINT.get(dot, POINT_OTHER)} on {upper}")
        out.append("\n")
    left, right = tick_text(e.x_range[0]), tick_text(e.x_range[1])
    out.append(" " * gutter + left + right.rjust(max(1, w - len(left))) + "\n", style="dim")
    if e.points:
        n = len(e.points)
        out.append(f"{e.data}: {n} points, ● by label (light blue > {fmt_val(e.threshold)}, "
                   f"pink ≤, yellow misclassified); accuracy {e.correct}/{n} "
                   f"({e.correct / n:.0%})", style="italic")
    else:
        out.append("no data points: data=NAME or FILE draws them", style="italic")
    return out


class LogLogPlot(PlotextPlot):
    figure: reactive[Figure | None] = reactive(None)
    boundary: reactive[Boundary | None] = reactive(None)

    def watch_figure(self, fig: Figure | None) -> None:
        self.boundary = None  # the newest thing given is shown
        self.refresh()

    def watch_boundary(self, e: Boundary | None) -> None:
        self.refresh()

    def render(self):
        if self.boundary is not None:
            return boundary_picture(self.boundary, self.size.width, self.size.height)
        # plotext applies a log scale to its stored data in place on every build, so a
        # second render (a resize, a tab switch) took log10 of logs and raised "math domain
        # error", which ended the app. Re-plot from the Figure before each build.
        self._draw(self.figure)
        return super().render()

    def _draw(self, fig: Figure | None) -> None:
        plt = self.plt
        plt.clear_figure()
        if fig is None:
            plt.title("no data yet: :hsweep (key h) plots error against h")
        elif not any(_plottable(fig, s)[0] for s in fig.series):
            # e.g. every error is exactly 0 (f does not depend on the node): a log axis with
            # no points makes plotext raise while rendering.
            plt.title(f"{fig.title}: nothing to plot (every value is 0 or not finite)")
        else:
            plt.title(fig.title)
            plt.xlabel(fig.xlabel)
            plt.ylabel(fig.ylabel)
            if fig.xlog:
                plt.xscale("log")
            if fig.ylog:
                plt.yscale("log")
            all_x: list[float] = []
            all_y: list[float] = []
            for s in fig.series:
                xs, ys = _plottable(fig, s)
                if xs:
                    plt.plot(xs, ys, label=s.name, marker="dot")
                    all_x += xs
                    all_y += ys
            if fig.xmax is not None:
                plt.xlim(0, fig.xmax)
            if fig.xlog and all_x:
                plt.xticks(*decade_ticks(all_x))
            if fig.ylog and all_y:
                plt.yticks(*decade_ticks(all_y))
