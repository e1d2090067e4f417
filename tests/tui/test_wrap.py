"""The inspector's own word wrap (widgets/wrap.py) draws a line as Rich's wrap of a Text
would: the same characters in the same styles, line for line, at every width."""

from __future__ import annotations

import random

from textual.strip import Strip

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.inspector import Inspector
from backprop_tui.tui.widgets.wrap import wrap_pieces, wraps_plainly

WORDS = ["∂f/∂(x²+3xy)", "=", "1·1", "(final)", "x", "  ", " ", "chain", "rule:",
         "averyveryverylongwordthatnevereverfits", "3.98603", "×", "+", "✓", "·", "", "(arrived)"]
ROLES = ["", "bold", "dim", "title", "pass"]


def _cells(strip: Strip) -> list[tuple[str, object]]:
    return [(ch, seg.style) for seg in strip for ch in seg.text]


async def test_the_inspectors_wrap_draws_as_richs_at_every_width():
    rng = random.Random(15)
    app = BackpropApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        ins = app.query_one(Inspector)
        compared = 0
        for _ in range(400):
            line = []
            for _ in range(rng.randint(1, 5)):
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
                line.append((text + " " * rng.randint(0, 3), rng.choice(ROLES)))
            width = rng.randint(4, 40)
            plain = "".join(t for t, _ in line)
            if not plain or not wraps_plainly(plain):
                continue
            ours = ins._strips_of(line, width)
            theirs = ins._strips_of_text(line, width)
            assert [_cells(s) for s in ours] == [_cells(s) for s in theirs], (line, width)
            compared += len(wrap_pieces(line, width)) > 1
        assert compared > 200  # most of them wrapped
