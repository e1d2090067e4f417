"""The command palette (Ctrl+P): every command, from the declarations in the registry and
the TUI's own, with guards around two upstream bugs of Textual 8.2.8's palette.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual import on
from textual.app import SystemCommand
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Button, Input, OptionList, TabbedContent

from ..registry import COMMANDS, Command
from .base import AppBase

# Bare, these act on everything (a bare :unbreak removes every breakpoint): from a menu,
# ask which instead of running at once.
_ASK_FIRST = frozenset({"unbreak"})


def needs_arguments(command: Command) -> bool:
    """The usage shows a required argument (:goto NODE), or the bare command acts on all."""
    required = any(not w.startswith("[") for w in command.usage.split()[1:2])
    return required or command.name in _ASK_FIRST


class GuardedPalette(CommandPalette):
    """Textual's palette, guarded (both bugs reproduce in a bare Textual 8.2.8 app).

    - Enter pressed twice quickly: the second selection arrives after the palette was
      dismissed, and dismissing it again pops the app's last screen (ScreenStackError,
      the app exits). A selection that reaches a palette no longer on top is dropped.
    - Page keys in a just-opened palette index a line map that is still empty (KeyError):
      until the list is laid out, a page key moves one line.
    """

    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    @on(Button.Pressed)
    def _drop_when_dismissed(self, event: Any) -> None:
        # This class's handlers run before the base class's; prevent_default stops those.
        if not self.is_active:
            event.stop()
            event.prevent_default()

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if not self.is_active:  # already dismissed: nothing to pop
            return AwaitComplete()
        return super().dismiss(result)

    def _action_command_list(self, action: str) -> None:
        try:
            super()._action_command_list(action)
        except KeyError:
            if action not in ("page_up", "page_down"):
                raise
            super()._action_command_list("cursor_up" if action == "page_up" else "cursor_down")


class PaletteMixin(AppBase):
    """The BackpropApp's palette half: its entries and what choosing one does."""

    def action_command_palette(self) -> None:
        # (CommandPalette.is_open's test, which its App[object] parameter does not let an
        # App[int] pass to it without a cast.)
        if self.use_command_palette and not self.screen.has_class("--textual-command-palette"):
            self.push_screen(GuardedPalette(id="--command-palette"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for tab, title, key in (("tab-nodes", "Nodes tab", "F2"), ("tab-log", "Log tab", "F3"),
                                ("tab-plot", "Plot tab", "F4")):
            yield SystemCommand(escape(title), escape(f"Show the {title} ({key})"),
                                partial(self._show_tab, tab))
        for c in [*COMMANDS.values(), *self.own.values()]:
            # Titles and help are markup: usages such as [h=…] must be escaped.
            yield SystemCommand(escape(c.usage), escape(c.help), partial(self._palette_command, c))

    def _show_tab(self, tab: str) -> None:
        self.query_one("#lower", TabbedContent).active = tab

    def _palette_command(self, command: Command) -> None:
        """Run a command that needs no arguments; otherwise put it in the REPL to finish."""
        if needs_arguments(command):
            repl_input = self.repl.input
            repl_input.value = f":{command.name} "
            repl_input.cursor_position = len(repl_input.value)
            repl_input.focus()
            self.repl.show_info(command.usage)
        else:
            self.run_line(f":{command.name}", source="palette")
