"""Reading checkpoint files safely: ``torch.load(..., weights_only=True)`` with failures told in
one plain line (what the file is instead), never torch's advice to load it unsafely; and finding
the non-finite tensors in a checkpoint's state."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import torch

# the start of a file written by torch.save before its zip format: pickle protocol 2, then the
# legacy magic number as a pickled long
_LEGACY_TORCH_START = b"\x80\x02\x8a\x0a"
_ZIP_START = b"PK\x03\x04"  # torch.save's format since torch 1.6 is a zip archive
_GZIP_START = b"\x1f\x8b"
_REFUSED_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")


class CheckpointFileError(ValueError):
    """A checkpoint file is missing, unreadable, or holds more than tensors and plain containers.

    The message is one line saying what the file is; callers prefix what they expected."""


def read_checkpoint(path: Path) -> Any:
    """The object stored in ``path`` by ``torch.save``, loaded onto the CPU with
    ``weights_only=True`` (tensors, numbers, strings and plain containers; never code).

    Raises:
        CheckpointFileError: ``path`` is not a file, is empty, is not a torch.save file (e.g.
            text), is truncated or corrupt, or holds Python objects a weights-only load refuses.
    """
    if not path.is_file():
        raise CheckpointFileError(f"{path} is not a file")
    with path.open("rb") as handle:
        head = handle.read(64)
    if not head:
        raise CheckpointFileError(f"{path} is empty (0 bytes)")
    if not head.startswith((_ZIP_START, _LEGACY_TORCH_START)):
        raise CheckpointFileError(
            f"{path} is not a file written by torch.save: {_describe_start(head)}"
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        refused = _REFUSED_GLOBAL.search(str(err))
        what = f" ({refused.group(1)})" if refused else ""
        raise CheckpointFileError(
            f"{path} holds Python objects{what} beyond tensors and plain containers; only "
            "weights-only checkpoints are read"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError) as err:
        raise CheckpointFileError(
            f"{path} is truncated or corrupt ({err.__class__.__name__}: {_first_line(err)})"
        ) from None


def non_finite_entries(state: Any, prefix: str = "") -> list[str]:
    """Key paths (``optimizer_states[0].state.3.exp_avg_sq``) of the floating-point tensors in a
    nested dict/list/tuple that hold a NaN or an infinity."""
    found: list[str] = []
    if isinstance(state, torch.Tensor):
        if (state.is_floating_point() or state.is_complex()) and not bool(
            torch.isfinite(state).all()
        ):
            found.append(prefix)
    elif isinstance(state, dict):
        for key, value in state.items():
            found += non_finite_entries(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(state, (list, tuple)):
        for index, value in enumerate(state):
            found += non_finite_entries(value, f"{prefix}[{index}]")
    return found


def _first_line(err: BaseException) -> str:
    """The first line of an error's text, dropped when it is torch's advice about loading."""
    lines = str(err).strip().splitlines()
    first = lines[0] if lines else ""
    return "unreadable" if not first or "weights_only" in first else first


def _describe_start(head: bytes) -> str:
    """What a file that is not a torch checkpoint looks like, from its first bytes."""
    if head.startswith(_GZIP_START):
        return "it is gzip-compressed data"
    text = head.decode("utf-8", errors="ignore")  # a character cut at byte 64 is dropped
    if text and all(c.isprintable() or c.isspace() for c in text):
        first = text.strip().splitlines()[0] if text.strip() else ""
        return f"it holds text starting {first[:40]!r}"
    return f"it starts with the bytes {head[:8].hex(' ')}"
