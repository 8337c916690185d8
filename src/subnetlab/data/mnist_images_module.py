"""MNIST test images as flattened probe inputs (no download: the IDX files must be present)."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from subnetlab.data.mnist_idx import load_mnist
from subnetlab.data.probes import eval_count


class MnistImagesDataModule(L.LightningDataModule):
    """``eval_batch(size)``: the first ``size`` test images, (size, 784) floats in [0, 1]."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        self.cfg, self.seed = cfg, seed
        images, self.labels = load_mnist(cfg.data_dir, "test", download=False)
        self.images = images.flatten(1)
        self.eval_size = eval_count(cfg, self.n_probes)

    @property
    def n_probes(self) -> int:
        """The test images."""
        return len(self.images)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        return self.images[: size or self.eval_size]
