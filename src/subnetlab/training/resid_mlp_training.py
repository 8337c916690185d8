"""Training ResidMLP targets (the compressed-computation toy of APD, arXiv 2501.14926, reused by
SPD, arXiv 2506.20790): AdamW with a cosine lr on sparse features, labels x + ReLU(x)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from subnetlab.data.sparse_features import SparseFeatures, resid_mlp_labels
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.registry import build_dataset, register_recipe
from subnetlab.training.recipe import StepLoss, TrainingRecipe

EVAL_SIZE = 8192  # samples of the final loss


def cosine_lr(lr: float, step: int, steps: int) -> float:
    """Cosine decay from ``lr`` at step 0 to 0 at the last step ``steps - 1``."""
    return lr * 0.5 * (1 + math.cos(math.pi * step / max(steps - 1, 1)))


@register_recipe("resid_mlp")
class ResidMLPTraining(TrainingRecipe):
    """The network starts from ``torch.manual_seed(seed)`` with its fixed embedding drawn from
    ``seed``; the data generator is seeded with ``seed + 1``."""

    def __init__(self, model_cfg: Any, dataset_cfg: Any, recipe_cfg: Any, seed: int) -> None:
        super().__init__(model_cfg, dataset_cfg, recipe_cfg, seed)
        self.features = build_dataset(dataset_cfg, SparseFeatures)
        torch.manual_seed(seed)
        cfg = model_cfg
        self.module = ResidMLP(
            cfg.n_features, cfg.d_embed, cfg.d_mlp, cfg.n_layers, embed_seed=seed
        )
        self.data_state = torch.Generator().manual_seed(seed + 1).get_state()

    def draw(self, generator: torch.Generator) -> torch.Tensor:
        return self.features.sample(
            self.recipe_cfg.batch_size, self.model_cfg.n_features, generator
        )

    def optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.module.parameters() if p.requires_grad]
        cfg = self.recipe_cfg
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    def lr_at(self, step: int) -> float:
        return cosine_lr(self.recipe_cfg.lr, step, self.steps)

    def loss(self, batch: torch.Tensor) -> StepLoss:
        return (self.module(batch) - resid_mlp_labels(batch)).pow(2).mean(), {}

    @torch.no_grad()
    def finish(
        self, steps_done: int, generator: torch.Generator, device: torch.device
    ) -> tuple[nn.Module, dict[str, float]]:
        """The network and its loss on fresh samples, beside the loss of predicting the residual
        x alone (what the MLPs must beat)."""
        x = self.features.sample(EVAL_SIZE, self.model_cfg.n_features, generator).to(device)
        y = resid_mlp_labels(x)
        report = {
            "loss": float((self.module(x) - y).pow(2).mean()),
            "zero_model_loss": float((x - y).pow(2).mean()),
        }
        return self.module, report
