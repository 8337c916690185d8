"""Training ResidMLP targets (reference §2.2): AdamW, cosine lr, labels x + ReLU(x)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from subnetlab.data.sparse_features import resid_mlp_labels, sample_sparse_features
from subnetlab.models.resid_mlp import ResidMLP


@dataclass
class ResidMLPTrainingReport:
    loss: float
    zero_model_loss: float  # loss of predicting only the residual x (what the MLPs must beat)


def train_resid_mlp(
    n_features: int,
    d_embed: int,
    d_mlp: int,
    n_layers: int,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    feature_probability: float,
    seed: int,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[ResidMLP, ResidMLPTrainingReport]:
    torch.manual_seed(seed)
    model = ResidMLP(n_features, d_embed, d_mlp, n_layers, embed_seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / max(steps - 1, 1)))
        x = sample_sparse_features(batch_size, n_features, feature_probability, -1.0, 1.0, gen)
        loss = (model(x) - resid_mlp_labels(x)).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, float(loss.detach()))
    with torch.no_grad():
        x = sample_sparse_features(8192, n_features, feature_probability, -1.0, 1.0, gen)
        y = resid_mlp_labels(x)
        loss = float((model(x) - y).pow(2).mean())
        zero = float((x - y).pow(2).mean())
    return model, ResidMLPTrainingReport(loss=loss, zero_model_loss=zero)
