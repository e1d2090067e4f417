"""Snapshot tests of whole screens (pytest-textual-snapshot) for the seed example.

Regenerate the baselines after an intended change with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from backprop_tui.tui.app import BackpropApp

SIZE = (100, 30)


def _before(*keys: str):
    async def run_before(pilot) -> None:
        pilot.app.repl.input.cursor_blink = False  # a blinking cursor makes flaky snapshots
        if keys:
            await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()  # the FD check runs in a worker
        await pilot.pause()

    return run_before


def test_seed_at_start(snap_compare):
    assert snap_compare(BackpropApp(), terminal_size=SIZE, run_before=_before())


def test_seed_after_the_forward_pass(snap_compare):
    assert snap_compare(BackpropApp(), terminal_size=SIZE, run_before=_before("f6"))


def test_seed_mid_backward(snap_compare):
    # backward 4/9, at x²: x's gradient arrives in its first contribution, 0 → 4
    assert snap_compare(BackpropApp(), terminal_size=SIZE,
                        run_before=_before("f6", "right", "right", "right", "right"))


def test_seed_after_the_fd_check(snap_compare):
    assert snap_compare(BackpropApp(), terminal_size=SIZE, run_before=_before("f7", "f9"))
