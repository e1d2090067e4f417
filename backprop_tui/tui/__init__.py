"""The Textual TUI: widgets render session state and events, and send session commands."""
