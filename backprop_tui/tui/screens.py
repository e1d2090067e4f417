"""The help screen: every key (as currently mapped) and every command with its usage."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..registry import COMMANDS


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
    ]

    def __init__(self, keys: list[tuple[str, str]], extra: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self._keys = keys
        self._extra = extra

    def compose(self) -> ComposeResult:
        lines = [Content.from_markup("[b]backprop-tui[/b] — step through backpropagation, node by node"),
                 Content(""), Content.from_markup("[b]Keys[/b]")]
        lines += [Content.from_markup("  [b]$k[/b]  $d", k=f"{k:<14}", d=d) for k, d in self._keys]
        lines += [Content(""), Content.from_markup("[b]Commands[/b] (type them in the REPL; NODE is "
                                                   "a name, a label such as 3xy, or #id)")]
        usages = [(c.usage, c.help, c.aliases) for c in COMMANDS.values()]
        usages += [(usage, text, ()) for usage, text in self._extra.values()]
        for usage, text, aliases in usages:
            alias = f"  (also {', '.join(':' + a for a in aliases)})" if aliases else ""
            lines.append(Content.from_markup("  [b]$u[/b][dim]$a[/dim]", u=usage, a=alias))
            lines.append(Content.from_markup("      $h", h=text))
        lines += [Content(""), Content.from_markup("[dim]Esc, q or ? closes this screen.[/dim]")]
        with VerticalScroll(id="help-body"):
            yield Static(Content("\n").join(lines))

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "Help"
