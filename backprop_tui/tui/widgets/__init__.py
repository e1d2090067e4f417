"""The TUI's widgets, grouped by screen area."""
