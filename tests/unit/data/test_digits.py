import gzip
from pathlib import Path

import pytest
import torch

from subnetlab.data.digits import DIGITS_FILE, DigitsFormatError, load_digits
from subnetlab.data.errors import DataError


def test_shipped_digits_are_1797_images_of_the_ten_classes() -> None:
    images, labels = load_digits()
    assert images.shape == (1797, 64) and images.dtype == torch.float32
    assert float(images.min()) == 0.0 and float(images.max()) == 1.0
    counts = torch.bincount(labels, minlength=10)
    assert counts.sum() == 1797 and int(counts.min()) == 174 and int(counts.max()) == 183
    # the first image is a 0: a blank centre inside a drawn ring
    first = images[0].reshape(8, 8) * 16
    assert labels[0] == 0 and first[3:5, 3:5].sum() == 0
    assert first[2:6, 2].sum() == 46 and first[2:6, 5].sum() == 40


def _write(path: Path, text: str) -> Path:
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    return path


def test_a_small_file_is_read_as_counts_over_16(tmp_path: Path) -> None:
    row = ",".join(["0"] * 63 + ["16"])
    images, labels = load_digits(_write(tmp_path / "d.csv.gz", f"{row},7\n{row},3\n"))
    assert images.shape == (2, 64) and labels.tolist() == [7, 3]
    assert float(images[0, -1]) == 1.0 and float(images[0, :63].sum()) == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3\n", "expected rows of 65 values"),
        (",".join(["17"] * 64) + ",1\n", "whole counts in 0..16"),
        (",".join(["1"] * 64) + ",12\n", "labels must be the digits"),
        ("not,a,number\n", "cannot read the digits"),
    ],
)
def test_malformed_files_name_the_file_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path / "bad.csv.gz", text)
    with pytest.raises(DigitsFormatError, match=message) as err:
        load_digits(path)
    assert str(path) in str(err.value)


def test_a_missing_or_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DigitsFormatError, match="cannot read"):
        load_digits(tmp_path / "absent.csv.gz")
    whole = DIGITS_FILE.read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DigitsFormatError, match="cannot read") as err:
        load_digits(tmp_path / "cut.csv.gz")
    assert isinstance(err.value, DataError)  # a user error: exit status 2, one line
    assert str(tmp_path / "cut.csv.gz") in str(err.value)
