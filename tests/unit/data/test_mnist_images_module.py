from pathlib import Path

import numpy as np
import pytest

from subnetlab.data.mnist_idx import write_idx
from subnetlab.data.mnist_images_module import MnistImagesDataModule
from subnetlab.schemas.datasets import MnistImagesSchema


def test_missing_files_give_a_clear_error_and_no_download(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        MnistImagesDataModule(MnistImagesSchema(data_dir=str(tmp_path)), 0, None)


def test_probe_images_are_flattened_and_scaled(tmp_path: Path) -> None:
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images.astype(np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([7, 2, 1], dtype=np.uint8))
    data = MnistImagesDataModule(MnistImagesSchema(data_dir=str(tmp_path)), 0, None)
    batch = data.eval_batch(2)
    assert batch.shape == (2, 784)
    assert float(batch[0, 255]) == 1.0 and float(batch[0, 1]) == pytest.approx(1 / 255)
