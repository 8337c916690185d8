"""Training an MLP classifier (``model=mlp`` with a recipe) on an image dataset (``digits``)."""

from __future__ import annotations

import torch
from torch import nn

from subnetlab.data.image_classification import ImageTask
from subnetlab.data.split import Split
from subnetlab.registry import build_dataset, register_recipe
from subnetlab.training.supervised_training import SupervisedTraining


@register_recipe("image_classifier")
class ImageClassifierTraining(SupervisedTraining):
    """The supervised recipe for an MLP over flattened images; its logits are its outputs."""

    def load_split(self) -> Split:
        model_cfg, dataset_cfg = self.model_cfg, self.dataset_cfg
        task = build_dataset(dataset_cfg, ImageTask)
        widths = model_cfg.widths
        if model_cfg.vocab_size is not None or widths[0] != task.n_pixels:
            raise ValueError(
                f"model=mlp (widths[0]={widths[0]}, vocab_size={model_cfg.vocab_size}) cannot "
                f"read dataset={dataset_cfg.name}'s images: set widths[0] = {task.n_pixels} "
                "pixels and no token embedding"
            )
        if widths[-1] < task.n_classes:
            raise ValueError(
                f"model.widths[-1]={widths[-1]} logits cannot score dataset={dataset_cfg.name}'s "
                f"{task.n_classes} classes; set it to at least {task.n_classes}"
            )
        return task.split

    def logits(self, model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        return model(inputs)
