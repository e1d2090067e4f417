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
    Binding("alt+left", "graph_pan(-1, 0)", "Pan", show=False, id="pan-left"),
    Binding("alt+right", "graph_pan(1, 0)", "Pan", show=False, id="pan-right"),
    Binding("alt+up", "graph_pan(0, -1)", "Pan", show=False, id="pan-up"),
    Binding("alt+down", "graph_pan(0, 1)", "Pan", show=False, id="pan-down"),
    Binding("ctrl+up", "graph_zoom(1)", "Zoom in", show=False, id="zoom-in"),
    Binding("ctrl+down", "graph_zoom(-1)", "Zoom out", show=False, id="zoom-out"),
    Binding("ctrl+l", "graph_fit", "Fit", show=False, id="fit"),
    Binding("ctrl+t,z", "graph_fold", "Fold", show=False, id="fold"),
    Binding("ctrl+o,o", "graph_outside", "Outside f", show=False, id="outside"),
    Binding("f1,question_mark", "help", "Help", id="help"),
    Binding("space", "toggle_play", "Pause", id="play"),
    Binding("full_stop", "skip", "Skip", id="skip"),
    Binding("shift+up", "nudge(1)", "Nudge +", show=False, id="nudge_up"),
    Binding("shift+down", "nudge(-1)", "Nudge −", show=False, id="nudge_down"),
    Binding("shift+pageup", "nudge_step(10)", "Step ×10", show=False, id="nudge_step_up"),
    Binding("shift+pagedown", "nudge_step(0.1)", "Step ÷10", show=False, id="nudge_step_down"),
    Binding("ctrl+f", "find", "Find", show=False, id="find"),
    Binding("ctrl+g", "run(':find')", "Next", show=False, id="find_next"),
    Binding("ctrl+s", "run(':sort')", "Sort", show=False, id="sort"),
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
    "pan-left": "graph: pan left (alt+arrows pan the drawing)",
    "pan-right": "graph: pan right",
    "pan-up": "graph: pan up",
    "pan-down": "graph: pan down",
    "zoom-in": "graph: zoom in (overview → numbers → labels → value and gradient together …)",
    "zoom-out": "graph: zoom out, down to the overview (names and operators only)",
    "fit": "graph: fit the drawing to the pane again (the default until you zoom)",
    "fold": "graph: fold the selected named node (or call) into one box, or unfold it "
            "(:fold NAME|all, :unfold NAME|all)",
    "outside": "graph: show or hide the nodes outside f, dimmed (values only, never gradients)",
    "help": "this screen (or type help)",
    "play": "replay: pause / resume (on an empty line)",
    "skip": "replay: skip to the next narration; in slides, the next slide (on an empty line)",
    "faster": "replay: faster (on an empty line; ×0.25 … ×8, --speed X to start)",
    "slower": "replay: slower (on an empty line)",
    "next-slide": "replay: the next slide (runs every line up to its :say)",
    "prev-slide": "replay: the previous slide, the session restored exactly as it was there",
    "slides": "replay: slides (each :say waits for PgDn) or timed playback (--slides to start)",
    "present": "presentation layout: dark projector theme, light, off (--present to start)",
    "nudge_up": "nudge the selected input up by the step: the prediction beside the result "
                "(:nudge NAME STEP)",
    "nudge_down": "nudge the selected input down by the step (:nudge NAME -STEP)",
    "nudge_step_up": "nudge step ×10 (:nudge step=X; the status line shows it)",
    "nudge_step_down": "nudge step ÷10",
    "cancel": "cancel a running check, or stop a :descend at its last completed step; on an "
              "empty line, leave it: the letters act",
    "find": "find a node: the line starts a /search; type TEXT and Enter (label or name; :find TEXT)",
    "find_next": "the next match of the last search, in the node table (:find)",
    "sort": "sort the node table: |grad|, |value|, FD error, op, id in turn (:sort)",
    "quit": "quit (or type quit)",
}

# The rule, first on the help screen and in the README.
TYPING_RULE = ("Everything you type goes into the line, wherever the focus is; → and ← step on "
               "an empty line (so do space . + - while a replay plays). After Esc on an empty "
               "line, the single letters shown after the F-keys act (n p c f b r x h z o ? q); "
               "any other key returns to the line.")


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
