"""Image classification tasks as tensors (flattened images, class labels) and their datamodule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning as L
import torch

from subnetlab.data.digits import load_digits

IMAGE_DATASETS = ("digits",)


@dataclass
class ImageTask:
    """Train/test images, flattened to (n, pixels) floats, and their (n,) long labels."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    n_classes: int

    @property
    def n_pixels(self) -> int:
        return int(self.train_images.shape[1])


def split_images(
    images: torch.Tensor, labels: torch.Tensor, test_size: int, split_seed: int
) -> ImageTask:
    """A random split holding out ``test_size`` images (the same for every model seed)."""
    n = images.shape[0]
    if not 1 <= test_size < n:
        raise ValueError(f"test_size={test_size} must leave both splits non-empty (n = {n})")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(split_seed))
    test, train = order[:test_size], order[test_size:]
    return ImageTask(
        images[train], labels[train], images[test], labels[test], int(labels.max()) + 1
    )


def build_image_task(dataset_cfg: Any) -> ImageTask:
    """The tensors of an image dataset config (``digits``)."""
    if dataset_cfg.name == "digits":
        images, labels = load_digits()
        return split_images(images, labels, dataset_cfg.test_size, dataset_cfg.split_seed)
    raise ValueError(
        f"dataset={dataset_cfg.name!r} is not an image classification task; allowed: "
        f"{list(IMAGE_DATASETS)}"
    )


class ImageClassificationDataModule(L.LightningDataModule):
    """Serves an image task; analysis methods read ``task`` and ``eval_batch(size)``."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        self.cfg, self.seed = cfg, seed
        self.task = build_image_task(cfg)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """(size, pixels) probe images: the held-out ones first, then training ones (a probe
        needs no labels)."""
        task = self.task
        return torch.cat([task.test_images, task.train_images])[: size or self.cfg.eval_size]

    def eval_targets(self, size: int | None = None) -> torch.Tensor:
        """(size,) class labels of ``eval_batch(size)``, row by row."""
        task = self.task
        return torch.cat([task.test_labels, task.train_labels])[: size or self.cfg.eval_size]
