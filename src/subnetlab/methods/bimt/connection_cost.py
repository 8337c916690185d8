"""BIMT's connection cost: L1 on weights scaled by wire length plus a layer gap.

Per linear layer: sum_ij |W_ij| * (distance_weight * |pos_out_i - pos_in_j|_1 + layer_gap),
plus layer_gap * sum_i |b_i| when biases are penalised, plus layer_gap * sum |E| for a token
embedding. With ``reduction="mean"`` each tensor's term is averaged over its entries instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import torch

from subnetlab.models.geometry import pairwise_distance
from subnetlab.models.mlp import MLP

Reduction = Literal["sum", "mean"]


@dataclass(frozen=True)
class CostSettings:
    """Knobs of the connection cost.

    layer_gap: cost of a vertical connection (``l0``); alone it is plain L1.
    distance_weight: scale of the horizontal wire length (``wf``); 0 turns locality off.
    reduction: ``sum`` over entries, or ``mean`` per tensor (rescales the useful lambda).
    exempt_last_layer: no wire-length term on the last layer (its L1 part stays).
    """

    layer_gap: float = 0.1
    distance_weight: float = 1.0
    reduction: Reduction = "sum"
    exempt_last_layer: bool = False

    def __post_init__(self) -> None:
        if self.layer_gap < 0 or self.distance_weight < 0:
            raise ValueError(
                f"layer_gap={self.layer_gap} and distance_weight={self.distance_weight} "
                "must be >= 0"
            )
        if self.reduction not in ("sum", "mean"):
            raise ValueError(f"reduction={self.reduction!r} is not supported; allowed: sum, mean")

    def without_locality(self) -> CostSettings:
        """The same cost with the wire-length term off (plain L1)."""
        return replace(self, distance_weight=0.0)

    def layer_distance_weight(self, layer: int, n_layers: int) -> float:
        """Wire-length weight of weight matrix ``layer`` (0-based) in a net of ``n_layers``."""
        if self.exempt_last_layer and layer == n_layers - 1:
            return 0.0
        return self.distance_weight


def wire_lengths(model: MLP, settings: CostSettings) -> list[torch.Tensor]:
    """Horizontal wire length of every weight, ``distance_weight`` applied, layer gap excluded.

    Returns one (d_out, d_in) tensor per linear layer, in the model's internal order.
    """
    lengths = []
    for i in range(model.n_layers):
        pos_in = model.input_positions_full() if i == 0 else model.positions(i)
        dist = pairwise_distance(model.positions(i + 1), pos_in)
        weight = model.linear_layers[i].weight
        dist = dist.to(dtype=weight.dtype, device=weight.device)
        lengths.append(settings.layer_distance_weight(i, model.n_layers) * dist)
    return lengths


def _reduce(values: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    return values.sum() if reduction == "sum" else values.mean()


def connection_cost(model: MLP, settings: CostSettings, include_bias: bool = True) -> torch.Tensor:
    """The connection cost of ``model`` (a differentiable scalar), straight from the definition."""
    gap = settings.layer_gap
    total = model.linear_layers[0].weight.new_zeros(())
    for linear, length in zip(model.linear_layers, wire_lengths(model, settings), strict=True):
        total = total + _reduce(linear.weight.abs() * (length + gap), settings.reduction)
        if include_bias:
            total = total + gap * _reduce(linear.bias.abs(), settings.reduction)
    if model.embedding is not None:
        total = total + gap * _reduce(model.embedding.weight.abs(), settings.reduction)
    return total


class ConnectionCost:
    """The connection cost with every per-weight price precomputed for one model's geometry.

    The cost is sum(price * |param|) over weights, biases and the embedding, so its subgradient
    is ``price * sign(param)``; ``add_gradient_`` adds it straight into ``.grad``, which spares
    the autograd graph of the penalty (the training loop's hot path).
    """

    def __init__(self, model: MLP, settings: CostSettings) -> None:
        self.settings = settings
        gap = settings.layer_gap
        mean = settings.reduction == "mean"
        self.weight_prices = [
            (length + gap) / (length.numel() if mean else 1)
            for length in wire_lengths(model, settings)
        ]
        self.bias_prices = [gap / (lin.bias.numel() if mean else 1) for lin in model.linear_layers]
        self.embedding_price = (
            gap / (model.embedding.weight.numel() if mean else 1)
            if model.embedding is not None
            else 0.0
        )

    def priced_parameters(
        self, model: MLP, include_bias: bool
    ) -> list[tuple[torch.Tensor, torch.Tensor | float]]:
        """(parameter, price) pairs that make up the cost."""
        pairs: list[tuple[torch.Tensor, torch.Tensor | float]] = [
            (lin.weight, price)
            for lin, price in zip(model.linear_layers, self.weight_prices, strict=True)
        ]
        if include_bias:
            pairs += [
                (lin.bias, price)
                for lin, price in zip(model.linear_layers, self.bias_prices, strict=True)
            ]
        if model.embedding is not None:
            pairs.append((model.embedding.weight, self.embedding_price))
        return pairs

    def value(self, model: MLP, include_bias: bool = True) -> torch.Tensor:
        """The cost (a differentiable scalar when grad mode is on)."""
        total = model.linear_layers[0].weight.new_zeros(())
        for param, price in self.priced_parameters(model, include_bias):
            total = total + (param.abs() * price).sum()
        return total

    @torch.no_grad()
    def add_gradient_(self, model: MLP, scale: float, include_bias: bool = True) -> None:
        """Add ``scale`` * d(cost)/d(param) to every priced parameter's ``.grad``."""
        for param, price in self.priced_parameters(model, include_bias):
            step = param.sign() * price
            if param.grad is None:
                param.grad = scale * step
            else:
                param.grad.add_(step, alpha=scale)
