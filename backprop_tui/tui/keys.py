"""The app's keys: bindings (remappable by id, see config.load_keymap) and their help text.

Every stepping key sends its command's text (``:step`` …) through the session, so
recording captures it and the log teaches the command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual.binding import Binding, BindingType

# Typing is never lost: the line has the focus, and every printable key goes into it,
# wherever the focus is (app.on_key sends it there). Actions are on keys that type nothing:
# → ← (on an empty line), F-keys, Ctrl+P. The letters below act only after Esc has left
# an empty line ("key mode"); any other printable key goes back to the line, typed.
BINDINGS: list[BindingType] = [
    Binding("right,n", "run(':step')", "Step", id="step"),
    Binding("left,p", "run(':back')", "Back", id="back"),
    Binding("f5,c", "run(':continue')", "Cont", id="continue"),
    Binding("f6,f", "run(':forward')", "Fwd", id="forward"),
    Binding("f7,b", "run(':backward')", "Bwd", id="backward"),
    Binding("f8,r", "run(':reset')", "Reset", show=False, id="reset"),
    Binding("f9,x", "check", "Check", id="check"),
    Binding("f10,h", "hsweep", "h-sweep", show=False, id="hsweep"),
    Binding("f2", "tab('tab-nodes')", "Nodes", show=False, id="nodes"),
    Binding("f3", "tab('tab-log')", "Log", show=False, id="log"),
    Binding("f4", "tab('tab-plot')", "Plot", show=False, id="plot"),
    Binding("f1,question_mark", "help", "Help", id="help"),
    Binding("space", "toggle_play", "Pause", id="play"),
    Binding("full_stop", "skip", "Skip", id="skip"),
    Binding("plus", "speed(1)", "Faster", show=False, id="faster"),
    Binding("minus", "speed(-1)", "Slower", show=False, id="slower"),
    # priority: the page keys are the table's and the log's too; during playback they are
    # the slides' (a presenter's clicker sends them), otherwise they scroll as before.
    Binding("pagedown", "next_slide", "Next", show=False, id="next-slide", priority=True),
    Binding("pageup", "prev_slide", "Previous", show=False, id="prev-slide", priority=True),
    Binding("f11", "toggle_slides", "Slides", show=False, id="slides"),
    Binding("f12", "present", "Present", show=False, id="present"),
    Binding("escape", "escape", "Keys", show=False, id="cancel"),
    Binding("ctrl+q,q", "quit", "Quit", id="quit"),
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
    "nodes": "show the Nodes tab",
    "log": "show the Log tab",
    "plot": "show the Plot tab (:hsweep draws there)",
    "help": "this screen (or type help)",
    "play": "replay: pause / resume (on an empty line)",
    "skip": "replay: skip to the next narration; in slides, the next slide (on an empty line)",
    "faster": "replay: faster (on an empty line; ×0.25 … ×8, --speed X to start)",
    "slower": "replay: slower (on an empty line)",
    "next-slide": "replay: the next slide (runs every line up to its :say)",
    "prev-slide": "replay: the previous slide, the session restored exactly as it was there",
    "slides": "replay: slides (each :say waits for PgDn) or timed playback (--slides to start)",
    "present": "presentation layout: dark projector theme, light, off (--present to start)",
    "cancel": "cancel a running check; on an empty line, leave it: the letters act",
    "quit": "quit (or type quit)",
}

# The rule, first on the help screen and in the README.
TYPING_RULE = ("Everything you type goes into the line, wherever the focus is; → and ← step on "
               "an empty line (so do space . + - while a replay plays). After Esc on an empty "
               "line, the single letters shown after the F-keys act (n p c f b r x h ? q); any "
               "other key returns to the line.")


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
