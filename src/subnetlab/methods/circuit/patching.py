"""Forward passes of a layered net with edges patched, batched over many candidate circuits.

Removing edge ``u -> v`` replaces, in the pre-activation of ``v``, the term ``W[v, u] * a_u``
(``a_u`` the source's activation in the circuit) by ``W[v, u] * a'_u``, where ``a'_u`` is the
ablation value of the source: its activation on the corrupted inputs in the full model, zero, or
its mean over the clean inputs in the full model. Only that one edge sees the ablated value.

The full model's activations on clean and corrupted inputs are computed once
(:class:`PatchingCache`) and reused by every candidate circuit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import torch

from subnetlab.models.layered import ACTIVATIONS, LayeredNet

from .edge_graph import EdgeGraph, EdgeMask

Ablation = Literal["corrupted", "zero", "mean"]
ABLATIONS: tuple[str, ...] = get_args(Ablation)


def node_activations(net: LayeredNet, inputs: torch.Tensor) -> list[torch.Tensor]:
    """Activations of every node layer of the full model.

    Args:
        inputs: (B, n_in).
    Returns:
        per node layer ``l``, (B, widths[l]); layer 0 is the inputs, the last the outputs (logits).
    """
    act = ACTIVATIONS[net.activation]
    acts = [inputs]
    last = len(net.weights) - 1
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        z = acts[-1] @ w.T + b
        acts.append(act(z) if i < last else z)
    return acts


def shuffled_pairs(inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Corrupted inputs: every example paired with a different, randomly chosen example.

    Args:
        inputs: (B, n_in), B >= 2.
    Returns:
        (B, n_in), row ``j`` is row ``pi(j)`` of ``inputs`` with ``pi`` a permutation without
        fixed points.
    """
    n = inputs.shape[0]
    if n < 2:
        raise ValueError(f"corrupted ablation needs at least 2 examples to pair, got {n}")
    order = torch.randperm(n, generator=generator)
    partner = torch.empty(n, dtype=torch.long)
    partner[order] = order.roll(-1)  # a single cycle through the shuffled order: no fixed point
    return inputs[partner]


@dataclass
class PatchingCache:
    """The full model's clean activations and the ablation value of every source neuron."""

    net: LayeredNet
    clean: list[torch.Tensor]
    """per node layer, (B, width): the full model on the clean inputs."""
    ablated: list[torch.Tensor]
    """per source node layer (all but the outputs), (B, width): what an ablated edge carries."""
    ablation: Ablation

    @property
    def graph(self) -> EdgeGraph:
        return EdgeGraph.of(self.net)

    @property
    def inputs(self) -> torch.Tensor:
        return self.clean[0]

    @property
    def full_outputs(self) -> torch.Tensor:
        """(B, n_out) outputs of the full model."""
        return self.clean[-1]


def build_cache(
    net: LayeredNet,
    clean_inputs: torch.Tensor,
    ablation: Ablation,
    corrupted_inputs: torch.Tensor | None = None,
) -> PatchingCache:
    """Run the full model on the clean (and corrupted) inputs once.

    Args:
        clean_inputs: (B, n_in).
        ablation: "corrupted" needs ``corrupted_inputs`` (B, n_in), paired row by row with the clean
            ones; "zero" and "mean" must not get them.
    """
    if ablation not in ABLATIONS:
        raise ValueError(f"ablation={ablation!r} is not supported; allowed: {list(ABLATIONS)}")
    if clean_inputs.ndim != 2 or clean_inputs.shape[1] != net.widths[0]:
        raise ValueError(
            f"clean inputs have shape {tuple(clean_inputs.shape)}; expected (B, {net.widths[0]})"
        )
    given = corrupted_inputs is not None
    if (ablation == "corrupted") != given:
        raise ValueError(
            "corrupted_inputs must be given exactly when ablation='corrupted' "
            f"(ablation={ablation!r}, corrupted_inputs {'given' if given else 'missing'})"
        )
    with torch.no_grad():
        clean = node_activations(net, clean_inputs)
        if ablation == "corrupted":
            assert corrupted_inputs is not None
            if corrupted_inputs.shape != clean_inputs.shape:
                raise ValueError(
                    f"corrupted inputs {tuple(corrupted_inputs.shape)} must match clean inputs "
                    f"{tuple(clean_inputs.shape)} row by row"
                )
            ablated = node_activations(net, corrupted_inputs)[:-1]
        elif ablation == "zero":
            ablated = [torch.zeros_like(a) for a in clean[:-1]]
        else:
            ablated = [a.mean(dim=0, keepdim=True).expand_as(a) for a in clean[:-1]]
    return PatchingCache(net=net, clean=clean, ablated=ablated, ablation=ablation)


def patched_forward(cache: PatchingCache, mask: Sequence[torch.Tensor]) -> torch.Tensor:
    """Outputs of circuits given by edge masks, all candidates in one pass.

    Args:
        mask: per weight layer, (K, d_out, d_in) or (d_out, d_in); bool (kept / ablated) or float
            (1 = kept, 0 = ablated, in between a mix of the circuit's and the ablated activation,
            which is what edge attribution differentiates).
    Returns:
        (K, B, n_out), or (B, n_out) when the masks have no candidate dimension.
    """
    net = cache.net
    graph = cache.graph
    if len(mask) != graph.num_weight_layers:
        raise ValueError(f"mask has {len(mask)} layers; this net has {graph.num_weight_layers}")
    batched = mask[0].ndim == 3
    act = ACTIVATIONS[net.activation]
    last = len(net.weights) - 1
    h = cache.inputs
    for i, (w, b, m) in enumerate(zip(net.weights, net.biases, mask, strict=True)):
        if tuple(m.shape[-2:]) != tuple(w.shape) or m.ndim != (3 if batched else 2):
            raise ValueError(
                f"mask layer {i} has shape {tuple(m.shape)}; weights are {tuple(w.shape)}"
            )
        kept = w * m.to(w.dtype)
        ablated = w - kept
        z = h @ kept.transpose(-1, -2) + cache.ablated[i] @ ablated.transpose(-1, -2) + b
        h = act(z) if i < last else z
    return h


@dataclass
class CircuitState:
    """One circuit's activations, with each layer's input split into kept and ablated parts.

    ``preactivations[l]`` = ``activations[l-1] @ kept_weights[l-1].T + ablated_input[l-1]``; index
    0 holds the inputs so that node layers index both lists.
    """

    activations: list[torch.Tensor]
    preactivations: list[torch.Tensor]
    kept_weights: list[torch.Tensor]
    """per weight layer, (d_out, d_in): W where the edge is kept, 0 elsewhere."""
    ablated_input: list[torch.Tensor]
    """per weight layer, (B, d_out): bias plus every ablated edge's contribution."""


def circuit_state(cache: PatchingCache, mask: EdgeMask) -> CircuitState:
    """Activations of the circuit ``mask`` on the clean inputs (one dense forward pass)."""
    net = cache.net
    cache.graph.check_mask(mask)
    act = ACTIVATIONS[net.activation]
    last = len(net.weights) - 1
    acts, pres, kept_ws, ablated_ins = [cache.inputs], [cache.inputs], [], []
    for i, (w, b, m) in enumerate(zip(net.weights, net.biases, mask, strict=True)):
        kept = w * m.to(w.dtype)
        ablated_in = cache.ablated[i] @ (w - kept).T + b
        z = acts[-1] @ kept.T + ablated_in
        kept_ws.append(kept)
        ablated_ins.append(ablated_in)
        pres.append(z)
        acts.append(act(z) if i < last else z)
    return CircuitState(acts, pres, kept_ws, ablated_ins)


def edge_removal_shift(
    cache: PatchingCache, state: CircuitState, layer: int, receiver: int
) -> torch.Tensor:
    """How removing each incoming edge of one neuron shifts its pre-activation.

    Args:
        layer: node layer of the receiver (1 .. L).
    Returns:
        (B, d_in): entry ``[b, u]`` = ``W[receiver, u] * (a'_u - a_u)`` on example ``b``.
    """
    w_row = cache.net.weights[layer - 1][receiver]
    return w_row * (cache.ablated[layer - 1] - state.activations[layer - 1])


def single_neuron_outputs(
    cache: PatchingCache,
    state: CircuitState,
    layer: int,
    neuron: int,
    preactivations: torch.Tensor,
) -> torch.Tensor:
    """Outputs of K circuits that differ from ``state`` only in one neuron's pre-activation.

    The change enters the next layer as a rank-one update through the neuron's kept outgoing
    edges; only the layers after that need full matrix products.

    Args:
        layer: node layer of the neuron (1 .. L).
        preactivations: (K, B), the neuron's pre-activation in each candidate.
    Returns:
        (K, B, n_out).
    """
    net = cache.net
    act = ACTIVATIONS[net.activation]
    n_layers = len(net.weights)
    if layer == n_layers:
        out = state.activations[-1].expand(preactivations.shape[0], -1, -1).clone()
        out[:, :, neuron] = preactivations
        return out
    shift = act(preactivations) - state.activations[layer][:, neuron]  # (K, B)
    z = torch.addcmul(
        state.preactivations[layer + 1], shift[..., None], state.kept_weights[layer][:, neuron]
    )
    for i in range(layer + 1, n_layers):
        z = act(z) @ state.kept_weights[i].T + state.ablated_input[i]
    return z
