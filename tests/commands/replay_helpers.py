"""Helpers shared by the replay and recording tests."""

from __future__ import annotations

from backprop_tui.replay import Tally, run_line


def run_script(session, lines):
    """Run replay lines in order and tally them, as headless mode does."""
    tally = Tally()
    for sl in lines:
        tally.feed(sl, run_line(session, sl))
    tally.finish()
    return tally
