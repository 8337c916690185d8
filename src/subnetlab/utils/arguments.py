"""argparse types for the counts the scripts and benchmarks take: a value outside what is
allowed stops the command before any work with argparse's error naming the option, the value and
what is allowed."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def integer_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer ≥ ``minimum``.

    Raises (from the returned parser):
        argparse.ArgumentTypeError: the text is no integer, or one below ``minimum``.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an integer; allowed an integer >= {minimum}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value}: allowed an integer >= {minimum}")
        return value

    parse.__name__ = f"integer >= {minimum}"  # argparse names the type in some messages
    return parse


def parallel_jobs(text: str) -> int:
    """An argparse ``type`` for joblib's worker count: -1 (one per core) or a positive count.

    Raises:
        argparse.ArgumentTypeError: any other value.
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == -1 or value >= 1:
        return value
    raise argparse.ArgumentTypeError(f"{text!r}: allowed -1 (one per core) or a positive count")


def positive_number(text: str) -> float:
    """An argparse ``type``: a finite number > 0.

    Raises:
        argparse.ArgumentTypeError: anything else.
    """
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value > 0 and value != float("inf"):
        return value
    raise argparse.ArgumentTypeError(f"{text!r}: allowed a finite number > 0")


def seed_list(text: str) -> str:
    """An argparse ``type`` for comma-separated seeds (``0,1,2``): returned as given once every
    entry is a non-negative integer.

    Raises:
        argparse.ArgumentTypeError: an empty list or an entry that is not a non-negative integer.
    """
    entries = [entry.strip() for entry in text.split(",")]
    if not text.strip() or not all(entry.isdigit() for entry in entries):
        raise argparse.ArgumentTypeError(
            f"{text!r}: allowed comma-separated non-negative integers, e.g. 0,1,2"
        )
    return ",".join(entries)
