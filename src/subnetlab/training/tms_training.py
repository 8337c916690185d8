"""Training TMS targets (the toy model of Elhage et al. 2022, arXiv 2209.10652): several candidates
trained at once (vectorised), the best healthy one kept.

TMS training is finicky (a fixed seed often leaves a feature dead), so the recipe trains
``n_candidates`` independent initialisations in one batched module and keeps the candidate with
the lowest loss among those that reconstruct every feature on one-hot probes.
"""

from __future__ import annotations

from typing import Any

import torch
from matplotlib.figure import Figure
from torch import nn

from subnetlab.analysis.training_plots import feature_directions
from subnetlab.data.sparse_features import SparseFeatures, one_hot_probe
from subnetlab.models.tms import TMS
from subnetlab.registry import build_dataset, build_model, register_recipe
from subnetlab.training.recipe import StepLoss, TrainingRecipe

PROBE_MAGNITUDE = 0.75
EVAL_SIZE = 8192  # samples of the final loss that ranks the candidates


class TMSTrainingError(RuntimeError):
    """No candidate of a full TMS training reconstructs every feature."""


def features_reconstructed(probe_out: torch.Tensor, tolerance: float) -> torch.Tensor:
    """Per candidate, the number of features whose one-hot probe (0.75) comes back within
    ``tolerance`` on its own output. probe_out: (..., n_features, n_features)."""
    diag = torch.diagonal(probe_out, dim1=-2, dim2=-1)
    return ((diag - PROBE_MAGNITUDE).abs() <= tolerance).sum(-1)


def xavier_candidates(
    n_candidates: int, n_hidden: int, n_features: int, generator: torch.Generator
) -> torch.Tensor:
    """(n_candidates, n_hidden, n_features) Xavier-normal weights, drawn candidate by candidate."""
    weights = torch.empty(n_candidates, n_hidden, n_features)
    std = (2.0 / (n_hidden + n_features)) ** 0.5
    for i in range(n_candidates):
        weights[i] = torch.randn(n_hidden, n_features, generator=generator) * std
    return weights


class TMSCandidates(nn.Module):
    """``n_candidates`` TMS models x̂ = ReLU(WᵀWx + b) side by side: ``W`` (I, H, F) and ``b``
    (I, F); the fixed identity hidden layers of a deeper TMS change nothing here."""

    def __init__(self, weights: torch.Tensor, biases: torch.Tensor) -> None:
        super().__init__()
        self.W = nn.Parameter(weights)
        self.b = nn.Parameter(biases)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, F) → every candidate's reconstruction (B, I, F)."""
        hidden = torch.einsum("bf,ihf->bih", x, self.W)
        return torch.relu(torch.einsum("bih,ihf->bif", hidden, self.W) + self.b)

    def losses(self, x: torch.Tensor) -> torch.Tensor:
        """Mean squared reconstruction error of each candidate on x (B, F): (I,)."""
        return (self(x) - x.unsqueeze(1)).pow(2).mean(dim=(0, 2))


@register_recipe("tms")
class TMSTraining(TrainingRecipe):
    """AdamW at a constant lr on sparse features (the paper recipe), all candidates summed into
    one objective; the data generator (seeded with the seed) first draws the initial weights."""

    def __init__(self, model_cfg: Any, dataset_cfg: Any, recipe_cfg: Any, seed: int) -> None:
        super().__init__(model_cfg, dataset_cfg, recipe_cfg, seed)
        self.features = build_dataset(dataset_cfg, SparseFeatures)
        generator = torch.Generator().manual_seed(seed)
        n_features, n_candidates = model_cfg.n_features, recipe_cfg.n_candidates
        weights = xavier_candidates(n_candidates, model_cfg.n_hidden, n_features, generator)
        self.module = TMSCandidates(weights, torch.zeros(n_candidates, n_features))
        self.data_state = generator.get_state()

    def draw(self, generator: torch.Generator) -> torch.Tensor:
        return self.features.sample(
            self.recipe_cfg.batch_size, self.model_cfg.n_features, generator
        )

    def optimizer(self) -> torch.optim.Optimizer:
        cfg = self.recipe_cfg
        return torch.optim.AdamW(self.module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def lr_at(self, step: int) -> float:
        return self.recipe_cfg.lr

    def loss(self, batch: torch.Tensor) -> StepLoss:
        assert isinstance(self.module, TMSCandidates)
        per_candidate = self.module.losses(batch)
        return per_candidate.sum(), {"best_candidate": per_candidate.detach().min()}

    @torch.no_grad()
    def finish(
        self, steps_done: int, generator: torch.Generator, device: torch.device
    ) -> tuple[nn.Module, dict[str, float]]:
        """The candidate with the lowest loss among those that reconstruct every feature; raises
        TMSTrainingError when none does after the full recipe (a run cut short by
        ``trainer.max_steps`` keeps its best candidate and reports it)."""
        candidates = self.module
        assert isinstance(candidates, TMSCandidates)
        n_features = self.model_cfg.n_features
        x = self.features.sample(EVAL_SIZE, n_features, generator).to(device)
        losses = candidates.losses(x)
        probe = candidates(one_hot_probe(n_features, PROBE_MAGNITUDE, device)).transpose(0, 1)
        learned = features_reconstructed(probe, self.recipe_cfg.probe_tolerance)
        healthy = learned == n_features
        ranking = torch.where(healthy, losses, losses + 1e6 * (n_features - learned))
        best = int(ranking.argmin())
        if steps_done >= self.steps and int(learned[best]) < n_features:
            raise TMSTrainingError(
                f"TMS target training left {n_features - int(learned[best])} of {n_features} "
                f"features unlearned in all {self.recipe_cfg.n_candidates} candidates; raise "
                "model.recipe.n_candidates or model.recipe.steps, or change target.seed"
            )
        model = build_model(self.model_cfg)
        assert isinstance(model, TMS)
        model.linear1.weight.copy_(candidates.W[best])
        model.linear2_bias.copy_(candidates.b[best])
        report = {
            "loss": float(losses[best]),
            "features_learned": float(learned[best]),
            "n_features": float(n_features),
            "chosen_candidate": float(best),
            "candidates_healthy": float(healthy.sum()),
        }
        return model, report

    def figures(self, model: nn.Module) -> dict[str, Figure]:
        assert isinstance(model, TMS)
        return {"feature_directions": feature_directions(model.linear1.weight)}
