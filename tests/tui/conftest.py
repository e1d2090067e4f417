"""Fixtures for the TUI tests: the app with its files in a temporary state directory."""

from __future__ import annotations

import pytest


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


async def enter(pilot, line: str, pause: bool = True) -> None:
    """Type a line into the REPL and submit it (pause=False: the caller settles later)."""
    repl = pilot.app.repl.input
    repl.focus()
    repl.value = line
    repl.cursor_position = len(line)
    await pilot.press("enter")
    if pause:
        await pilot.pause()
