"""Neuron relocation: greedy, cost-minimising, function-preserving swaps of neuron slots.

For one layer, a unit j placed at slot k costs ``c(j, k) = a_j . l_k``: ``a_j`` holds the |weights|
of unit j (incoming then outgoing) and ``l_k`` the wire lengths from slot k to the neighbouring
layers' slots. Units of one layer share no weights, so swapping j and k changes the connection
cost by ``c(j,k) + c(k,j) - c(j,j) - c(k,k)``: one matrix-vector product per candidate neuron gives
the change for every target slot at once. The layer-gap and bias terms do not depend on position
and cancel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.models.geometry import pairwise_distance
from subnetlab.models.mlp import MLP


def swap_units(
    model: MLP, layer: int, i: int, j: int, optimizer: torch.optim.Optimizer | None = None
) -> None:
    """Exchange units ``i`` and ``j`` of ``layer`` in every tensor indexed by them.

    Optimizer state of the same shape (Adam moments) moves with the weights, so training resumes
    as if the neurons had always been in their new slots.
    """
    if i == j:
        return
    n = model.unit_counts[layer]
    with torch.no_grad():
        for tensor, dim, fold in model.unit_tensors(layer):
            order = torch.arange(tensor.shape[dim], device=tensor.device)
            for f in range(fold):
                order[f * n + i], order[f * n + j] = f * n + j, f * n + i
            tensor.copy_(tensor.index_select(dim, order))
            if optimizer is not None and isinstance(tensor, torch.nn.Parameter):
                for value in optimizer.state.get(tensor, {}).values():
                    if torch.is_tensor(value) and value.shape == tensor.shape:
                        value.copy_(value.index_select(dim, order))


def _unit_weights_and_lengths(
    model: MLP, layer: int, settings: CostSettings
) -> tuple[torch.Tensor, torch.Tensor]:
    """|weights| of each unit of ``layer`` and wire lengths from each slot, side by side.

    Returns (abs_weights, lengths), both (n_units, n_neighbours): incoming then outgoing columns,
    scaled by each tensor's distance weight and (for ``mean``) by 1 / its number of entries.
    """
    n_layers = model.n_layers
    pos = model.positions(layer)
    weights: list[torch.Tensor] = []
    lengths: list[torch.Tensor] = []
    if layer > 0:
        w_in = model.linear_layers[layer - 1].weight.detach()
        prev = model.input_positions_full() if layer == 1 else model.positions(layer - 1)
        scale = settings.layer_distance_weight(layer - 1, n_layers)
        if settings.reduction == "mean":
            scale /= w_in.numel()
        weights.append(w_in.abs())
        lengths.append(scale * pairwise_distance(pos, prev).to(w_in.dtype))
    if layer < n_layers:
        w_out = model.linear_layers[layer].weight.detach().abs()
        if layer == 0:  # folded inputs share a slot: their outgoing |weights| add up
            w_out = w_out.reshape(w_out.shape[0], model.input_fold, -1).sum(1)
        scale = settings.layer_distance_weight(layer, n_layers)
        if settings.reduction == "mean":
            scale /= model.linear_layers[layer].weight.numel()
        weights.append(w_out.T)
        lengths.append(scale * pairwise_distance(pos, model.positions(layer + 1)).to(w_out.dtype))
    return torch.cat(weights, dim=1), torch.cat(lengths, dim=1)


def unit_importance(model: MLP, layer: int) -> torch.Tensor:
    """Sum of |incoming| and |outgoing| weights of each unit of ``layer``: (n_units,)."""
    weight = model.linear_layers[0].weight
    total = torch.zeros(model.unit_counts[layer], dtype=weight.dtype, device=weight.device)
    if layer > 0:
        total += model.linear_layers[layer - 1].weight.detach().abs().sum(1)
    if layer < model.n_layers:
        w_out = model.linear_layers[layer].weight.detach().abs().sum(0)
        total += w_out.reshape(model.input_fold, -1).sum(0) if layer == 0 else w_out
    return total


def swap_gains(abs_weights: torch.Tensor, lengths: torch.Tensor, unit: int) -> torch.Tensor:
    """Change in connection cost if ``unit`` swapped with each slot: (n_units,); entry unit is 0."""
    self_cost = (abs_weights * lengths).sum(1)
    moved_here = lengths @ abs_weights[unit]  # c(unit, k)
    moved_there = abs_weights @ lengths[unit]  # c(k, unit)
    return moved_here + moved_there - self_cost[unit] - self_cost


def relocate_layer(
    model: MLP,
    layer: int,
    settings: CostSettings,
    top_k: int,
    optimizer: torch.optim.Optimizer | None = None,
) -> int:
    """Move each of the ``top_k`` most connected units of ``layer`` to its best slot, greedily.

    Returns the number of swaps made.
    """
    abs_weights, lengths = _unit_weights_and_lengths(model, layer, settings)
    n = abs_weights.shape[0]
    candidates = torch.argsort(unit_importance(model, layer), descending=True)[: min(top_k, n)]
    slot_of = list(range(n))  # where each original unit currently sits
    swaps = 0
    for unit in candidates.tolist():
        here = int(slot_of[unit])
        gains = swap_gains(abs_weights, lengths, here)
        target = int(torch.argmin(gains))
        # only strict improvements, so rounding never makes the cost go up
        tolerance = 1e-12 * float((abs_weights * lengths).sum()) + 1e-30
        if target == here or float(gains[target]) >= -tolerance:
            continue
        swap_units(model, layer, here, target, optimizer)
        abs_weights[[here, target]] = abs_weights[[target, here]]
        occupant = slot_of.index(target)
        slot_of[unit], slot_of[occupant] = target, here
        swaps += 1
    return swaps


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run torch ops on one thread, then restore the thread count.

    A relocation is hundreds of tiny vector operations; with several intra-op threads on a
    busy machine each one waits for its sibling threads to be scheduled (measured: 0.7-2.7 s
    per MNIST-size relocation on 2 threads under load, 0.25 s on one).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def relocate(
    model: MLP,
    settings: CostSettings,
    top_k: int,
    optimizer: torch.optim.Optimizer | None = None,
) -> int:
    """One relocation pass over every layer of units, inputs and outputs included.

    Returns the number of swaps made; the network's function is unchanged.
    """
    if top_k < 1:
        raise ValueError(f"top_k={top_k} must be >= 1")
    with single_threaded():
        return sum(
            relocate_layer(model, layer, settings, top_k, optimizer)
            for layer in range(model.n_layers + 1)
        )
