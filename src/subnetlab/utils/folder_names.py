"""Folder names made from a command's overrides: safe on every filesystem, one-to-one."""

from __future__ import annotations

import hashlib
import re

#: the longest folder name made by default (a hash of the whole replaces the rest)
MAX_NAME = 120
#: the longest run name (TensorBoard shows it whole; filesystems allow 255 bytes)
MAX_RUN_NAME = 200


def safe_folder_name(parts: list[str], fallback: str, max_len: int = MAX_NAME) -> str:
    """``parts`` joined by commas, made filesystem-safe; a name that had to change (unsafe
    characters such as ``/`` or ``*``) or to be shortened to ``max_len`` characters ends in a hash
    of the whole, so different overrides never share a folder. ``fallback`` names an empty
    ``parts``."""
    joined = ",".join(parts)
    safe = re.sub(r"[^A-Za-z0-9_.,=+-]+", "-", joined).strip("-,") or fallback
    if len(safe) <= max_len and (safe == joined or not parts):
        return safe
    digest = hashlib.sha1(joined.encode()).hexdigest()[:8]
    if len(safe) <= max_len - 9:
        return f"{safe}-{digest}"
    return f"{safe[: max_len - 9].rstrip('-,')}-{digest}"
