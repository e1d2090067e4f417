"""What a served session (backprop-tui serve, one per browser tab) does differently.

- Its files stay in one folder (confine.py): the process starts with ``--confine DIR``.
- What a command writes goes to the browser as a download: every Exported event (from
  :export, :record stop) and every :screenshot, through App.deliver_binary / deliver_text.
- Its REPL history is private to the tab (serve.run_served), so one student's ↑ never
  shows another's lines.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from textual.app import App

from .. import confine
from ..events import Event, Exported


def screenshot_path(arg: str, including: str) -> Path:
    """Where :screenshot FILE.svg writes (confine.PathRefused in a served session when FILE
    leaves its folder). Locally ~ is expanded, as before."""
    if confine.root() is None:
        arg = os.path.expanduser(arg)
    return Path(confine.resolve(arg, including))


def deliver(app: App, path: str) -> None:
    """Send a written file to the browser as a download (only when served)."""
    if not app.is_web:
        return
    if threading.current_thread() is threading.main_thread():
        app.deliver_binary(path)
    else:  # a listener called from a worker's thread
        app.call_from_thread(app.deliver_binary, path)


def deliver_exports(app: App, line: str, events: list[Event]) -> None:
    """A session listener: deliver every file the line wrote."""
    for ev in events:
        if isinstance(ev, Exported) and ev.path and os.path.isfile(ev.path):
            deliver(app, ev.path)
