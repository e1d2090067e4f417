"""The app's keys: bindings (remappable by id, see config.load_keymap) and their help text.

Every stepping key sends its command's text (``:step`` …) through the session, so
recording captures it and the log teaches the command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual.binding import Binding, BindingType

BINDINGS: list[BindingType] = [
    Binding("n,right", "run(':step')", "Step", id="step"),
    Binding("p,left", "run(':back')", "Back", id="back"),
    Binding("c", "run(':continue')", "Cont", id="continue"),
    Binding("f", "run(':forward')", "Fwd", id="forward"),
    Binding("b", "run(':backward')", "Bwd", id="backward"),
    Binding("r", "run(':reset')", "Reset", id="reset"),
    Binding("x", "check", "Check", id="check"),
    Binding("h", "hsweep", "h-sweep", id="hsweep"),
    Binding("colon", "focus_repl", "REPL", id="repl"),
    Binding("e", "focus_statement", "Expression", show=False, id="statement"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("space", "toggle_play", "Pause", id="play"),
    Binding("full_stop", "skip", "Skip", id="skip"),
    Binding("escape", "escape", "Cancel", show=False, id="cancel"),
    Binding("q", "quit", "Quit", id="quit"),
]

# What each key does, for the help screen (the footer's labels are one word).
KEY_HELP = {
    "step": "step: through the forward pass, then on into the backward pass (:step)",
    "back": "step back, restoring exactly the state before (:back)",
    "continue": "continue to a breakpoint or the end (:continue; :break NODE sets one)",
    "forward": "finish the forward pass (:forward)",
    "backward": "finish the backward pass (:backward)",
    "reset": "back to the start (:reset)",
    "check": "finite-difference check of every gradient (:check all; inputs on big graphs)",
    "hsweep": "error of finite differences against h, plotted (:hsweep)",
    "repl": "type a :command (the line starts with ':')",
    "statement": "type a statement, e.g. w = 0.5; tanh(w*x + y)",
    "help": "this screen",
    "play": "replay: pause / resume",
    "skip": "replay: skip to the next narration",
    "cancel": "cancel a running check; leave the command line",
    "quit": "quit",
}


def key_help(keymap: Mapping[str, str], display: Callable[[str], str]) -> list[tuple[str, str]]:
    """(keys as currently mapped, what they do) for the help screen.

    `keymap`: binding id → keys as remapped; `display`: a key's name as shown on screen.
    """
    keys = []
    for b in BINDINGS:
        assert isinstance(b, Binding)
        key = keymap.get(b.id, b.key) if b.id else b.key
        shown = ", ".join(display(k.strip()) for k in key.split(","))
        keys.append((shown, KEY_HELP.get(b.id or "", b.description)))
    keys.append(("ctrl+p", "command palette: every command"))
    keys.append(("↑ ↓ Tab Enter", "in the REPL: history, completion, repeat the last command"))
    return keys
