"""What a training recipe is, and the recipe that trains a configured model.

A recipe says how one model family trains: the module it optimises, its data (one generator for
the whole run, see ``data.sequential_batches``), its loss, optimiser and per-step learning rate,
and the final report. It is plain torch: ``methods/train/module.py`` drives it through the
Lightning Trainer (``method=train``, and targets trained on the fly). A training file registers
its recipe with ``registry.register_recipe``; a model family names the recipe that trains it.
"""

from __future__ import annotations

import abc
from dataclasses import replace
from typing import Any

import torch
from matplotlib.figure import Figure
from torch import nn

from subnetlab.registry import model_family, recipe_class
from subnetlab.schemas.base import ConfigError

#: (the optimised objective, scalar tensors to log beside it under train/loss/<name>)
StepLoss = tuple[torch.Tensor, dict[str, torch.Tensor]]


class TrainingRecipe(abc.ABC):
    """One family's training, built from the validated model and dataset configs, the model's
    recipe config (``method=train``'s overrides applied) and the seed.

    Subclasses set ``module`` (the ``nn.Module`` whose parameters are trained; the Lightning glue
    registers it, so it moves to the device and is saved in checkpoints) and ``data_state`` (the
    state of the CPU generator the training batches are drawn from, in turn, by ``draw``).
    """

    module: nn.Module
    data_state: torch.Tensor

    def __init__(self, model_cfg: Any, dataset_cfg: Any, recipe_cfg: Any, seed: int) -> None:
        self.model_cfg, self.dataset_cfg, self.recipe_cfg, self.seed = (
            model_cfg,
            dataset_cfg,
            recipe_cfg,
            seed,
        )

    @property
    def steps(self) -> int:
        """Optimiser steps of the full recipe (the lr schedule spans them)."""
        return int(self.recipe_cfg.steps)

    #: the knob a non-finite loss message tells the user to change
    divergence_hint = "lower model.recipe.lr (or method.lr)"

    @abc.abstractmethod
    def draw(self, generator: torch.Generator) -> Any:
        """One training batch drawn from ``generator`` (CPU tensors)."""

    @abc.abstractmethod
    def optimizer(self) -> torch.optim.Optimizer:
        """The optimiser over ``module``'s trained parameters (built once they are on the
        device)."""

    @abc.abstractmethod
    def lr_at(self, step: int) -> float:
        """The learning rate of optimiser step ``step`` (0-based)."""

    @abc.abstractmethod
    def loss(self, batch: Any) -> StepLoss:
        """The objective on one batch (on ``module``'s device) and extra values to log."""

    @abc.abstractmethod
    def finish(
        self, steps_done: int, generator: torch.Generator, device: torch.device
    ) -> tuple[nn.Module, dict[str, float]]:
        """The trained model (a network of the configured family) and its final report, after
        ``steps_done`` steps; ``generator`` is the data generator after the training draws.
        Creates its tensors on ``device`` (where ``module`` is)."""

    def figures(self, model: nn.Module) -> dict[str, Figure]:
        """Figures of the trained model (none by default)."""
        return {}


def recipe_with_overrides(model_cfg: Any, overrides: dict[str, Any]) -> Any:
    """The model's recipe config with the non-null ``overrides`` applied; a ConfigError when the
    model option has no recipe."""
    if model_family(model_cfg.name).weights_from_config:
        raise ConfigError(
            "model",
            model_cfg.name,
            "a model that is trained: this one is built whole from its config (planted "
            "weights), so analyse it directly (e.g. method=circuit, method=gw)",
        )
    if getattr(model_cfg, "recipe", None) is None:
        raise ConfigError(
            "model.recipe",
            None,
            "a training recipe (steps, batch_size, lr, weight_decay, warmup_steps); "
            f"model={model_cfg.name} has none here: set one or pick an option that has one, "
            "e.g. model=mlp_digits",
        )
    return replace(model_cfg.recipe, **{k: v for k, v in overrides.items() if v is not None})


def build_recipe(
    model_cfg: Any, dataset_cfg: Any, seed: int, overrides: dict[str, Any] | None = None
) -> TrainingRecipe:
    """The recipe that trains ``model_cfg``'s family on ``dataset_cfg`` from ``seed``."""
    recipe_cfg = recipe_with_overrides(model_cfg, overrides or {})
    recipe_name = model_family(model_cfg.name).recipe
    assert recipe_name is not None  # recipe_with_overrides refused a family without one
    cls = recipe_class(recipe_name)
    recipe = cls(model_cfg, dataset_cfg, recipe_cfg, seed)
    assert isinstance(recipe, TrainingRecipe)
    return recipe
