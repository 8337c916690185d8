"""Loading a user's plain state dict (``torch.save(model.state_dict(), path)``) into a model of
the configured architecture.

Two naming schemes load: the model's own parameter names (``linears.0.weight``, ...), and an
``nn.Sequential``'s (``0.weight``, ``2.weight``, ... — its Linear layers taken in index order onto
the model's Linear layers in order). Every parameter must be given; a buffer may be left out only
when the model declares it a layout buffer (``layout_buffers()``: state a network nobody
rearranged has at its constructed value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import torch
from torch import nn

_SEQUENTIAL_KEY = re.compile(r"^(\d+)\.(weight|bias)$")
_SHOWN = 4  # names listed in an error before "and N more"


@runtime_checkable
class HasLayoutBuffers(Protocol):
    def layout_buffers(self) -> list[str]: ...


def is_plain_state_dict(payload: object) -> bool:
    """A non-empty dict of tensors keyed by parameter names."""
    return (
        isinstance(payload, Mapping)
        and len(payload) > 0
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in payload.items())
    )


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown if len(names) <= _SHOWN else f"{shown} and {len(names) - _SHOWN} more"


def _sequential_names(model: nn.Module, plain: Mapping[str, torch.Tensor]) -> dict[str, str]:
    """Model name → nn.Sequential name of every weight and bias of the model's Linear layers,
    the Sequential's layers with weights taken in index order."""
    indices = sorted({int(key.split(".")[0]) for key in plain})
    linears = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if len(indices) != len(linears):
        raise ValueError(
            f"the state dict holds {len(indices)} nn.Sequential layers with weights (indices "
            f"{indices}); the model has {len(linears)} Linear layers"
        )
    return {
        f"{linear}.{kind}": f"{index}.{kind}"
        for index, linear in zip(indices, linears, strict=True)
        for kind in ("weight", "bias")
    }


def complete_state_dict(
    model: nn.Module, plain: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """``plain`` as a full state dict of ``model`` (layout buffers it lacks keep the model's).

    Raises:
        ValueError: one line naming the missing and unexpected entries and the shape mismatches.
    """
    expected = model.state_dict()
    given = dict(plain)
    # how the user's file names each of the model's entries (in errors, its own names first)
    user_name = {key: key for key in expected}
    if not any(k in expected for k in given) and all(_SEQUENTIAL_KEY.match(k) for k in given):
        sequential = _sequential_names(model, given)
        to_model = {seq: own for own, seq in sequential.items()}
        given = {to_model[key]: value for key, value in given.items()}
        user_name |= {own: f"{seq} ({own})" for own, seq in sequential.items()}
    optional = set(model.layout_buffers()) if isinstance(model, HasLayoutBuffers) else set()
    problems = []
    missing = [user_name[k] for k in expected if k not in given and k not in optional]
    if missing:
        problems.append(f"it lacks {_listed(missing)}")
    unexpected = [k for k in given if k not in expected]
    if unexpected:
        problems.append(f"the model has no {_listed(unexpected)}")
    mismatched = [
        f"{user_name[k]} {tuple(v.shape)} (the model's is {tuple(expected[k].shape)})"
        for k, v in given.items()
        if k in expected and v.shape != expected[k].shape
    ]
    if mismatched:
        problems.append(f"shapes differ: {_listed(mismatched)}")
    if problems:
        raise ValueError("; ".join(problems))
    return {**expected, **given}
