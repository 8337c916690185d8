"""MNIST from IDX files: a reader/writer for the IDX format and a loader with optional download.

IDX layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, one
big-endian uint32 per dimension, then the values in row-major order. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import torch

from subnetlab.data.errors import DataError
from subnetlab.data.tasks import TaskData, TaskSource, TaskSpec
from subnetlab.registry import register_dataset
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.bimt import MnistDatasetSchema
from subnetlab.utils.atomic_files import write_bytes_atomic

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_UNSIGNED_BYTE = 0x08


class IdxFormatError(DataError):
    """An IDX file is malformed, truncated or unreadable."""


class MnistFilesMissingError(DataError, FileNotFoundError):
    """The MNIST files of a split are neither in the data folder nor downloadable."""


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped when ``path`` ends in .gz), atomically."""
    data = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, _UNSIGNED_BYTE, data.ndim]) + struct.pack(f">{data.ndim}I", *data.shape)
    payload = header + data.tobytes()
    # mtime=0: the same array always gives the same bytes
    write_bytes_atomic(path, gzip.compress(payload, mtime=0) if _gzipped(path) else payload)


def _gzipped(path: Path) -> bool:
    return str(path).endswith(".gz")


def read_idx(path: Path) -> np.ndarray:
    """Read an unsigned-byte IDX file (plain or .gz) into a uint8 array of its stored shape.

    Raises:
        IdxFormatError: the file is missing or unreadable, is not valid gzip (or ends early), has
            a bad magic number or type code, or holds fewer or more bytes than its header says.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if _gzipped(path) else path.read_bytes()
    except FileNotFoundError:
        raise IdxFormatError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as err:
        # a truncated .gz ends in EOFError, a corrupt one in BadGzipFile (an OSError) or zlib.error
        detail = "the compressed data ends early" if isinstance(err, EOFError) else str(err)
        raise IdxFormatError(f"{path} cannot be read as {_kind(path)} ({detail})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxFormatError(f"{path} is not an IDX file (bad magic number)")
    if raw[2] != _UNSIGNED_BYTE:
        raise IdxFormatError(f"{path} has type code {raw[2]:#04x}; only unsigned byte (0x08)")
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IdxFormatError(f"{path} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected = int(np.prod(shape, dtype=np.int64))
    found = len(raw) - header_size
    if found != expected:
        kind = "truncated" if found < expected else "longer than its header says"
        raise IdxFormatError(
            f"{path} is {kind}: shape {shape} needs {expected} data bytes, found {found}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def _kind(path: Path) -> str:
    return "a gzipped IDX file" if _gzipped(path) else "an IDX file"


def _find(root: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (root / name).exists():
            return root / name
    return None


def download_mnist(root: Path, split: str, timeout_s: float = 30.0) -> None:
    """Fetch the two gzipped IDX files of ``split`` into ``root``, trying each mirror in turn."""
    root.mkdir(parents=True, exist_ok=True)
    for stem in FILES[split]:
        if _find(root, stem) is not None:
            continue
        errors = []
        for mirror in MIRRORS:
            url = f"{mirror}{stem}.gz"
            try:
                with urllib.request.urlopen(url, timeout=timeout_s) as response:
                    payload = response.read()
            except (urllib.error.URLError, TimeoutError, OSError) as err:
                errors.append(f"{url}: {err}")
                continue
            write_bytes_atomic(root / f"{stem}.gz", payload)
            break
        else:
            raise MnistFilesMissingError(
                f"could not download MNIST file {stem}.gz ({'; '.join(errors)}). Put "
                f"{stem} or {stem}.gz into {root} by hand."
            )


def load_mnist(
    root: str | Path, split: str = "train", download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images scaled to [0, 1] (n, 28, 28) float and labels (n,) long of ``split``.

    Local files in ``root`` (plain or .gz) are used when present; otherwise they are downloaded
    if ``download``.

    Raises:
        MnistFilesMissingError: files missing and not downloadable (says which files go where).
        IdxFormatError: a file is unreadable, malformed or truncated, or the image and label
            counts differ. Both are DataErrors, naming the file.
    """
    if split not in FILES:
        raise ValueError(f"split={split!r} is not supported; allowed: {sorted(FILES)}")
    root = Path(root)
    image_stem, label_stem = FILES[split]
    missing = [stem for stem in FILES[split] if _find(root, stem) is None]
    if missing and download:
        download_mnist(root, split)
    elif missing:
        raise MnistFilesMissingError(
            f"MNIST {split} files missing: {', '.join(missing)} (or .gz) not found in "
            f"{root.resolve()}. Download them from {MIRRORS[0]} and put them there, or "
            "enable download."
        )
    image_path, label_path = _find(root, image_stem), _find(root, label_stem)
    assert image_path is not None and label_path is not None  # found or downloaded above
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise IdxFormatError(
            f"MNIST {split}: the images in {image_path} (shape {images.shape}) do not match the "
            f"labels in {label_path} (shape {labels.shape}); expected (n, rows, cols) and (n,)"
        )
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(
        labels.astype(np.int64)
    )


@register_dataset("mnist", MnistDatasetSchema, produces=TaskSource)
def build_mnist(cfg: MnistDatasetSchema) -> TaskSource:
    """``dataset=mnist``: the IDX files in ``cfg.data_dir``, flattened to 784 pixels; BIMT scores
    it with MSE against one-hot labels. Missing files (nothing can be downloaded offline) are a
    ConfigError naming ``dataset.data_dir``."""

    def draw(seed: int) -> TaskSpec:
        try:
            x_tr, y_tr = load_mnist(cfg.data_dir, "train", cfg.download)
            x_te, y_te = load_mnist(cfg.data_dir, "test", cfg.download)
        except FileNotFoundError as err:  # files the user must supply: a config problem
            raise ConfigError(
                "dataset.data_dir", cfg.data_dir, f"a folder with the data: {err}"
            ) from err
        data = TaskData(x_tr.flatten(1), y_tr, x_te.flatten(1), y_te)
        return TaskSpec(data, "mse_onehot", x_tr.shape[1] * x_tr.shape[2], 10)

    return TaskSource(draw)
