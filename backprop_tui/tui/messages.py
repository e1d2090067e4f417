"""Messages the TUI's widgets post to the app."""

from __future__ import annotations

from textual.message import Message


class NodeSelected(Message):
    """The user picked a node (a click in the graph or the table): the app inspects it."""

    def __init__(self, node_id: int) -> None:
        super().__init__()
        self.node_id = node_id
