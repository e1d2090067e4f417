"""The nudge keys (issue 17): shift+↑/↓ nudge the selected input by ± the nudge step, shift+
PgUp/PgDn multiply the step by 10 or divide it by 10.

Each key sends its command text (``:nudge x 0.01``, ``:nudge step=0.1``) through the
session, so it is recorded and logged, and the answer (the prediction beside the result)
shows under the line as for a typed :nudge. The step lives in the session (commands.optimize
.nudge_step), so ``:nudge step=X`` typed on the line sets the same one.

The selected input is the node picked in the graph or the Nodes table (a click, or Enter on
a row); after a nudge it stays selected, so the key repeats on it.
"""

from __future__ import annotations

from ..commands.optimize import nudge_step
from ..ops import INPUT
from .base import AppBase
from .widgets.status import StatusBar

STEP_DIGITS = 12  # ×10 and ÷10 of 0.01 stay 0.1 and 0.001, not 0.09999999999999999


class NudgeMixin(AppBase):
    """The BackpropApp's nudge keys."""

    _nudge_node: int | None = None  # the input the last nudge key moved

    def selected_node(self) -> int | None:
        """The node the user picked (graph or table), else the input last nudged."""
        raise NotImplementedError

    def _refuse_nudge(self, why: str) -> None:
        self.query_one("#status", StatusBar).note = why
        self.repl.show(why, error=True)

    def action_nudge(self, sign: int) -> None:
        s = self.session
        if s.output is None:
            self._refuse_nudge("no f yet: type an expression, then select an input to nudge")
            return
        node = self.selected_node()
        if node is None or not 0 <= node < len(s.graph):
            node = self._nudge_node
        inputs = s.inputs_of_f()
        names = ", ".join(name for name, _ in inputs) or "none"
        if node is None or not 0 <= node < len(s.graph):
            if len(inputs) != 1:
                self._refuse_nudge(f"select an input to nudge (click it in the graph or the Nodes "
                                   f"table, or Enter on its row); f's inputs are {names}")
                return
            node = inputs[0][1]
        info = s.node_info(node)
        g = s.prog.graph
        if g.op[node] != INPUT:
            what = "a literal number" if info.op == "literal" else \
                "a constant" if info.op == "const" else "an operation"
            self._refuse_nudge(f"#{node} {info.label} is {what}, not an input: shift+↑/↓ nudge "
                               f"an input of f ({names}); select one first")
            return
        # By name when the name still means this node (a rebound name means a newer input).
        ref = info.label if s.prog.lookup(info.label) == node else f"#{node}"
        delta = sign * nudge_step(s)
        self._nudge_node = node
        if self.run_line(f":nudge {ref} {delta!r}", source="key"):
            self.inspect_node(node)  # keep it selected: the next key nudges it again

    def action_nudge_step(self, factor: float) -> None:
        step = float(f"{nudge_step(self.session) * factor:.{STEP_DIGITS}g}")
        self.run_line(f":nudge step={step!r}", source="key")
