"""Fixtures for the TUI tests: the app with its files in a temporary state directory."""

from __future__ import annotations

import importlib
import sys
import types

import pytest


def _placeholder(module: str, cls: str) -> None:
    """A stand-in widget while a concurrently written widget module does not exist yet."""
    try:
        importlib.import_module(module)
        return
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
    from textual.widgets import Static

    def update_view(self, session) -> None:
        self.update(session.progress_text())

    mod = types.ModuleType(module)
    setattr(mod, cls, type(cls, (Static,), {"update_view": update_view}))
    sys.modules[module] = mod


_placeholder("backprop_tui.tui.widgets.graph_view", "GraphView")
_placeholder("backprop_tui.tui.widgets.node_table", "NodeTable")


@pytest.fixture(autouse=True)
def _state_dirs(tmp_path, monkeypatch):
    """History and keymap go to a temporary folder, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


async def settle(pilot) -> None:
    """Let workers (the FD check) finish and their results render."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
