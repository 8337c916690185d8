"""Any ``nn.Module`` as a target of parameter decomposition: its ``nn.Linear``, ``nn.Embedding`` and
Hugging Face ``Conv1D`` modules, addressed by their names in ``named_modules()``.

While a decomposition runs the network (``forward_with``), each of those modules' ``forward`` is
replaced for the duration of the call by one that computes the module's (pre-bias) linear map with
the decomposition's ``apply`` and adds the module's own bias; nothing else of the network changes,
so any architecture whose matrices are such modules works (SPD, arXiv:2506.20790, §2: the method
needs only the weight matrices and the network's forward pass).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import torch
from torch import nn

from subnetlab.models.decomposable import DecomposableModel, LinearApply

MatrixKind = Literal["linear", "embedding", "conv1d"]


def matrix_kind(module: nn.Module) -> MatrixKind | None:
    """How ``module`` holds a decomposable matrix, or None when it holds none.

    Hugging Face's GPT-2 ``Conv1D`` (a linear layer storing its weight as (d_in, d_out)) is
    recognised by its class name and layout, so the optional ``transformers`` package is not
    imported here.
    """
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, nn.Embedding):
        return "embedding"
    weight = getattr(module, "weight", None)
    if type(module).__name__ == "Conv1D" and isinstance(weight, torch.Tensor):
        if weight.dim() == 2 and hasattr(module, "nf"):
            return "conv1d"
    return None


def module_weight(module: nn.Module, kind: MatrixKind) -> torch.Tensor:
    """The module's matrix in the (d_out, d_in) layout of ``nn.Linear``: an embedding's input is
    a one-hot token (d_in = vocabulary), a Conv1D's weight is stored transposed."""
    weight = module.weight
    assert isinstance(weight, torch.Tensor)
    return weight if kind == "linear" else weight.T


class ModuleMatrices(nn.Module):
    """``model`` (any nn.Module) with its Linear / Embedding / Conv1D modules as named matrices.

    Implements the ``DecomposableModel`` protocol of ``models/decomposable.py``: ``weights()``
    maps module names (as in ``model.named_modules()``; a model exposing ``decomposition_root``
    is addressed from that submodule) to (d_out, d_in) weights; ``tied`` pairs a module whose
    weight is another's transpose (a GPT-2 style unembedding sharing the token embedding);
    ``forward_with(x, apply)`` runs ``model(x)`` with every named matrix computed by ``apply``
    (``apply(name, a)`` gets the module's input: floats (..., d_in), or token ids for an
    embedding, and returns the pre-bias output (..., d_out)). The output is the model's output,
    or its ``logits`` when it returns a Hugging Face ``ModelOutput``.

    Raises:
        ValueError: ``model`` has no such module.
    """

    #: the stacked masked passes of SPD need a forward that carries extra leading dimensions,
    #: which an arbitrary architecture (attention reshapes, norms over the batch) does not
    supports_stacked_passes = False

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        root = getattr(model, "decomposition_root", model)
        assert isinstance(root, nn.Module)
        self.kinds: dict[str, MatrixKind] = {}
        self._modules_by_name: dict[str, nn.Module] = {}
        for name, module in root.named_modules():
            kind = matrix_kind(module)
            if kind is not None and name:
                self.kinds[name] = kind
                self._modules_by_name[name] = module
        if not self.kinds:
            raise ValueError(
                f"{type(model).__name__} has no nn.Linear, nn.Embedding or Conv1D module to "
                "decompose"
            )
        self.tied = self._transposed_ties()
        self.zero_input_fixed_point = False

    def _transposed_ties(self) -> dict[str, str]:
        """A module whose weight *is* (the same Parameter as) an earlier module's, in the
        transposed layout (embedding ↔ linear unembedding) → that earlier module."""
        first_with: dict[int, str] = {}
        tied: dict[str, str] = {}
        for name, module in self._modules_by_name.items():
            key = id(module.weight)
            if key not in first_with:
                first_with[key] = name
                continue
            other = first_with[key]
            if (self.kinds[other] == "embedding") != (self.kinds[name] == "embedding"):
                tied[name] = other
        return tied

    def module_names(self) -> list[str]:
        """Names of the decomposable modules, in ``named_modules()`` order."""
        return list(self.kinds)

    def weights(self) -> dict[str, torch.Tensor]:
        return {
            name: module_weight(module, self.kinds[name])
            for name, module in self._modules_by_name.items()
        }

    def forward_with(self, x: torch.Tensor, apply: LinearApply) -> torch.Tensor:
        with self._replaced_forwards(apply):
            return model_output(self.model(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return model_output(self.model(x))

    @contextmanager
    def _replaced_forwards(self, apply: LinearApply) -> Iterator[None]:
        try:
            for name, module in self._modules_by_name.items():
                module.forward = self._computed_by(apply, name, module)
            yield
        finally:
            for module in self._modules_by_name.values():
                module.__dict__.pop("forward", None)  # back to the class's forward

    @staticmethod
    def _computed_by(
        apply: LinearApply, name: str, module: nn.Module
    ) -> Callable[..., torch.Tensor]:
        bias = getattr(module, "bias", None)

        def forward(a: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            out = apply(name, a)
            return out if bias is None else out + bias

        return forward


def model_output(output: Any) -> torch.Tensor:
    """A model's output tensor: the tensor itself, or the ``logits`` of a ``ModelOutput``.

    Raises:
        TypeError: the output is neither.
    """
    if isinstance(output, torch.Tensor):
        return output
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    raise TypeError(
        f"the model returned {type(output).__name__}; parameter decomposition needs a tensor "
        "(or an output with .logits)"
    )


def as_decomposable(model: nn.Module) -> DecomposableModel:
    """``model`` itself when it names its matrices (``weights``, ``forward_with``, ``tied``: the
    toys, which add faster SPD paths), else ``ModuleMatrices(model)``."""
    if isinstance(model, DecomposableModel):
        return model
    return ModuleMatrices(model)
