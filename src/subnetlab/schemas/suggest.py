""" "Did you mean …?": the allowed names closest to a mistyped one, for error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: how alike (difflib's ratio, 0–1) a name must be to be suggested; 0.6 is difflib's default
#: and keeps ``lrr`` → ``lr`` and ``TMS`` → ``tms`` (compared case-folded) while dropping noise
_CUTOFF = 0.6


def closest(name: str, allowed: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``allowed`` closest to ``name``, best first (compared case-insensitively,
    so ``TMS`` finds ``tms``); empty when none is close."""
    by_folded: dict[str, str] = {}
    for option in allowed:
        by_folded.setdefault(option.casefold(), option)
    matches = difflib.get_close_matches(name.casefold(), list(by_folded), n=n, cutoff=_CUTOFF)
    return [by_folded[m] for m in matches]


def did_you_mean(candidates: list[str]) -> str:
    """``"did you mean a?"`` / ``"did you mean a or b?"`` / ``"did you mean a, b or c?"``; ``""``
    for no candidates."""
    if not candidates:
        return ""
    if len(candidates) == 1:
        return f"did you mean {candidates[0]}?"
    return f"did you mean {', '.join(candidates[:-1])} or {candidates[-1]}?"
