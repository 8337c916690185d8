"""The capability circuit discovery needs from a target: a layered MLP.

A target qualifies when it is a feed-forward chain of Linear layers and one elementwise
activation: our ``models.mlp.MLP`` (also with a token embedding, see below) or an
``nn.Sequential`` of ``nn.Linear`` and activation modules. :func:`layered_target` reads the
layered net off it (weights, biases, activation), says how the dataset's inputs enter that net,
and gives an ``MLP`` to draw the circuit on.

For an ``MLP`` with a token embedding the circuit's input nodes are the embedding dimensions (the
concatenated token embeddings, ``n_tokens * embed_dim`` of them) and its edges are the MLP's
weights only: the table is the input encoding, not wiring. Edge counts then match the weight
graph BIMT trains and draws, and a regime that uses few embedding dimensions gets few input
edges (folding the table into the first layer would connect every token to every hidden neuron
whatever the regime). Corrupted ablation patches in another pair's embeddings, zero ablation
switches a dimension off like BIMT's knock-out experiment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.models.layered import LayeredNet, NotLayeredError, sequential_to_layered
from subnetlab.models.mlp import MLP

CAPABILITY = (
    "a layered MLP: our model=mlp network or an nn.Sequential of nn.Linear layers and one "
    "elementwise activation (ReLU, SiLU, GELU, Tanh, Identity)"
)


@dataclass(frozen=True)
class LayeredTarget:
    """What circuit discovery reads of a target network."""

    net: LayeredNet
    """the weights in the order the data sees them (task-order inputs and outputs)."""
    encode: Callable[[torch.Tensor], torch.Tensor]
    """dataset inputs (B, ...) → the net's (B, widths[0]) inputs; raises ValueError when they do
    not fit the target."""
    drawing: MLP
    """the network the circuit is drawn on: the target itself, or an MLP holding its weights at
    evenly spaced neuron positions."""

    @property
    def widths(self) -> list[int]:
        return self.net.widths


def circuit_net(model: MLP) -> LayeredNet:
    """The layered net circuits are found in: task-order inputs and outputs; with an embedding,
    the first layer's inputs are the embedding dimensions (token ``t``'s dimension ``d`` at
    ``t * embed_dim + d``, as ``model`` concatenates them)."""
    net = model.to_layered_net(task_order=True)
    if model.embedding is not None:
        first = model.linear_layers[0].weight.detach().clone()
        if model.n_layers == 1:  # the first layer is also the output layer: task-order rows
            first = first[torch.argsort(model.out_perm)]
        net.weights[0] = first
    return net


def model_inputs(model: MLP, x: torch.Tensor) -> torch.Tensor:
    """Task inputs (features (B, widths[0]), or token ids (B, n_tokens)) → the circuit net's
    (B, n_in) inputs.

    Raises:
        ValueError: when ``x`` has the wrong shape, or token ids outside the vocabulary.
    """
    dtype = model.linear_layers[0].weight.dtype
    if model.embedding is None:
        return _feature_inputs(x, model.widths[0], dtype)
    vocab = model.embedding.num_embeddings
    if x.ndim != 2 or x.shape[1] != model.n_tokens or x.is_floating_point():
        raise ValueError(
            f"inputs of shape {tuple(x.shape)} ({x.dtype}); this token model reads (B, "
            f"{model.n_tokens}) integer token ids"
        )
    if len(x) and (int(x.min()) < 0 or int(x.max()) >= vocab):
        raise ValueError(
            f"token ids span {int(x.min())}..{int(x.max())}; the embedding holds ids 0..{vocab - 1}"
        )
    with torch.no_grad():
        return model.embedding(x).flatten(-2).to(dtype)


def _feature_inputs(x: torch.Tensor, width: int, dtype: torch.dtype) -> torch.Tensor:
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(
            f"inputs of shape {tuple(x.shape)}; the target's first layer reads (B, {width})"
        )
    return x.to(dtype)


def drawing_of(net: LayeredNet) -> MLP:
    """An MLP holding ``net``'s weights, neurons at the default (evenly spaced) positions."""
    model = MLP(net.widths, activation=net.activation)
    with torch.no_grad():
        for linear, weight, bias in zip(model.linear_layers, net.weights, net.biases, strict=True):
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
    return model


def layered_target(model: nn.Module) -> LayeredTarget:
    """Read the layered net off ``model``.

    Raises:
        TargetCapabilityError: ``model`` is not a layered MLP; the message says why.
    """
    if isinstance(model, MLP):
        return LayeredTarget(circuit_net(model), lambda x: model_inputs(model, x), model)
    try:
        net = sequential_to_layered(model)
    except NotLayeredError as err:
        raise TargetCapabilityError(f"circuit discovery needs {CAPABILITY}; {err}") from None
    dtype = net.weights[0].dtype
    return LayeredTarget(net, lambda x: _feature_inputs(x, net.widths[0], dtype), drawing_of(net))
