"""The interface parameter-decomposition methods (SPD, APD) use to run a target network with some of
its weight matrices replaced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch

# apply(name, layer_input) -> layer output *without* bias; the model adds the bias itself
LinearApply = Callable[[str, torch.Tensor], torch.Tensor]


def residual_readout(
    apply: LinearApply, name: str, a: torch.Tensor, resid: torch.Tensor, readout: torch.Tensor
) -> torch.Tensor:
    """``(resid + apply(name, a)) @ readout``: a residual stream's last write, then a linear
    read-out. An ``apply`` with the attribute ``folds_then = True`` is called as
    ``apply(name, a, then=readout)`` and may fold the read-out into its factors (SPD's stacked
    passes: (a V ⊙ m)(U readout) is far cheaper than a wide output followed by the read-out)."""
    if getattr(apply, "folds_then", False):
        return resid @ readout + apply(name, a, then=readout)  # type: ignore[call-arg]
    return (resid + apply(name, a)) @ readout


class EmbeddedInput:
    """``x @ embedding`` kept as its two factors: a wide activation (a residual stream written by
    a fixed embedding) whose products with narrow matrices cost far less as
    ``x @ (embedding @ m)``. Supports ``@`` (factored), ``+`` (formed, as a plain tensor) and
    ``dim()``; ``x`` (rows..., n), ``embedding`` (n, d)."""

    def __init__(self, x: torch.Tensor, embedding: torch.Tensor) -> None:
        self.x, self.embedding = x, embedding

    def __matmul__(self, matrix: torch.Tensor) -> torch.Tensor:
        return self.x @ (self.embedding @ matrix)

    def formed(self) -> torch.Tensor:
        return self.x @ self.embedding

    def __add__(self, other: torch.Tensor) -> torch.Tensor:
        return self.formed() + other

    __radd__ = __add__

    def dim(self) -> int:
        return self.x.dim()


def embed(apply: LinearApply, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
    """``x @ embedding``, a fixed embedding before the decomposed matrices. An ``apply`` with the
    attribute ``folds_embedding = True`` receives it as an EmbeddedInput instead and may fold
    the embedding into its own factors (SPD's fast passes: x (W_E V) instead of (x W_E) V)."""
    if getattr(apply, "folds_embedding", False):
        return EmbeddedInput(x, embedding)  # type: ignore[return-value]
    return x @ embedding


@runtime_checkable
class DecomposableModel(Protocol):
    """A target whose decomposable matrices are addressed by name.

    ``weights()`` maps each decomposable module name to its weight (d_out, d_in); ``tied`` maps a
    module whose weight is the transpose of another's to that other module.
    ``forward_with(x, apply)`` runs the network with every decomposable linear map computed by
    ``apply``; inputs may carry extra leading dimensions (stacked passes).
    """

    tied: dict[str, str]

    def weights(self) -> dict[str, torch.Tensor]: ...

    def forward_with(self, x: torch.Tensor, apply: LinearApply) -> torch.Tensor: ...


@runtime_checkable
class KnownSolution(Protocol):
    """A toy target whose perfect decomposition is known: module → (pattern, size) of the causal
    importances on one-hot inputs (``identity`` over n features, or ``dense`` k)."""

    def expected_ci_patterns(self) -> dict[str, tuple[str, int]]: ...


def read_input(a: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """``a @ matrix`` for a float layer input; the row lookup ``matrix[a]`` for token ids (an
    embedding's input, read as one-hot rows), or ``x @ (embedding @ matrix)`` for an
    EmbeddedInput. ``matrix`` is (d_in, k); returns (..., k)."""
    if isinstance(a, EmbeddedInput):
        return a @ matrix
    if not a.is_floating_point():
        return matrix[a]
    return a @ matrix


def plain_apply(weights: dict[str, torch.Tensor]) -> LinearApply:
    """``apply`` that uses the given weights unchanged."""
    return lambda name, a: read_input(a, weights[name].T)


def forward_recording(
    model: DecomposableModel, x: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Run the target; return its output and the input and (pre-bias) output of every
    decomposable matrix."""
    weights = model.weights()
    inputs: dict[str, torch.Tensor] = {}
    outputs: dict[str, torch.Tensor] = {}

    def apply(name: str, a: torch.Tensor) -> torch.Tensor:
        inputs[name] = a
        outputs[name] = read_input(a, weights[name].T)
        return outputs[name]

    return model.forward_with(x, apply), inputs, outputs


def freeze_and_order(target: DecomposableModel, modules: list[str]) -> list[str]:
    """Freeze ``target``'s parameters and return ``modules`` in forward order (all must be
    decomposable)."""
    assert isinstance(target, torch.nn.Module)
    for p in target.parameters():
        p.requires_grad_(False)
    weights = target.weights()
    unknown = [m for m in modules if m not in weights]
    if unknown:
        raise ValueError(f"modules {unknown} are not decomposable; allowed: {list(weights)}")
    return [n for n in weights if n in modules]
