"""A plain description of a layered (MLP-shaped) network, shared by BIMT and circuit discovery,
and how to read one off an ``nn.Sequential`` of Linear layers and elementwise activations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "silu": F.silu,
    "relu": F.relu,
    "gelu": F.gelu,
    "tanh": torch.tanh,
    "identity": lambda x: x,
}


@dataclass
class LayeredNet:
    """Weights of a feed-forward net in the order the data sees them.

    ``weights[i]`` has shape (d_out, d_in) like ``nn.Linear.weight``; ``biases[i]`` has shape
    (d_out,).
    The activation is applied after every layer except the last. Inputs and outputs are in their
    original (task) order, so node ``j`` of layer 0 is input feature ``j``.
    """

    weights: list[torch.Tensor]
    biases: list[torch.Tensor]
    activation: str = "silu"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation={self.activation!r} is not supported; allowed: {sorted(ACTIVATIONS)}"
            )
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError("LayeredNet needs one bias per weight matrix and at least one layer")
        for i in range(1, len(self.weights)):
            if self.weights[i].shape[1] != self.weights[i - 1].shape[0]:
                raise ValueError(
                    f"layer {i} expects {self.weights[i].shape[1]} inputs but layer {i - 1} "
                    f"gives {self.weights[i - 1].shape[0]}"
                )

    @property
    def widths(self) -> list[int]:
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = ACTIVATIONS[self.activation]
        h = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w.T + b
            if i < last:
                h = act(h)
        return h


# the torch activation modules a layered net can hold, by the name LayeredNet knows them under
ACTIVATION_MODULES: dict[type[nn.Module], str] = {
    nn.ReLU: "relu",
    nn.SiLU: "silu",
    nn.GELU: "gelu",
    nn.Tanh: "tanh",
    nn.Identity: "identity",
}


class NotLayeredError(ValueError):
    """A module is not a feed-forward chain of Linear layers and one elementwise activation."""


def _flat_children(module: nn.Sequential) -> list[tuple[str, nn.Module]]:
    """The leaf layers of a (possibly nested) Sequential in the order its forward runs them."""
    leaves = []
    for name, child in module.named_children():
        if isinstance(child, nn.Sequential):
            leaves += [(f"{name}.{inner}", leaf) for inner, leaf in _flat_children(child)]
        else:
            leaves.append((name, child))
    return leaves


def _activation_name(name: str, layer: nn.Module) -> str:
    kind = ACTIVATION_MODULES.get(type(layer))
    if kind is None:
        allowed = sorted(t.__name__ for t in ACTIVATION_MODULES)
        raise NotLayeredError(
            f"layer {name} is a {type(layer).__name__}; a layered net holds nn.Linear layers and "
            f"the elementwise activations {allowed}"
        )
    if isinstance(layer, nn.GELU) and layer.approximate != "none":
        raise NotLayeredError(f"layer {name} is a tanh-approximated GELU; only the exact one fits")
    return kind


def sequential_to_layered(module: nn.Module) -> LayeredNet:
    """The LayeredNet of ``Linear, act, Linear, act, ..., Linear`` (detached copies).

    Every activation must be the same one (a LayeredNet has one); a Linear without bias gets a
    zero bias. Only an ``nn.Sequential`` qualifies: its children are its forward, whereas another
    module's forward may use its layers in any order.

    Raises:
        NotLayeredError: naming the first layer that breaks the pattern.
    """
    if not isinstance(module, nn.Sequential):
        raise NotLayeredError(
            f"a {type(module).__name__} is not an nn.Sequential of Linear layers and activations"
        )
    layers = _flat_children(module)
    weights: list[torch.Tensor] = []
    biases: list[torch.Tensor] = []
    activations: set[str] = set()
    expect_linear = True
    for name, layer in layers:
        if expect_linear != isinstance(layer, nn.Linear):
            if expect_linear:
                raise NotLayeredError(
                    f"layer {name} ({type(layer).__name__}) stands where a Linear layer must: "
                    "a layered net alternates Linear layers and activations, starting with one"
                )
            raise NotLayeredError(
                f"layer {name} follows a Linear layer without an activation between them"
            )
        if expect_linear:
            assert isinstance(layer, nn.Linear)
            weight = layer.weight.detach().clone()
            bias = layer.bias
            weights.append(weight)
            biases.append(
                torch.zeros(weight.shape[0], dtype=weight.dtype)
                if bias is None
                else bias.detach().clone()
            )
        else:
            activations.add(_activation_name(name, layer))
        expect_linear = not expect_linear
    if not weights:
        raise NotLayeredError("the Sequential holds no Linear layer")
    if expect_linear:
        raise NotLayeredError(
            f"the last layer ({layers[-1][0]}) is an activation; a layered net ends with a Linear "
            "layer whose outputs are the logits"
        )
    if len(activations) > 1:
        raise NotLayeredError(
            f"the Sequential mixes activations {sorted(activations)}; a layered net has one"
        )
    activation = activations.pop() if activations else "identity"
    try:
        return LayeredNet(weights, biases, activation=activation)
    except ValueError as err:  # consecutive Linear layers whose widths do not meet
        raise NotLayeredError(str(err)) from None
