"""The Textual TUI: widgets render session state and events, and send session commands."""

import os

# Textual draws at most one frame per tick of 1/TEXTUAL_FPS seconds (60 by default), so a
# key waits up to a whole tick before its frame is drawn. 120 halves that wait; the tick
# only runs while something is waiting to be drawn. Set before textual is first imported;
# a user's own TEXTUAL_FPS wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
