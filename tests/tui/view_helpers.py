"""Helpers for the graph view and node table tests: sessions and a one-widget app."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widget import Widget

from backprop_tui.language import parse
from backprop_tui.ops import OP_INDEX
from backprop_tui.session import Session
from backprop_tui.tui.messages import NodeSelected

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def seed_session() -> Session:
    return Session(parse(SEED))


def big_session(n: int, chain: bool = True) -> Session:
    """n nodes built straight into the arrays (parsing 100k nodes takes seconds).

    chain: each node adds x to the previous one, so f's cone is the whole graph.
    Otherwise every node is x·x on its own and f (the last) reads only x.
    """
    prog = parse("x = 0.5")
    g = prog.graph
    x = prog.bindings["x"]
    prev = x
    op = OP_INDEX["add"] if chain else OP_INDEX["mul"]
    for _ in range(n - 1):
        prev = g.add(op, prev if chain else x, x, start=0, end=1)
    prog.output = prev
    return Session(prog)


class ViewApp(App):
    """Mounts one widget and records the nodes it selects."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_node_selected(self, message: NodeSelected) -> None:
        self.selected.append(message.node_id)
