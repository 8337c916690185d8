"""Layer representations of any ``nn.Module``: forward hooks on named modules over a probe set."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import torch
from torch import nn

Pooling = Literal["last", "mean"]


def pool_output(output: torch.Tensor, pooling: Pooling = "last") -> torch.Tensor:
    """One vector per input from a module output.

    (B, D) stays; (B, T, D) sequences take the last token or the mean over tokens; (B, C, H, W)
    and other higher-rank outputs are averaged over every axis after the channel axis.

    Returns:
        (B, D') tensor.
    """
    if pooling not in ("last", "mean"):
        raise ValueError(f"pooling={pooling!r} is not supported; allowed: 'last', 'mean'")
    if output.dim() == 1:
        return output.unsqueeze(1)
    if output.dim() == 2:
        return output
    if output.dim() == 3:
        return output[:, -1, :] if pooling == "last" else output.mean(dim=1)
    return output.flatten(start_dim=2).mean(dim=2)


def _first_tensor(output: object, name: str) -> torch.Tensor:
    """Modules may return tuples (attention blocks) or dataclasses; take the first tensor."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"module {name!r} returned {type(output).__name__}; expected a tensor or tuple")


@torch.no_grad()
def collect_representations(
    model: nn.Module,
    modules: list[str],
    probe: torch.Tensor | Iterable[torch.Tensor],
    pooling: Pooling = "last",
    batch_size: int = 256,
) -> dict[str, torch.Tensor]:
    """Outputs of ``modules`` (dotted names as in ``named_modules``) on the probe inputs.

    Args:
        model: any module; put in eval mode for the call and restored afterwards.
        modules: names to hook, in depth order; at least one.
        probe: (N, ...) inputs (split into batches of ``batch_size``) or an iterable of batches.
        pooling: how sequence outputs become one vector per input.

    Returns:
        name -> (N, d_name) float64 CPU tensor, in the order of ``modules``.
    """
    if not modules:
        raise ValueError("modules must name at least one submodule to hook")
    available = dict(model.named_modules())
    missing = [name for name in modules if name not in available]
    if missing:
        sample = sorted(n for n in available if n)[:20]
        raise ValueError(f"modules {missing} not found in the model; some available: {sample}")
    if isinstance(probe, torch.Tensor):
        batches: Iterable[torch.Tensor] = probe.split(batch_size)
    else:
        batches = probe
    collected: dict[str, list[torch.Tensor]] = {name: [] for name in modules}
    handles = []
    for name in modules:

        def hook(_module: nn.Module, _inputs: object, output: object, name: str = name) -> None:
            pooled = pool_output(_first_tensor(output, name), pooling)
            collected[name].append(pooled.detach().to("cpu", torch.float64))

        handles.append(available[name].register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        for batch in batches:
            model(batch)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    silent = [name for name, parts in collected.items() if not parts]
    if silent:
        raise ValueError(
            f"modules {silent} were never called (empty probe set, or a model that computes them "
            "functionally; use collect_applied_outputs for such targets)"
        )
    return {name: torch.cat(parts) for name, parts in collected.items()}


@torch.no_grad()
def collect_applied_outputs(
    model: nn.Module, names: list[str], probe: torch.Tensor, batch_size: int = 256
) -> dict[str, torch.Tensor]:
    """Outputs (before bias) of the named linear maps of a decomposable target, i.e. one with
    ``weights()`` and ``forward_with(x, apply)`` (models/decomposable.py), on the probe inputs.

    Returns:
        name -> (N, d_name) float64 CPU tensor, in the order of ``names``.
    """
    weights = model.weights()  # type: ignore[operator]
    missing = [name for name in names if name not in weights]
    if missing:
        raise ValueError(f"{missing} are not linear maps of the target; available: {list(weights)}")
    collected: dict[str, list[torch.Tensor]] = {name: [] for name in names}

    def apply(name: str, a: torch.Tensor) -> torch.Tensor:
        out = a @ weights[name].T
        if name in collected:
            collected[name].append(out.detach().reshape(-1, out.shape[-1]).to("cpu", torch.float64))
        return out

    for batch in probe.split(batch_size):
        model.forward_with(batch, apply)  # type: ignore[operator]
    return {name: torch.cat(parts) for name, parts in collected.items()}
