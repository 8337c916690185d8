"""Atomic file writes: every file the project writes goes through here.

A write goes to a hidden temporary file in the destination's own folder (so the final rename never
crosses filesystems and is never a copy), is flushed and fsynced, then renamed over the
destination with ``os.replace``. Readers see the old file or the whole new one, never a partial
file; a write that fails (full disk, a serialiser raising, an interrupt) removes its temporary
file and leaves the old destination untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

TEMP_SUFFIX = ".tmp"


def temp_path_for(destination: Path) -> Path:
    """A fresh hidden name beside ``destination`` (``.<name>.<pid>.<random>.tmp``), unique across
    processes and threads writing the same file."""
    token = secrets.token_hex(4)
    return destination.with_name(f".{destination.name}.{os.getpid()}.{token}{TEMP_SUFFIX}")


@contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["wb", "w"] = "wb", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on a clean exit it replaces ``path``.

    Args:
        path: the destination; its folder must exist.
        mode: ``"wb"`` (bytes) or ``"w"`` (UTF-8 text).
        newline: passed to text-mode files (``""`` for the csv module).

    Raises:
        OSError: the temporary file cannot be created or written, or the rename fails; the
            destination is then unchanged and no temporary file is left.
    """
    destination = Path(path)
    tmp = temp_path_for(destination)
    # os.open with 0o666 lets the umask set the permissions, as a plain open() would
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if mode == "wb":
            handle: IO[Any] = os.fdopen(fd, "wb")
        else:
            handle = os.fdopen(fd, "w", encoding="utf-8", newline=newline)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, destination)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(destination.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); some platforms and filesystems cannot open or sync
    a folder, and the file's content is already safe then, so that is not an error."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """``Path.write_bytes``, atomically."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """``Path.write_text`` (UTF-8), atomically."""
    with atomic_write(path, "w") as handle:
        handle.write(text)


def save_torch_atomic(path: str | os.PathLike[str], obj: object) -> None:
    """``torch.save(obj, path)``, atomically."""
    import torch  # here, so that the command-line checks that use this module stay light

    with atomic_write(path, "wb") as handle:
        torch.save(obj, handle)


def save_npy_atomic(path: str | os.PathLike[str], array: Any) -> None:
    """``np.save(path, array)``, atomically (``path`` is used as given: end it in ``.npy``)."""
    import numpy as np

    with atomic_write(path, "wb") as handle:
        np.save(handle, array)


def save_figure_atomic(path: str | os.PathLike[str], figure: Any, **savefig_kwargs: Any) -> None:
    """``figure.savefig(path, ...)`` for a matplotlib figure, atomically; the format comes from
    the suffix (``.png``, ``.pdf``, ``.svg``)."""
    image_format = Path(path).suffix.lstrip(".") or "png"
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format=image_format, **savefig_kwargs)
