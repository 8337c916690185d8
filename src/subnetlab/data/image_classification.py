"""Image classification tasks as a split of flattened images and class labels, the ``digits``
dataset, and their datamodule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning as L
import torch

from subnetlab.data.digits import load_digits
from subnetlab.data.probes import eval_count
from subnetlab.data.split import Split
from subnetlab.data.step_batches import StepBatches, batches_from_step, uniform_rows
from subnetlab.registry import build_dataset, register_dataset
from subnetlab.schemas.datasets import DigitsSchema


@dataclass(frozen=True)
class ImageTask:
    """Images flattened to (n, pixels) floats (``split.x_*``) and their (n,) long labels
    (``split.y_*``)."""

    split: Split
    n_classes: int

    @property
    def n_pixels(self) -> int:
        return int(self.split.x_train.shape[1])


def split_images(
    images: torch.Tensor, labels: torch.Tensor, test_size: int, split_seed: int
) -> ImageTask:
    """A random split holding out ``test_size`` images (the same for every model seed)."""
    n = images.shape[0]
    if not 1 <= test_size < n:
        raise ValueError(f"test_size={test_size} must leave both splits non-empty (n = {n})")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(split_seed))
    test, train = order[:test_size], order[test_size:]
    split = Split(images[train], labels[train], images[test], labels[test])
    return ImageTask(split, int(labels.max()) + 1)


@register_dataset("digits", DigitsSchema, produces=ImageTask)
def build_digits(cfg: DigitsSchema) -> ImageTask:
    """The shipped 8×8 digits split as a ``dataset=digits`` config says."""
    images, labels = load_digits()
    return split_images(images, labels, cfg.test_size, cfg.split_seed)


class ImageClassificationDataModule(L.LightningDataModule):
    """Serves an image task; analysis methods read ``task`` and ``eval_batch(size)``."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        self.cfg, self.seed = cfg, seed
        self.task = build_dataset(cfg, ImageTask)
        self.eval_size = eval_count(cfg, self.n_probes)

    def sample(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        """``batch_size`` training images drawn uniformly with replacement, (batch_size, pixels)."""
        return uniform_rows(self.task.split.x_train)(batch_size, generator)

    def train_dataloader(self) -> StepBatches:
        """Endless batches of training images for a method that trains on the inputs alone
        (SPD reconstructs the target's outputs); batch t depends only on (seed, t)."""
        return batches_from_step(self.sample, self.cfg.batch_size, self.seed, self.trainer)

    @property
    def n_probes(self) -> int:
        """Held-out and training images together."""
        return len(self.task.split.x_test) + len(self.task.split.x_train)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """(size, pixels) probe images: the held-out ones first, then training ones (a probe
        needs no labels)."""
        split = self.task.split
        return torch.cat([split.x_test, split.x_train])[: size or self.eval_size]

    def eval_targets(self, size: int | None = None) -> torch.Tensor:
        """(size,) class labels of ``eval_batch(size)``, row by row."""
        split = self.task.split
        return torch.cat([split.y_test, split.y_train])[: size or self.eval_size]
