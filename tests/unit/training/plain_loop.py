"""A plain-torch reference loop for a training recipe: what ``method=train`` does through the
Lightning Trainer, written out step by step (recipe tests use it; an equivalence test checks the
Trainer path gives the same weights)."""

from __future__ import annotations

import torch
from torch import nn

from subnetlab.training.recipe import TrainingRecipe


def train_plainly(recipe: TrainingRecipe) -> tuple[nn.Module, dict[str, float]]:
    """Every step of ``recipe`` on the CPU, then its final model and report."""
    generator = torch.Generator()
    generator.set_state(recipe.data_state)
    optimizer = recipe.optimizer()
    for step in range(recipe.steps):
        for group in optimizer.param_groups:
            group["lr"] = recipe.lr_at(step)
        loss, _ = recipe.loss(recipe.draw(generator))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return recipe.finish(recipe.steps, generator, torch.device("cpu"))
