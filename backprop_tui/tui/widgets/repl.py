"""The REPL line: statements and :commands, history, Tab completion, errors under the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from ... import files
from ...registry import MAX_COMMAND_CHARS
from ..completion import common_prefix

HISTORY_LIMIT = 1000
Completer = Callable[[str], tuple[int, list[str]]]

# Well above anything typed, and the session's own limit for a :command; a longer program
# belongs in a file. (Textual's Input does ~1 ms of work per character inserted, and an
# unbracketed paste arrives as one key per character: see ReplInput._on_key.)
MAX_LINE = MAX_COMMAND_CHARS
TOO_LONG = (f"the line is limited to {MAX_LINE:,} characters; the rest was not taken: put a "
            "longer program in a file and run it with :load FILE (or backprop-tui FILE.bp)")
MAX_HISTORY_LINE = MAX_LINE  # characters; longer lines (set by code, not typed) are not kept


class History:
    """Lines entered, oldest first, appended to a file as they come (a crash loses none)."""

    def __init__(self, path: Path | None, limit: int = HISTORY_LIMIT) -> None:
        self.path = path
        self.limit = limit
        self.entries: list[str] = []
        if path is not None:
            try:  # files.py: a regular file, read with a bound
                data = files.read_bytes(path) if path.exists() else b""
                lines = data.decode("utf-8", errors="replace").splitlines()
            except files.FileError:
                lines = []
            self.entries = [ln for ln in lines if ln.strip()][-limit:]
            if len(lines) > 2 * limit:  # keep the file from growing without bound
                self._rewrite()

    def add(self, line: str) -> None:
        if not line.strip() or "\n" in line or (self.entries and self.entries[-1] == line):
            return
        if len(line) > MAX_HISTORY_LINE:  # a pasted megabyte is not worth recalling
            return
        self.entries.append(line)
        del self.entries[: -self.limit]
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # errors="replace": a pasted lone surrogate must not crash the app (it did).
            with files.open_append(self.path) as f:
                f.write((line + "\n").encode("utf-8", errors="replace"))
        except (OSError, files.FileError):
            self.path = None  # read-only home: keep history in memory only

    def _rewrite(self) -> None:
        assert self.path is not None
        text = "".join(e + "\n" for e in self.entries)
        try:  # surrogates from undecodable input become U+FFFD, as when the file was read
            files.write_text(self.path, text.encode("utf-8", errors="replace").decode("utf-8"))
        except files.FileError:
            pass


class ReplInput(Input):
    """An Input with up/down history and Tab completion (Input has neither)."""

    # → ← step on an empty line (the app's empty_line_key): the footer says so. Twice
    # each: as a priority binding, a step is taken as soon as the app sees the key (~0.8 ms
    # of a step's ~12 are the key's trip down to the line and back up through five
    # widgets' message queues); when that cannot be decided yet, it skips, and the key
    # takes the ordinary way to the plain binding.
    BINDINGS = [
        Binding("right", "step_key('right')", "Step", priority=True),
        Binding("left", "step_key('left')", "Back", priority=True),
        Binding("right", "cursor_right", "Step", show=False),
        Binding("left", "cursor_left", "Back", show=False),
        Binding("up", "history(-1)", "Previous line", show=False),
        Binding("down", "history(1)", "Next line", show=False),
        Binding("tab", "complete", "Complete", show=False),
    ]

    def __init__(self, history: History, completer: Completer | None = None,
                 **kwargs: Any) -> None:
        # select_on_focus off: ':' puts a colon in the line, and typing must not replace it.
        super().__init__(select_on_focus=False, max_length=MAX_LINE, **kwargs)
        self.history = history
        self.completer = completer
        self._pos = len(history.entries)  # == len(entries): editing a new line
        self._draft = ""
        self._typed: list[str] = []  # characters typed, not yet inserted (see _on_key)

    def _empty_line_key(self, key: str) -> bool:
        """On an empty line, → ← step and replay keys act (the app's empty_line_key)."""
        if self.value or self._typed:
            return False
        act = getattr(self.app, "empty_line_key", None)
        return bool(act is not None and act(key))

    def action_step_key(self, key: str) -> None:
        """The priority binding of → and ←: act at once on an empty line. Keys typed before
        this one may still wait in the line's queue (a fast typist, a paste): then skip, so
        that this key follows them in and moves the cursor."""
        if self.message_queue_size or not self._empty_line_key(key):
            raise SkipAction()

    def action_cursor_right(self, select: bool = False) -> None:
        if select or not self._empty_line_key("right"):
            super().action_cursor_right(select)

    def action_cursor_left(self, select: bool = False) -> None:
        if select or not self._empty_line_key("left"):
            super().action_cursor_left(select)

    async def _on_key(self, event: events.Key) -> None:
        """Characters are inserted a burst at a time: the keys already queued (an
        unbracketed paste sends one per character) go in as one insertion, not one each
        with its own re-render (a 12k-character paste took 15 s). Any other key first
        inserts what is pending, so editing keys see the text typed before them.

        Textual calls each class's _on_key in turn: prevent_default stops Input's."""
        if event.key in ("space", "full_stop", "plus", "minus") and self._empty_line_key(event.key):
            event.stop()
            event.prevent_default()
            return
        if event.is_printable and event.character is not None:
            event.stop()
            event.prevent_default()
            if not self._typed:
                self.call_later(self.insert_typed)
            if len(self._typed) <= MAX_LINE:  # past that it is refused anyway: hold no more
                self._typed.append(event.character)
            return
        self.insert_typed()
        if event.key in ("left", "right") and self.value:
            # The cursor moves here, in the order of the keys: a binding would act only
            # once the key had bubbled up to the app, after the characters typed next.
            event.stop()
            event.prevent_default()
            (self.action_cursor_left if event.key == "left" else self.action_cursor_right)()

    def insert_typed(self) -> None:
        """Insert the characters typed since the last insertion, up to MAX_LINE in the line.

        A paste arrives in bursts of any size, so what does not fit is dropped, whatever
        the bursts: the line holds the paste's first characters, and the message says so.
        """
        if not self._typed:
            return
        text = "".join(self._typed)
        self._typed.clear()
        self._restart_blink()
        start, end = sorted(self.selection)
        room = MAX_LINE - (len(self.value) - (end - start))
        if len(text) > room:
            text = text[:max(room, 0)]
            self.restricted()
        if text:
            self.replace(text, start, end)

    def restricted(self) -> None:
        """An insertion would pass MAX_LINE (a bracketed paste is refused whole, by Input;
        typed or unbracketed characters past it are dropped): say why, once per line, not
        with a bell per character."""
        pane = self._pane()
        if pane is not None and pane.message != TOO_LONG:
            self.app.bell()
            pane.show(TOO_LONG, error=True)

    def _pane(self) -> ReplPane | None:
        for pane in self.ancestors:
            if isinstance(pane, ReplPane):
                return pane
        return None

    def action_history(self, delta: int) -> None:
        entries = self.history.entries
        if self._pos == len(entries):
            self._draft = self.value
        pos = max(0, min(len(entries), self._pos + delta))
        if pos == self._pos:
            return
        self._pos = pos
        self.value = entries[pos] if pos < len(entries) else self._draft
        self.cursor_position = len(self.value)

    def reset_history_position(self) -> None:
        self._pos = len(self.history.entries)
        self._draft = ""

    def action_complete(self) -> None:
        if self.completer is None:
            return
        cursor = self.cursor_position
        start, words = self.completer(self.value[:cursor])
        if not words:
            self.app.bell()
            return
        word = self.value[start:cursor]
        new = words[0] + ("" if words[0].endswith(("=", ":", "(", "/")) else " ") if len(words) == 1 \
            else common_prefix(words)
        if len(new) > len(word):
            self.value = self.value[:start] + new + self.value[cursor:]
            self.cursor_position = start + len(new)
        shown = "  ".join(words[:40]) + (" …" if len(words) > 40 else "")
        pane = self._pane()
        if pane is not None:
            pane.hint = "" if len(words) == 1 else shown


class ReplPane(Vertical):
    """Prompt, input line, and a message line for errors (with caret) or completions."""

    # init=False: the message line is composed after the reactives are initialised.
    message: reactive[str] = reactive("", init=False)
    hint: reactive[str] = reactive("", init=False)
    is_error: reactive[bool] = reactive(False, init=False)

    def __init__(self, history: History, completer: Completer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._history = history
        self._completer = completer

    def compose(self) -> ComposeResult:
        with Horizontal(id="repl-line"):
            yield Label("› ", id="repl-prompt")
            yield ReplInput(self._history, self._completer, id="repl-input",
                            placeholder="statement or :command  (Tab completes, Enter repeats)")
        yield Static("", id="repl-message", markup=False)

    @property
    def input(self) -> ReplInput:
        return self.query_one(ReplInput)

    def show(self, text: str, error: bool = False) -> None:
        self.hint = ""
        self.is_error = error
        self.message = text

    def show_error(self, message: str, caret: str = "") -> None:
        self.show(f"error: {message}" + (f"\n{caret}" if caret else ""), error=True)

    def show_info(self, text: str) -> None:
        self.show(text)

    def clear_message(self) -> None:
        self.message = ""
        self.hint = ""

    def on_mount(self) -> None:
        self._render_message()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.message == TOO_LONG and len(event.value) < MAX_LINE:
            self.clear_message()  # the line was shortened: the warning is old news

    def _render_message(self) -> None:
        text = self.hint or self.message
        msg = self.query_one("#repl-message", Static)
        msg.update(Content(text))  # the user's text: never markup
        msg.display = bool(text)
        msg.set_class(self.is_error and not self.hint, "-error")

    def watch_message(self) -> None:
        self._render_message()

    def watch_hint(self) -> None:
        self._render_message()

    def watch_is_error(self) -> None:
        self._render_message()
