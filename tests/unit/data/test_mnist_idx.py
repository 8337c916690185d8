import gzip

import numpy as np
import pytest
import torch

from subnetlab.data.errors import DataError
from subnetlab.data.mnist_idx import IdxFormatError, load_mnist, read_idx, write_idx


def _write_split(root, split_files, n=6, gz=False):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(root / f"{split_files[0]}{suffix}", images)
    write_idx(root / f"{split_files[1]}{suffix}", labels)
    return images, labels


def test_idx_header_layout_by_hand(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])
    assert read_idx(path).tolist() == [3, 1, 4]


@pytest.mark.parametrize("gz", [False, True])
def test_loader_reads_generated_files(tmp_path, gz):
    images, labels = _write_split(
        tmp_path, ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"), gz=gz
    )
    x, y = load_mnist(tmp_path, "test", download=False)
    assert x.shape == (6, 28, 28) and x.dtype == torch.float32
    assert torch.allclose(x, torch.from_numpy(images).float() / 255)
    assert y.tolist() == labels.tolist()


def test_truncated_file_is_rejected_with_sizes(tmp_path):
    _write_split(tmp_path, ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"))
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(
        IdxFormatError,
        match=r"truncated: shape \(6, 28, 28\) needs 4704 data "
        r"bytes, found 4604",
    ):
        load_mnist(tmp_path, "train", download=False)


def test_bad_magic_and_mismatched_counts(tmp_path):
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as handle:
        handle.write(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(IdxFormatError, match="magic"):
        read_idx(bad)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, dtype=np.uint8))
    with pytest.raises(IdxFormatError, match="do not match"):
        load_mnist(tmp_path, "train", download=False)


def test_missing_files_offline_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*not found in") as err:
        load_mnist(tmp_path / "mnist", "train", download=False)
    assert str((tmp_path / "mnist").resolve()) in str(err.value)


def test_unknown_split_raises(tmp_path):
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, "validation", download=False)


def test_download_fetches_gzipped_files_from_a_mirror(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    images, labels = _write_split(
        mirror, ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"), n=3, gz=True
    )
    monkeypatch.setattr(
        "subnetlab.data.mnist_idx.MIRRORS",
        ((tmp_path / "nowhere").as_uri() + "/", mirror.as_uri() + "/"),
    )
    x, y = load_mnist(tmp_path / "data", "test", download=True)
    assert (tmp_path / "data" / "t10k-images-idx3-ubyte.gz").exists()
    assert y.tolist() == labels.tolist() and x.shape == (3, 28, 28)


def test_failed_download_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("subnetlab.data.mnist_idx.MIRRORS", ((tmp_path / "none").as_uri() + "/",))
    with pytest.raises(FileNotFoundError, match="by hand"):
        load_mnist(tmp_path / "data", "train", download=True)


def test_every_mnist_fault_is_a_data_error_naming_the_file(tmp_path):
    images = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(images, np.zeros((4, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, dtype=np.uint8))
    assert load_mnist(tmp_path, "train", download=False)[0].shape == (4, 28, 28)
    whole = images.read_bytes()
    images.write_bytes(whole[: len(whole) // 2])  # a truncated download: gzip's EOFError before
    with pytest.raises(DataError, match="the compressed data ends early") as err:
        load_mnist(tmp_path, "train", download=False)
    assert str(images) in str(err.value) and "gzipped IDX file" in str(err.value)
    images.write_bytes(b"plain bytes, not gzip")
    with pytest.raises(IdxFormatError, match=f"{images} cannot be read as a gzipped IDX file"):
        load_mnist(tmp_path, "train", download=False)
    with pytest.raises(DataError, match=f"{tmp_path / 'absent'}: no such file"):
        read_idx(tmp_path / "absent")


def test_count_mismatch_names_both_files(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((5, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8))
    with pytest.raises(DataError) as err:
        load_mnist(tmp_path, "test", download=False)
    message = str(err.value)
    assert str(tmp_path / "t10k-images-idx3-ubyte") in message
    assert str(tmp_path / "t10k-labels-idx1-ubyte") in message and "(5, 28, 28)" in message


def test_missing_files_are_a_data_error_too(tmp_path):
    with pytest.raises(DataError, match="not found in"):
        load_mnist(tmp_path, "test", download=False)
