"""Word wrap of a styled line, as Rich wraps a Text, without rendering one.

The inspector wraps a few of its lines on every step (a formula, a chain-rule term), and
Rich's way (a Text through Console.render) costs ~85 µs a line. The breaks come from
Rich's own divide_line (rich._wrap); what Text.wrap does after it (each line cut at the
width) is redone here on plain pieces. Only for printable one-cell characters
(``wraps_plainly``): anything else goes the Rich way. test_wrap.py compares the two.
"""

from __future__ import annotations

from rich._wrap import divide_line
from rich.cells import cell_len

Piece = tuple[str, str]  # (text, role)


def wraps_plainly(text: str) -> bool:
    """Whether `text` can be wrapped here: printable one-cell characters only."""
    return text.isprintable() and (text.isascii() or all(cell_len(ch) == 1 for ch in text))


def wrap_pieces(pieces: list[Piece], width: int) -> list[list[Piece]]:
    """The lines `pieces` wraps to at `width` (words longer than a line are folded), each
    as pieces in the same roles."""
    plain = "".join(text for text, _ in pieces)
    bounds = [0, *divide_line(plain, width, fold=True), len(plain)]
    lines: list[list[Piece]] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        # Text.rstrip_end drops spaces past the width, Text.truncate the rest: a cut
        lines.append(_slice(pieces, start, min(end, start + width)))
    return lines


def _slice(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    out: list[Piece] = []
    at = 0
    for text, role in pieces:
        a, b = max(start, at), min(end, at + len(text))
        if a < b:
            out.append((text[a - at:b - at], role))
        at += len(text)
    return out
