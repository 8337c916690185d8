"""A plain description of a layered (MLP-shaped) network, shared by BIMT and circuit discovery."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

ACTIVATIONS = {
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
