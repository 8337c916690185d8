"""Training an MLP classifier (``model=mlp`` with a recipe) on an image dataset (``digits``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from subnetlab.data.image_classification import build_image_task
from subnetlab.models.mlp import MLP
from subnetlab.training.supervised_training import TrainingReport, fit_and_score


def train_image_classifier(
    model_cfg: Any,
    dataset_cfg: Any,
    recipe: Any,
    seed: int,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[MLP, TrainingReport]:
    """An MLP over flattened images trained with ``recipe`` from ``seed``; the report scores both
    splits."""
    task = build_image_task(dataset_cfg)
    widths = model_cfg.widths
    if model_cfg.vocab_size is not None or widths[0] != task.n_pixels:
        raise ValueError(
            f"model=mlp (widths[0]={widths[0]}, vocab_size={model_cfg.vocab_size}) cannot read "
            f"dataset={dataset_cfg.name}'s images: set widths[0] = {task.n_pixels} pixels and no "
            "token embedding"
        )
    if widths[-1] < task.n_classes:
        raise ValueError(
            f"model.widths[-1]={widths[-1]} logits cannot score dataset={dataset_cfg.name}'s "
            f"{task.n_classes} classes; set it to at least {task.n_classes}"
        )
    torch.manual_seed(seed)
    model = MLP(**model_cfg.model_kwargs())
    report = fit_and_score(
        model,
        (task.train_images, task.train_labels),
        (task.test_images, task.test_labels),
        recipe,
        seed,
        on_step=on_step,
    )
    return model, report
