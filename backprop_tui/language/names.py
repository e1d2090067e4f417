"""Names as Python takes identifiers: XID_Start then XID_Continue characters (letters of any
script, combining marks, digits, _), NFKC-normalised so that fullwidth ｘ is x and an NFD é
is the NFC é. Two departures: subscript digits are name characters and are kept as typed
(x₁, as the README has always had it); superscript digits never are (x² is x^2).

The grammar's NAME pattern is broad on purpose: every character that is not ASCII
punctuation, a space, a control or one of the language's operator signs. Python's `re` has
no XID classes, and building them takes ~0.1 s at start-up; the lexer callback holds the
token to the exact rule with str.isidentifier (C speed) instead.
"""

from __future__ import annotations

import re
import unicodedata

SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
_AS_DIGITS = str.maketrans(SUBSCRIPTS, "0" * len(SUBSCRIPTS))
_SPLIT = re.compile(f"([{SUBSCRIPTS}]+)")


def first_invalid(name: str) -> int:
    """The index of the first character that cannot be part of a name there, or -1."""
    t = name.translate(_AS_DIGITS)
    if t.isidentifier():
        return -1
    if not t[:1].isidentifier():
        return 0
    return next((k for k in range(1, len(t)) if not ("a" + t[k]).isidentifier()), -1)


def normalise(name: str) -> str:
    """NFKC, as Python normalises identifiers, with subscript digits kept as typed."""
    if name.isascii():
        return name
    parts = _SPLIT.split(name)
    return "".join(p if k % 2 else unicodedata.normalize("NFKC", p) for k, p in enumerate(parts))


def shown(ch: str) -> str:
    """A character as an error message quotes it (an invisible one as its escape)."""
    return ch if ch.isprintable() else repr(ch)[1:-1]
