"""Handouts: the evaluation trace (Markdown, LaTeX, CSV, HTML) and the stepping web page.

model.py computes the trace from the session's own stepping; formats.py writes it; page.py
builds the self-contained HTML page that steps through the session in a browser.
"""
