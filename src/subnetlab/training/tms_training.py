"""Training TMS targets: several candidates trained at once (vectorised), the best healthy one kept.

TMS training is finicky (reference §8: a fixed seed often leaves a feature dead), so the recipe
trains ``n_candidates`` independent initialisations in one batched model and keeps the candidate
with the lowest loss among those that reconstruct every feature on one-hot probes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from subnetlab.data.sparse_features import one_hot_probe, sample_sparse_features
from subnetlab.models.tms import TMS

PROBE_MAGNITUDE = 0.75


@dataclass
class TMSTrainingReport:
    loss: float
    features_learned: int
    n_features: int
    chosen_candidate: int
    candidates_healthy: int


def features_reconstructed(probe_out: torch.Tensor, tolerance: float) -> torch.Tensor:
    """Per candidate, the number of features whose one-hot probe (0.75) comes back within
    ``tolerance`` on its own output. probe_out: (..., n_features, n_features)."""
    diag = torch.diagonal(probe_out, dim1=-2, dim2=-1)
    return ((diag - PROBE_MAGNITUDE).abs() <= tolerance).sum(-1)


def train_tms(
    n_features: int,
    n_hidden: int,
    n_hidden_layers: int,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    feature_probability: float,
    n_candidates: int,
    probe_tolerance: float,
    seed: int,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[TMS, TMSTrainingReport]:
    gen = torch.Generator().manual_seed(seed)
    W = torch.empty(n_candidates, n_hidden, n_features)
    for i in range(n_candidates):
        std = (2.0 / (n_hidden + n_features)) ** 0.5  # xavier normal
        W[i] = torch.randn(n_hidden, n_features, generator=gen) * std
    W.requires_grad_(True)
    b = torch.zeros(n_candidates, n_features, requires_grad=True)
    opt = torch.optim.AdamW([W, b], lr=lr, weight_decay=weight_decay)

    def forward(x: torch.Tensor) -> torch.Tensor:  # x (B, F) → (B, I, F)
        hidden = torch.einsum("bf,ihf->bih", x, W)
        return torch.relu(torch.einsum("bih,ihf->bif", hidden, W) + b)

    for step in range(steps):
        x = sample_sparse_features(batch_size, n_features, feature_probability, 0.0, 1.0, gen)
        per_candidate = (forward(x) - x.unsqueeze(1)).pow(2).mean(dim=(0, 2))
        opt.zero_grad(set_to_none=True)
        per_candidate.sum().backward()
        opt.step()
        if on_step is not None:
            on_step(step, float(per_candidate.detach().min()))

    with torch.no_grad():
        x = sample_sparse_features(8192, n_features, feature_probability, 0.0, 1.0, gen)
        losses = (forward(x) - x.unsqueeze(1)).pow(2).mean(dim=(0, 2))
        probe = forward(one_hot_probe(n_features, PROBE_MAGNITUDE)).transpose(0, 1)  # (I, F, F)
        learned = features_reconstructed(probe, probe_tolerance)
    healthy = learned == n_features
    ranking = torch.where(healthy, losses, losses + 1e6 * (n_features - learned))
    best = int(ranking.argmin())
    model = TMS(n_features, n_hidden, n_hidden_layers)
    with torch.no_grad():
        model.linear1.weight.copy_(W[best])
        model.linear2_bias.copy_(b[best])
    report = TMSTrainingReport(
        loss=float(losses[best]),
        features_learned=int(learned[best]),
        n_features=n_features,
        chosen_candidate=best,
        candidates_healthy=int(healthy.sum()),
    )
    return model, report
