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
from typing import Any

import torch


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
        self._storage: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._ones = 0  # leading elements of the third block already set to 1
        self._user: weakref.ref[Any] | None = None

    def take(
        self, user: Any, shape: tuple[int, ...], like: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Two blocks of ``shape`` to write into and a third one of ones, for ``user`` (the
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
            fresh = tuple(torch.empty(size, dtype=like.dtype, device=like.device) for _ in range(3))
            fresh[2].fill_(1.0)
            if taken:
                return tuple(t[:numel].view(shape) for t in fresh)  # type: ignore[return-value]
            self._storage, self._ones = fresh, size  # type: ignore[assignment]
            storage = self._storage
        assert storage is not None
        self._user = weakref.ref(user)
        return tuple(t[:numel].view(shape) for t in storage)  # type: ignore[return-value]

    def release(self, user: Any) -> None:
        """``user``'s backward has run: its blocks may be reused."""
        if self._user is not None and self._user() is user:
            self._user = None


class _ScalarGateMLPs(torch.autograd.Function):
    """Inputs: a GateWorkspace or None, the number of matrices n, then n inner activations
    (rows..., C_i) with the same leading shape, then the n matrices' w1, b1, w2 (C_i, d_gate) and
    b2 (C_i,). Outputs: the n pre-activations (rows..., C_i)."""

    @staticmethod
    def forward(
        ctx: Any, workspace: GateWorkspace | None, n: int, *tensors: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        inners, w1s, b1s, w2s, b2s = (tensors[i * n : (i + 1) * n] for i in range(5))
        lead = inners[0].shape[:-1]
        sizes = [t.shape[-1] for t in inners]
        x = torch.cat([t.reshape(-1, c).T for t, c in zip(inners, sizes, strict=True)])
        w1, b1, w2, b2 = (torch.cat(p) for p in (w1s, b1s, w2s, b2s))
        C, d_gate = w1.shape
        rows = x.shape[1]
        shape = (C, d_gate, rows)
        needs_grad = any(ctx.needs_input_grad[2:])
        if workspace is not None and needs_grad:
            hidden, activation, ones = workspace.take(ctx, shape, x)
        else:
            hidden, activation = torch.empty(shape, dtype=x.dtype, device=x.device), None
            ones = None
        torch.mul(x.unsqueeze(1), w1.unsqueeze(-1), out=hidden).add_(b1.unsqueeze(-1))
        if activation is None:
            activation = torch.empty_like(hidden)
        torch.ops.aten.gelu.out(hidden, out=activation)
        pre = torch.baddbmm(b2.view(C, 1, 1), w2.unsqueeze(1), activation).view(C, rows)
        if needs_grad:
            if ones is None:
                ones = torch.ones_like(hidden)
            # GELU'(h) over h, in place
            torch.ops.aten.gelu_backward.grad_input(ones, hidden, grad_input=hidden)
            slope = torch.bmm((w1 * w2).unsqueeze(1), hidden).view(C, rows)
            ctx.save_for_backward(x, w2, hidden, activation, slope)
        ctx.workspace, ctx.lead, ctx.sizes = workspace, lead, sizes
        out = pre.T.contiguous()
        return tuple(p.reshape(*lead, c) for p, c in zip(out.split(sizes, 1), sizes, strict=True))

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
        x, w2, gelu_slope, activation, slope = ctx.saved_tensors
        sizes, lead = ctx.sizes, ctx.lead
        rows = x.shape[1]
        G = torch.cat(
            [
                x.new_zeros(c, rows) if g is None else g.reshape(-1, c).T
                for g, c in zip(grads, sizes, strict=True)
            ]
        )  # (C, rows)
        d_gate = w2.shape[1]
        by_slope = torch.bmm(gelu_slope, torch.stack([G * x, G], 1).mT)  # (C, d_gate, 2)
        by_activation = torch.bmm(activation, G.unsqueeze(-1)).view(-1, d_gate)
        if ctx.workspace is not None:
            ctx.workspace.release(ctx)
        grad_w1 = w2 * by_slope[..., 0]
        grad_b1 = w2 * by_slope[..., 1]
        grad_b2 = G.sum(-1)
        grad_x = (G * slope).T
        grad_inners = [
            g.reshape(*lead, c) for g, c in zip(grad_x.split(sizes, 1), sizes, strict=True)
        ]
        return (
            None,
            None,
            *grad_inners,
            *grad_w1.split(sizes),
            *grad_b1.split(sizes),
            *by_activation.split(sizes),
            *grad_b2.split(sizes),
        )


def scalar_gate_mlps(
    inners: list[torch.Tensor],
    w1: list[torch.Tensor],
    b1: list[torch.Tensor],
    w2: list[torch.Tensor],
    b2: list[torch.Tensor],
    workspace: GateWorkspace | None = None,
) -> list[torch.Tensor]:
    """Pre-activations of the scalar gate MLPs of several matrices in one fused pass.

    ``inners[i]`` (rows..., C_i): matrix i's inner activations, every matrix with the same
    leading shape; ``w1[i]``, ``b1[i]``, ``w2[i]`` (C_i, d_gate) with one d_gate for all;
    ``b2[i]`` (C_i,). ``workspace``: storage reused across calls (see GateWorkspace). Returns the
    pre-activations (rows..., C_i): Σ_k w2·GELU(x·w1 + b1) + b2, the values and gradients of the
    plain formula up to float rounding.
    """
    return list(_ScalarGateMLPs.apply(workspace, len(inners), *inners, *w1, *b1, *w2, *b2))
