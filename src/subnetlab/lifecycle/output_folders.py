"""Checking, before any work, that a folder a run writes into can be written."""

from __future__ import annotations

import os
from pathlib import Path

from subnetlab.utils.atomic_files import temp_path_for


class OutputFolderError(ValueError):
    """A folder the run must write into cannot be created or written."""


def require_writable_folder(folder: Path, key: str) -> None:
    """Create ``folder`` (with its parents) and check that a file can be created in it.

    Args:
        key: the setting that chose the folder, named in the error.

    Raises:
        OutputFolderError: one line naming the folder, the reason (read-only, permission denied,
            not a folder, disk full) and ``key``.
    """
    probe = temp_path_for(folder / ".write-check")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as err:
        reason = err.strerror or str(err)
        # name the path that failed when it is not the folder itself (a parent that is a file)
        failed = Path(err.filename) if err.filename else None
        where = f" ({failed})" if failed is not None and failed not in (folder, probe) else ""
        raise OutputFolderError(
            f"cannot write to the folder {folder}: {reason}{where}; choose a writable one with "
            f"{key}=..."
        ) from None
