"""Gradient attributions of APD components and the batch top-k selection (APD,
arXiv:2501.14926, §2).

A_c(x) = Σ_o ( Σ_l Σ_j ∂f_o/∂y^l_j · (P_{c,l} a^l)_j )², where y^l = W^l a^l is the pre-bias output
of decomposed matrix l: the squared first-order effect of component c on every output, summed
over output dimensions (the APD code's ranking score; the paper's √(mean) ranks the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from subnetlab.models.decomposable import DecomposableModel


@dataclass
class OutputJacobians:
    """∂f_o/∂y^l per decomposed matrix l: (O, batch, d_out_l); ``inputs`` a^l (batch, d_in_l)."""

    output: torch.Tensor
    jacobians: dict[str, torch.Tensor]
    inputs: dict[str, torch.Tensor]


def output_jacobians(
    model: DecomposableModel,
    x: torch.Tensor,
    weights: dict[str, torch.Tensor],
    names: list[str],
    chunk: int | None = None,
) -> OutputJacobians:
    """Jacobians of every output dimension with respect to each matrix's output, at ``weights``.

    One forward pass; the backward passes for all output dimensions run as one batched backward
    (``is_grads_batched``), ``chunk`` output dimensions at a time (None: all at once).
    """
    with torch.enable_grad():
        offsets = {}
        inputs: dict[str, torch.Tensor] = {}

        def apply(name: str, a: torch.Tensor) -> torch.Tensor:
            y = a @ weights[name].detach().T  # keep a's graph: effects flow back
            if name not in names:
                return y
            inputs[name] = a.detach()
            offsets[name] = torch.zeros_like(y, requires_grad=True)
            return y + offsets[name]

        out = model.forward_with(x, apply)
        n_out = out.shape[-1]
        step = n_out if chunk is None else chunk
        pieces: dict[str, list[torch.Tensor]] = {name: [] for name in names}
        eye = torch.eye(n_out, dtype=out.dtype, device=out.device)
        targets = [offsets[name] for name in names]
        for start in range(0, n_out, step):
            rows = eye[start : start + step]  # (k, O)
            grad_out = rows.unsqueeze(1).expand(-1, out.shape[0], -1)  # (k, batch, O)
            grads = torch.autograd.grad(
                out, targets, grad_outputs=grad_out, is_grads_batched=True, retain_graph=True
            )
            for name, g in zip(names, grads, strict=True):
                pieces[name].append(g)
    jac = {name: torch.cat(pieces[name]) for name in names}
    return OutputJacobians(out.detach(), jac, inputs)


def component_effects(
    jacobians: dict[str, torch.Tensor], component_outputs: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """First-order effect of each component on each output, per matrix: (batch, O, C).

    ``component_outputs[l]`` is P_{c,l} a^l, (batch, C, d_out_l).
    """
    return {
        name: torch.einsum("obj,bcj->boc", jacobians[name], component_outputs[name])
        for name in jacobians
    }


def gradient_attributions(effects: dict[str, torch.Tensor]) -> torch.Tensor:
    """A_c(x) (batch, C): squared summed effect over matrices, summed over outputs."""
    total = sum(effects.values())
    assert isinstance(total, torch.Tensor)
    return total.pow(2).sum(1)


def module_attributions(effects: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Attribution restricted to one matrix, A_{c,l}(x) (batch, C), used for per-module L0."""
    return {name: e.pow(2).sum(1) for name, e in effects.items()}


def batch_topk_mask(attributions: torch.Tensor, topk: float) -> torch.Tensor:
    """Keep the ⌊topk·batch⌋ (at least 1) largest (datapoint, component) attributions of the
    batch; ``topk`` is the mean number of active components per datapoint. (batch, C) bool."""
    if topk <= 0:
        raise ValueError(f"batch top-k needs topk > 0, got {topk}")
    batch, C = attributions.shape
    k = min(max(1, int(topk * batch)), batch * C)
    flat = attributions.flatten()
    mask = torch.zeros_like(flat, dtype=torch.bool)
    mask[flat.topk(k).indices] = True
    return mask.view(batch, C)
