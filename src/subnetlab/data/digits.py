"""The shipped 8×8 handwritten digits (UCI optdigits, 1797 images; ``images/README.md``)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import torch

from subnetlab.data.errors import DataError

DIGITS_FILE = Path(__file__).parent / "images" / "optdigits_8x8.csv.gz"
N_PIXELS = 64
MAX_COUNT = 16  # a pixel counts the on pixels of a 4×4 block


class DigitsFormatError(DataError):
    """The digits file is missing, unreadable or not 64 pixel counts and a label per line."""


def load_digits(path: Path = DIGITS_FILE) -> tuple[torch.Tensor, torch.Tensor]:
    """(images (n, 64) float32 in [0, 1], labels (n,) long in 0..9) from a gzipped CSV."""
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", ndmin=2)
    except (OSError, EOFError, ValueError, zlib.error) as err:
        raise DigitsFormatError(
            f"{path}: cannot read the digits (a gzipped CSV of 64 pixel counts and a label per "
            f"line): {err}"
        ) from None
    if table.shape[1] != N_PIXELS + 1 or table.shape[0] == 0:
        raise DigitsFormatError(
            f"{path}: expected rows of {N_PIXELS + 1} values (64 pixels, label); got shape "
            f"{table.shape}"
        )
    pixels, labels = table[:, :N_PIXELS], table[:, N_PIXELS]
    if (pixels < 0).any() or (pixels > MAX_COUNT).any() or (pixels != np.round(pixels)).any():
        raise DigitsFormatError(f"{path}: pixel values must be whole counts in 0..{MAX_COUNT}")
    if not np.isin(labels, np.arange(10)).all():
        raise DigitsFormatError(f"{path}: labels must be the digits 0..9")
    images = torch.tensor(pixels / MAX_COUNT, dtype=torch.float32)
    return images, torch.tensor(labels, dtype=torch.long)
