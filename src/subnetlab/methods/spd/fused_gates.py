"""The scalar causal-importance MLPs of SPD (arXiv:2506.20790, §2: one MLP 1 → d_gate GELU → 1
per subcomponent) of several decomposed matrices evaluated together, forward and backward, by
hand.

Autograd on the plain formula keeps the (rows, C, d_gate) hidden pre-activation and GELU output
and walks them about a dozen times per step. Here every subcomponent of every matrix is one row
of a (C_total, d_gate, rows) block, rows innermost; the forward computes the GELU and its slope
once, and the backward reduces them over rows with two batched matrix products. With x the
inner activation, h = x·w1 + b1, a = GELU(h), the output y = Σ_k w2·a + b2 and its upstream
gradient G:
    ∂L/∂x  = G · Σ_k w1·w2·GELU'(h)     (the slope, saved in the forward)
    ∂L/∂w1 = w2 · Σ_rows G·x·GELU'(h)
    ∂L/∂b1 = w2 · Σ_rows G·GELU'(h)
    ∂L/∂w2 = Σ_rows G·a
    ∂L/∂b2 = Σ_rows G
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional as F

from subnetlab.methods.spd.sigmoids import leaky_hard_sigmoid_grad, leaky_hard_sigmoid_values


@dataclass
class JointCI:
    """The CI of matrices whose gates ran fused, side by side: ``lower`` and ``upper``
    (rows, Σ C) with ``names[i]`` in the ``sizes[i]`` columns after those of ``names[:i]``."""

    names: list[str]
    sizes: list[int]
    lower: torch.Tensor
    upper: torch.Tensor

    def columns(self) -> list[slice]:
        starts = [0]
        for size in self.sizes:
            starts.append(starts[-1] + size)
        return [slice(a, b) for a, b in zip(starts, starts[1:], strict=False)]


class GateWorkspace:
    """Storage for the (C_total, d_gate, rows) blocks of one fused gate call, reused from step to
    step: fresh blocks of this size cost a page fault per 4 KiB on every step (the CPU allocator
    hands them back to the system), more than the arithmetic on them.

    The blocks belong to one call at a time, the one whose autograd node is alive and has not
    run its backward; a call while they are taken gets fresh blocks. Reusing blocks that an old
    graph still holds (a second backward with ``retain_graph``) raises autograd's in-place
    modification error, never a silent wrong gradient.
    """

    def __init__(self) -> None:
        self._storage: tuple[torch.Tensor, torch.Tensor] | None = None
        self._user: weakref.ref[Any] | None = None

    def take(
        self, user: Any, shape: tuple[int, ...], like: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Two blocks of ``shape`` (``like``'s dtype and device) to write into, for ``user`` (the
        autograd context of the call)."""
        numel = math.prod(shape)
        taken = self._user is not None and self._user() is not None
        storage = self._storage
        fits = (
            storage is not None
            and storage[0].numel() >= numel
            and storage[0].dtype == like.dtype
            and storage[0].device == like.device
        )
        if taken or not fits:
            # some slack, since the number of computed rows varies from step to step
            size = numel if taken else numel + numel // 8
            fresh = (like.new_empty(size), like.new_empty(size))
            if taken:
                return fresh[0][:numel].view(shape), fresh[1][:numel].view(shape)
            self._storage = storage = fresh
        assert storage is not None
        self._user = weakref.ref(user)
        return storage[0][:numel].view(shape), storage[1][:numel].view(shape)

    def __getstate__(self) -> dict[str, Any]:
        # a copy (deepcopy, pickle) starts empty: it holds no graph's blocks
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def release(self, user: Any) -> None:
        """``user``'s backward has run: its blocks may be reused."""
        if self._user is not None and self._user() is user:
            self._user = None


#: rows are padded (with zero inner activations) to a multiple of this: the kernels of the GELU
#: and of the batched products (oneDNN) are built per shape, and building one costs several times
#: its run, while the rows computed vary from step to step (merged all-zero rows)
ROW_BUCKET = 64


class _FusedCausalImportance(torch.autograd.Function):
    """Inputs: a GateWorkspace or None, the number of matrices n, then n inner activations
    (rows, C_i), then the n matrices' w1, b1, w2 (C_i, d_gate) and b2 (C_i,). Outputs: the
    lower- and upper-leaky CI (rows, C_total), matrices side by side."""

    @staticmethod
    def forward(
        ctx: Any, workspace: GateWorkspace | None, n: int, *tensors: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # in the parameters' precision, also under autocast (the gradient of a lower-precision
        # inner activation is cast back to it)
        device_type = tensors[0].device.type
        if torch.amp.is_autocast_available(device_type) and torch.is_autocast_enabled(device_type):
            with torch.autocast(device_type, enabled=False):
                return _FusedCausalImportance._forward(ctx, workspace, n, tensors)
        return _FusedCausalImportance._forward(ctx, workspace, n, tensors)

    @staticmethod
    def _forward(
        ctx: Any, workspace: GateWorkspace | None, n: int, tensors: tuple[torch.Tensor, ...]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        inners, w1s, b1s, w2s, b2s = (tensors[i * n : (i + 1) * n] for i in range(5))
        rows = inners[0].shape[0]
        padded = -(-rows // ROW_BUCKET) * ROW_BUCKET
        w1, b1, w2, b2 = (torch.cat(p) for p in (w1s, b1s, w2s, b2s))
        # (C, padded): the inner activations transposed, zero rows appended
        x = F.pad(torch.cat([t.T for t in inners]).to(w1.dtype), (0, padded - rows))
        C, d_gate = w1.shape
        shape = (C, d_gate, padded)
        needs_grad = any(ctx.needs_input_grad[2:])
        gelu_slope: torch.Tensor | None
        if workspace is not None and needs_grad:
            hidden, gelu_slope = workspace.take(ctx, shape, x)
        else:
            hidden = torch.empty(shape, dtype=x.dtype, device=x.device)
            gelu_slope = torch.empty_like(hidden) if needs_grad else None
        torch.mul(x.unsqueeze(1), w1.unsqueeze(-1), out=hidden).add_(b1.unsqueeze(-1))
        if gelu_slope is not None:
            # GELU'(h) from the GELU's backward with an upstream gradient of ones
            gelu_slope.fill_(1.0)
            torch.ops.aten.gelu_backward.grad_input(gelu_slope, hidden, grad_input=gelu_slope)
        activation = torch.ops.aten.gelu.out(hidden, out=hidden)  # GELU(h), written over h
        pre_t = torch.baddbmm(b2.view(C, 1, 1), w2.unsqueeze(1), activation).view(C, padded)
        pre = pre_t[:, :rows].T.contiguous()
        if gelu_slope is not None:
            slope = torch.bmm((w1 * w2).unsqueeze(1), gelu_slope).view(C, padded)[:, :rows]
            ctx.save_for_backward(x, w2, gelu_slope, activation, slope, pre)
        ctx.workspace, ctx.sizes = workspace, [t.shape[1] for t in inners]
        return leaky_hard_sigmoid_values(pre)

    @staticmethod
    def backward(
        ctx: Any, grad_lower: torch.Tensor | None, grad_upper: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, ...]:
        x, w2, gelu_slope, activation, slope, pre = ctx.saved_tensors
        grad_pre = leaky_hard_sigmoid_grad(pre, grad_lower, grad_upper)
        G = F.pad(grad_pre.T, (0, x.shape[1] - grad_pre.shape[0]))  # (C, padded), zero-padded
        d_gate = w2.shape[1]
        # (C, k, rows) @ (C, rows, d_gate) with the blocks read transposed: rows-contiguous dot
        # products, measured ≈ 1.2–1.3× faster than the blocks on the left
        by_slope = torch.bmm(torch.stack([G * x, G], 1), gelu_slope.mT)  # (C, 2, d_gate)
        by_activation = torch.bmm(G.unsqueeze(1), activation.mT).view(-1, d_gate)
        if ctx.workspace is not None:
            ctx.workspace.release(ctx)
        sizes = ctx.sizes
        grad_x = grad_pre * slope.T
        return (
            None,
            None,
            *grad_x.split(sizes, 1),
            *(w2 * by_slope[:, 0]).split(sizes),
            *(w2 * by_slope[:, 1]).split(sizes),
            *by_activation.split(sizes),
            *G.sum(-1).split(sizes),
        )


def fused_causal_importance(
    inners: list[torch.Tensor],
    w1: list[torch.Tensor],
    b1: list[torch.Tensor],
    w2: list[torch.Tensor],
    b2: list[torch.Tensor],
    workspace: GateWorkspace | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Lower- and upper-leaky causal importances of several matrices' subcomponents in one fused
    pass: σ(Σ_k w2·GELU(x·w1 + b1) + b2) with σ the two leaky hard sigmoids (``sigmoids.py``).

    ``inners[i]`` (rows, C_i): matrix i's inner activations, the same rows for all;
    ``w1[i]``, ``b1[i]``, ``w2[i]`` (C_i, d_gate) with one d_gate for all; ``b2[i]`` (C_i,).
    ``workspace``: storage reused across calls (see GateWorkspace). Returns ``lower`` and
    ``upper``, each (rows, Σ C_i) with matrix i in columns [Σ_{j<i} C_j, Σ_{j≤i} C_j): the values
    and gradients of the plain formula up to float rounding.
    """
    return _FusedCausalImportance.apply(workspace, len(inners), *inners, *w1, *b1, *w2, *b2)
