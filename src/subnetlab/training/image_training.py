"""Training an image classifier (``model=mlp_digits``, ``model=convnet_digits``, any model with a
recipe) on an image dataset (``digits``)."""

from __future__ import annotations

import torch
from torch import nn

from subnetlab.data.image_classification import ImageTask
from subnetlab.data.split import Split
from subnetlab.registry import build_dataset, build_model, register_recipe
from subnetlab.training.supervised_training import SupervisedTraining


@register_recipe("image_classifier")
class ImageClassifierTraining(SupervisedTraining):
    """The supervised recipe for a classifier of flattened (n, pixels) images; its logits are its
    outputs."""

    def load_split(self) -> Split:
        model_cfg, dataset_cfg = self.model_cfg, self.dataset_cfg
        task = build_dataset(dataset_cfg, ImageTask)
        # does the architecture read these images? one forward of an untrained copy tells, for
        # any image model (the network itself is built after this, from the recipe's seed)
        try:
            with torch.no_grad():
                logits = build_model(model_cfg)(task.split.x_train[:1])
        except (RuntimeError, ValueError) as err:
            reason = str(err).strip().splitlines()[0]
            raise ValueError(
                f"model={model_cfg.name} cannot read dataset={dataset_cfg.name}'s images "
                f"({task.n_pixels} pixels each): {reason}"
            ) from None
        if logits.ndim != 2 or logits.shape[-1] < task.n_classes:
            raise ValueError(
                f"model={model_cfg.name} gives logits of shape {tuple(logits.shape)} per image; "
                f"dataset={dataset_cfg.name} needs at least {task.n_classes} classes"
            )
        return task.split

    def logits(self, model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        return model(inputs)
