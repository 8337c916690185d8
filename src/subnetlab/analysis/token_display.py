"""Decoded tokens made visible: whitespace and control characters drawn as symbols, so a token that
is a newline, a tab or a lone space is still something a reader can see and tell apart."""

from __future__ import annotations

import unicodedata

_SYMBOLS = {"\n": "↵", "\t": "⇥", "\r": "␍"}


def visible_text(text: str) -> str:
    """``text`` with newline, tab and carriage return drawn as ↵ ⇥ ␍ and other control or format
    characters as ``\\xNN`` / ``\\uNNNN`` escapes; spaces stay spaces (running text)."""
    out = []
    for char in text:
        if char in _SYMBOLS:
            out.append(_SYMBOLS[char])
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def visible_token(text: str) -> str:
    """A token shown on its own: as ``visible_text`` with spaces drawn as ␣ too, and the empty
    string as ∅."""
    return visible_text(text).replace(" ", "␣") or "∅"
