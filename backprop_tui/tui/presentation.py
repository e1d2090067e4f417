"""The presentation layout for a classroom (F12, --present): the graph, the inspector and a
large narration banner only, in a high-contrast theme that reads on a projector.

F12 cycles: off → dark projector theme → light projector theme → off (the theme in use
before comes back). A terminal cannot enlarge its font for one widget, so "large" is room:
the banner gets padding, a blank row around it and bold text; zoom the terminal itself
(Ctrl + in most) for the back row. The themes use pure black on white (or white on black)
and saturated accents at a contrast of 7:1 or more against the background (WCAG AAA).
"""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

PRESENT_CLASS = "-present"
DARK, LIGHT = "projector-dark", "projector-light"
THEMES = {
    DARK: Theme(name=DARK, primary="#FFD400", secondary="#00E5FF", accent="#FFD400",
                warning="#FFB000", error="#FF6B6B", success="#3DFF6E", foreground="#FFFFFF",
                background="#000000", surface="#000000", panel="#1C1C1C", dark=True,
                text_alpha=1.0),
    LIGHT: Theme(name=LIGHT, primary="#0030B0", secondary="#6A0080", accent="#0030B0",
                 warning="#7A4A00", error="#B00000", success="#005A00", foreground="#000000",
                 background="#FFFFFF", surface="#FFFFFF", panel="#E6E6E6", dark=False,
                 text_alpha=1.0),
}
ORDER = ("", DARK, LIGHT)  # what F12 steps through


def following(mode: str) -> str:
    """The presentation mode after `mode` ("" is off)."""
    return ORDER[(ORDER.index(mode) + 1) % len(ORDER)] if mode in ORDER else ""


def apply(app: App[int], mode: str, theme_before: str) -> None:
    """Lay the app out for `mode` (DARK, LIGHT, or "" to go back to `theme_before`)."""
    screen = app.screen_stack[0]
    screen.set_class(bool(mode), PRESENT_CLASS)
    if mode:
        if mode not in app.available_themes:
            app.register_theme(THEMES[mode])
        app.theme = mode
    elif theme_before:
        app.theme = theme_before
