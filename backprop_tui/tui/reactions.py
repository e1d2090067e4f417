"""What each event does in the TUI: one table, event type → the widgets it updates.

Every event is written to the log, as ``render_text.text`` renders it, in its row's style.
The row also says whether the event answers a typed line (shown under the REPL line, as
pdb does), whether it is worth a note in the status bar after a key (a key has no line to
answer under), which tab it brings forward, and which other widget it updates (the plot,
the narration banner, the inspector). The panes that show the session's state (graph,
table, status, inspector) are redrawn after every line whatever its events.

A new event type gets one row here; a test checks that every event type has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from .. import events as ev
from .. import events_search as evs
from .. import reports as rp
from ..engine_events import EngineCheck
from ..events_train import Boundary, NudgeStepSet
from ..render_text import text
from ..reports import Compare
from .base import AppBase
from .widgets.banner import NarrationBanner
from .widgets.graph_view import GraphView
from .widgets.node_table import NodeTable
from .widgets.plot import LogLogPlot, descend_figure, hsweep_figure

Tab = Literal["", "tab-nodes", "tab-log", "tab-plot"]
# Under the typed line: "answer" shows its text, "error" shows it as an error, "pointer"
# shows its text only when nothing else answers (it says which pane has the answer).
UnderLine = Literal["", "answer", "error", "pointer"]


@dataclass(frozen=True)
class Reaction:
    style: str = ""  # the log's style: a log-pane--NAME component class, "" for plain
    table: bool = False  # the log keeps its columns: no wrapping, it scrolls sideways
    line: UnderLine = ""
    note: bool = False  # the status bar says it after a key or a palette command
    tab: Tab = ""  # the lower tab it brings forward
    apply: Callable[[AppBase, Any], None] | None = None  # another widget it updates
    restyle: Callable[[Any], str] | None = None  # a style that depends on the event
    line_text: Callable[[Any], str] = text  # its text under the line


def _plot(app: AppBase, e: ev.HSweep) -> None:
    app.query_one("#plot", LogLogPlot).figure = hsweep_figure(e)


def _plot_loss(app: AppBase, e: rp.Descend) -> None:
    app.query_one("#plot", LogLogPlot).figure = descend_figure(e)


def _answer_nudge(app: AppBase, e: rp.Nudge) -> None:
    app.repl.show_info(text(e))  # after a key too: the prediction beside the result


def _plot_boundary(app: AppBase, e: Boundary) -> None:
    app.query_one("#plot", LogLogPlot).boundary = e


def _narrate(app: AppBase, e: ev.Say) -> None:
    app.query_one("#banner", NarrationBanner).narration = e.message


def _inspect(app: AppBase, e: ev.ShowNode) -> None:
    app.inspect_node(e.info.id)  # :show NODE is answered by the inspector


def _table(app: AppBase) -> NodeTable:
    return app.query_one("#table", NodeTable)


def _table_note(app: AppBase) -> None:
    table = _table(app)
    if table.note:  # a sort or filter the table had to drop, and why
        app.log_pane.note(table.note, "warning")
        table.note = ""


def _found(app: AppBase, e: evs.Found) -> None:
    """A search moves the node table's cursor to its (next) match; a filter keeps its nodes."""
    table = _table(app)
    if e.what == "filter":
        table.filter_to(app.session, e.query, e.ids)
    elif e.ids:
        table.go_to(app.session, e.ids[0])
    _table_note(app)


def _sorted(app: AppBase, e: evs.Sorted) -> None:
    _table(app).sort_by(app.session, e.key)
    _table_note(app)


def _path(app: AppBase, e: evs.PathEvent) -> None:
    """The graph marks every node and wire on the paths (a wire: an operand on the path read
    by a node on it); the table goes to the source."""
    on = set(e.ids)
    graph = app.session.graph
    wires = [(a, i) for i in e.ids for a in graph.operands(i) if a in on]
    app.query_one("#graph", GraphView).highlight(on, wires)
    if e.ids:
        _table(app).go_to(app.session, e.source)


def _unmark(app: AppBase, _e: ev.Event) -> None:
    """A new program or f: the paths marked by :path no longer mean anything."""
    app.query_one("#graph", GraphView).clear_highlight()


def _diagnosed(app: AppBase, e: evs.Diagnosis) -> None:
    _table(app).go_to(app.session, e.id)


def _error_under_line(e: ev.Error) -> str:
    # Under the line that failed, the line is the place: no file:line prefix.
    return text(replace(e, file=""))


def _shown_where(e: ev.ShowNode) -> str:
    return f"#{e.info.id} {e.info.label}: in the inspector"


def _in_log(what: str) -> Callable[[ev.Event], str]:
    return lambda _e: f"{what}: in the Log tab"


def _compared_where(e: Compare) -> str:
    return "the comparison of finite differences, symbolic and backprop: in the Log tab"


REACTIONS: dict[type[ev.Event], Reaction] = {
    ev.Step: Reaction(),
    ev.Back: Reaction(line="answer", note=True),
    ev.Statement: Reaction(line="answer", apply=_unmark),
    ev.Error: Reaction(style="error", line="error", line_text=_error_under_line),
    ev.Warn: Reaction(style="warning", note=True),
    ev.Info: Reaction(line="answer", note=True),
    ev.NewSession: Reaction(line="answer", note=True, apply=_unmark),
    ev.Defined: Reaction(line="answer", note=True),
    ev.Exported: Reaction(line="answer", note=True),
    ev.Phase: Reaction(style="phase", line="answer", note=True),
    ev.BreakHit: Reaction(style="break", line="answer", note=True),
    ev.ShowNode: Reaction(line="pointer", apply=_inspect, line_text=_shown_where),
    ev.Nodes: Reaction(table=True, tab="tab-nodes"),
    ev.GraphText: Reaction(table=True, line="answer"),
    ev.Check: Reaction(style="check", table=True),
    ev.HSweep: Reaction(style="check", table=True, tab="tab-plot", apply=_plot),
    ev.Summary: Reaction(),
    ev.Say: Reaction(style="say", apply=_narrate),
    ev.Pause: Reaction(),
    ev.Expect: Reaction(style="expect", line="answer",
                        restyle=lambda e: "expect" if e.passed else "fail"),
    ev.Load: Reaction(),
    ev.Echo: Reaction(),
    EngineCheck: Reaction(style="check", table=True, tab="tab-log"),
    rp.Trace: Reaction(table=True, line="pointer", tab="tab-log", line_text=_in_log("the trace")),
    rp.Hessian: Reaction(style="check", table=True, line="pointer", tab="tab-log",
                         line_text=_in_log("the Hessian")),
    rp.HVP: Reaction(table=True, line="answer"),
    rp.Nudge: Reaction(line="answer", note=True, apply=_answer_nudge),
    NudgeStepSet: Reaction(line="answer", note=True),
    Boundary: Reaction(table=True, line="pointer", tab="tab-plot", apply=_plot_boundary,
                       line_text=lambda e: f"the decision boundary of {e.output}: in the Plot "
                       f"tab (accuracy {e.correct} of {len(e.points)})" if e.points else
                       f"the decision boundary of {e.output}: in the Plot tab"),
    rp.Descend: Reaction(table=True, line="answer", tab="tab-plot", apply=_plot_loss),
    Compare: Reaction(table=True, line="pointer", tab="tab-log", line_text=_compared_where),
    evs.Watch: Reaction(line="answer"),
    evs.Found: Reaction(line="answer", note=True, tab="tab-nodes", apply=_found),
    evs.Top: Reaction(table=True, line="answer"),
    evs.Sorted: Reaction(table=True, line="pointer", note=True, tab="tab-nodes", apply=_sorted,
                         line_text=lambda e: text(e).split("\n")[0] + ": in the Nodes tab"),
    evs.PathEvent: Reaction(line="answer", note=True, apply=_path),
    evs.Diagnosis: Reaction(style="check", line="answer", apply=_diagnosed),
}
_PLAIN = Reaction()


def reaction(event: ev.Event) -> Reaction:
    """The event's row (a subclass shares its base's row; an unknown event is plain text)."""
    for cls in type(event).__mro__:
        row = REACTIONS.get(cls)
        if row is not None:
            return row
    return _PLAIN


def log_style(event: ev.Event) -> str:
    row = reaction(event)
    return row.restyle(event) if row.restyle is not None else row.style


def under_line(events: list[ev.Event]) -> tuple[str, bool]:
    """What a typed line's events show under it, and whether it is an error ("" for nothing)."""
    rows = [(e, reaction(e)) for e in events]
    errors = [(e, r) for e, r in rows if r.line == "error"]
    if errors:
        e, r = errors[-1]
        return r.line_text(e), True
    answers = [r.line_text(e) for e, r in rows if r.line == "answer"]
    if not answers:
        answers = [r.line_text(e) for e, r in rows if r.line == "pointer"][-1:]
    return "\n".join(answers), False


def status_note(events: list[ev.Event]) -> str:
    """The note for the status bar after a key: the last event worth one."""
    notes = [text(e) for e in events if reaction(e).note]
    return notes[-1] if notes else ""
