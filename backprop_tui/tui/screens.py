"""The help screen: every key (as currently mapped) and every command with its usage, read
from the command declarations (the registry's and the TUI's own)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..registry import Command
from .keys import TYPING_RULE


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
    ]

    def __init__(self, keys: list[tuple[str, str]], commands: Iterable[Command]) -> None:
        super().__init__()
        self._keys = keys
        self._commands = list(commands)

    def compose(self) -> ComposeResult:
        lines = [Content.from_markup("[b]backprop-tui[/b] — step through backpropagation, node by node"),
                 Content(""), Content.from_markup("[b]Keys[/b]"), Content("  " + TYPING_RULE)]
        lines += [Content.from_markup("  [b]$k[/b]  $d", k=f"{k:<14}", d=d) for k, d in self._keys]
        lines += [Content(""), Content.from_markup("[b]Commands[/b] (type them in the REPL; NODE is "
                                                   "a name, a label such as 3xy, or #id)")]
        for c in self._commands:
            alias = f"  (also {', '.join(':' + a for a in c.aliases)})" if c.aliases else ""
            lines.append(Content.from_markup("  [b]$u[/b][dim]$a[/dim]", u=c.usage, a=alias))
            lines.append(Content.from_markup("      $h", h=c.help))
        lines += [Content(""), Content.from_markup("[dim]Esc, q or ? closes this screen.[/dim]")]
        with VerticalScroll(id="help-body"):
            yield Static(Content("\n").join(lines))

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "Help"
