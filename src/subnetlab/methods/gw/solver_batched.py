"""Our batched exact Gromov-Wasserstein solver: conditional gradient on many layer pairs at once.

Problem (square loss, uniform marginals, POT's convention without the ½ and the root), for
symmetric N×N matrices C1, C2 and couplings T with row and column sums 1/N::

    GW(T) = Σ_ijkl (C1_ik − C2_jl)² T_ij T_kl = mean(C1²) + mean(C2²) − 2 ⟨T, C1 T C2⟩.

Frank-Wolfe with exact line search, as POT's ``gromov_wasserstein``, but organised for speed:

* ``M(T) = C1 T C2`` is linear in T, so it is updated as ``(1−α) M(T) + α M(P/N)``: one matmul
  per iteration (``C1 @ C2[σ]``, σ the new vertex) where POT spends at least four.
* The coupling is kept as a convex combination of the start and the visited permutations, so
  every inner product the line search needs is a gather, never a dense N×N product.
* The matmuls of all active pairs run as one ``bmm`` (CPU or CUDA, float32 or float64).
* The linear step (an assignment problem, ``assignment.py``) first tries to certify the current
  vertex optimal by a batched Bellman-Ford check, which settles the steps where it already is
  (often the identity, for similar layers sharing their inputs). Only uncertified pairs go to
  SciPy's assignment solver on the CPU.
* From the product start the first linear step is a sort (the gradient there has rank one).
* A pair stops when the step is zero, the objective's relative decrease drops below ``tol_rel``
  or its absolute decrease below ``tol_abs``, after ``max_iter`` iterations, or (optionally) once
  its value is above ``stop_above`` (a start already far behind the other start's result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch

from subnetlab.methods.gw.assignment import min_cost_assignments, rank_one_max_assignment

Init = Literal["identity", "product"]


@dataclass
class BatchedGWResult:
    """Outcome for B pairs. The coupling of pair b is
    ``product_weight[b] / N² · 11ᵀ + Σ_k vertex_weights[b, k] / N · P(vertices[b, k])``."""

    value: torch.Tensor  # (B,) float64, GW loss at the final coupling
    n_iter: torch.Tensor  # (B,) long, Frank-Wolfe iterations taken
    abandoned: torch.Tensor  # (B,) bool, stopped early by ``stop_above``
    product_weight: torch.Tensor  # (B,) float64
    vertices: torch.Tensor  # (B, K, N) long, permutations (row i -> column vertices[b, k, i])
    vertex_weights: torch.Tensor  # (B, K) float64

    def coupling(self, b: int) -> torch.Tensor:
        """Dense (N, N) float64 coupling of pair ``b``."""
        n = self.vertices.shape[-1]
        plan = torch.full((n, n), float(self.product_weight[b]) / n**2, dtype=torch.float64)
        rows = torch.arange(n)
        for k in range(self.vertices.shape[1]):
            plan[rows, self.vertices[b, k].cpu()] += float(self.vertex_weights[b, k]) / n
        return plan


def batched_gromov_wasserstein(
    distances: torch.Tensor,
    pairs: torch.Tensor,
    init: Init = "identity",
    max_iter: int = 100,
    tol_rel: float = 1e-6,
    tol_abs: float = 1e-12,
    dtype: torch.dtype = torch.float64,
    max_batch: int | None = None,
    memory_gb: float = 2.0,
    stop_above: torch.Tensor | None = None,
    on_pairs_done: Callable[[int], None] | None = None,
) -> BatchedGWResult:
    """Exact (conditional-gradient) GW for every pair ``(a, b)`` of rows of ``pairs``.

    Args:
        distances: (L, N, N) symmetric intra-layer matrices, normalised; device sets where the
            matmuls run.
        pairs: (B, 2) long indices into ``distances``.
        init: start from the identity coupling I/N or the product coupling 11ᵀ/N².
        max_iter: Frank-Wolfe iterations at most per pair.
        tol_rel, tol_abs: stop a pair once an iteration lowers its objective by less than
            ``tol_rel·value`` or ``tol_abs``.
        dtype: precision of the N×N products (float32 is about 3× faster on CPU; scalars and the
            line search are always float64).
        max_batch: pairs solved together; None fits them into ``memory_gb`` (each pair holds
            about six N×N arrays of ``dtype`` at its peak).
        stop_above: (B,) values; a pair whose objective is still above its entry after an
            iteration is abandoned (``abandoned`` in the result). Used to drop a start that is
            already far behind the other start's result; None runs every pair to convergence.
        on_pairs_done: called with the number of pairs that finished (converged, abandoned or
            out of iterations) after each iteration, for progress reports; B in all.
    """
    _check_inputs(distances, pairs, init, max_iter, tol_rel, tol_abs, max_batch)
    pairs = pairs.to(torch.long)
    if max_batch is None:
        per_pair = 6 * distances.shape[-1] ** 2 * torch.empty(0, dtype=dtype).element_size()
        max_batch = max(1, int(memory_gb * 2**30 // per_pair))
    if stop_above is not None and stop_above.shape != (pairs.shape[0],):
        raise ValueError(
            f"stop_above must have shape ({pairs.shape[0]},); got {tuple(stop_above.shape)}"
        )
    parts = []
    for start in range(0, pairs.shape[0], max_batch):
        chunk = slice(start, start + max_batch)
        threshold = None if stop_above is None else stop_above[chunk].double()
        parts.append(
            _solve_chunk(
                distances,
                pairs[chunk],
                init,
                max_iter,
                tol_rel,
                tol_abs,
                dtype,
                threshold,
                on_pairs_done,
            )
        )
    width = max(part.vertices.shape[1] for part in parts)
    return BatchedGWResult(
        value=torch.cat([part.value for part in parts]),
        n_iter=torch.cat([part.n_iter for part in parts]),
        abandoned=torch.cat([part.abandoned for part in parts]),
        product_weight=torch.cat([part.product_weight for part in parts]),
        vertices=torch.cat([_pad_vertices(part.vertices, width) for part in parts]),
        vertex_weights=torch.cat(
            [
                torch.nn.functional.pad(
                    part.vertex_weights, (0, width - part.vertex_weights.shape[1])
                )
                for part in parts
            ]
        ),
    )


def _check_inputs(
    distances: torch.Tensor,
    pairs: torch.Tensor,
    init: str,
    max_iter: int,
    tol_rel: float,
    tol_abs: float,
    max_batch: int | None,
) -> None:
    if distances.dim() != 3 or distances.shape[1] != distances.shape[2]:
        raise ValueError(f"distances must have shape (L, N, N); got {tuple(distances.shape)}")
    if pairs.dim() != 2 or pairs.shape[1] != 2 or pairs.shape[0] == 0:
        raise ValueError(f"pairs must have shape (B, 2) with B >= 1; got {tuple(pairs.shape)}")
    if int(pairs.min()) < 0 or int(pairs.max()) >= distances.shape[0]:
        raise ValueError(f"pairs must index 0..{distances.shape[0] - 1}; got {pairs.tolist()}")
    if init not in ("identity", "product"):
        raise ValueError(f"init={init!r} is not supported; allowed: 'identity', 'product'")
    if max_iter < 1 or (max_batch is not None and max_batch < 1) or tol_rel < 0 or tol_abs < 0:
        raise ValueError(
            f"need max_iter >= 1, max_batch >= 1, tol_rel >= 0, tol_abs >= 0; got {max_iter}, "
            f"{max_batch}, {tol_rel}, {tol_abs}"
        )
    asymmetry = float((distances - distances.transpose(1, 2)).abs().amax())
    if not asymmetry <= 1e-10:  # also catches NaN
        raise ValueError(
            f"distances must be finite symmetric matrices (max |C − Cᵀ| = {asymmetry:.3g})"
        )


def _pad_vertices(vertices: torch.Tensor, width: int) -> torch.Tensor:
    missing = width - vertices.shape[1]
    if missing == 0:
        return vertices
    fill = vertices[:, :1].expand(-1, missing, -1)
    return torch.cat([vertices, fill], dim=1)


def _diag_mean(matrix: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """⟨P(perm)/N, matrix⟩ for a batch: (B, N, N), (B, N) -> (B,) float64."""
    picked = matrix.gather(2, perm.unsqueeze(2)).squeeze(2)
    return picked.double().mean(dim=1)


def _coupling_dot(
    matrix: torch.Tensor,
    product_weight: torch.Tensor,
    vertices: list[torch.Tensor],
    weights: list[torch.Tensor],
) -> torch.Tensor:
    """⟨T, matrix⟩ for T = product part + Σ weighted permutations: (B, N, N) -> (B,) float64."""
    n = matrix.shape[-1]
    total = product_weight * matrix.double().sum(dim=(1, 2)) / n**2
    for perm, weight in zip(vertices, weights, strict=True):
        total = total + weight * _diag_mean(matrix, perm)
    return total


def _solve_chunk(
    distances: torch.Tensor,
    pairs: torch.Tensor,
    init: Init,
    max_iter: int,
    tol_rel: float,
    tol_abs: float,
    dtype: torch.dtype,
    stop_above: torch.Tensor | None,
    on_pairs_done: Callable[[int], None] | None = None,
) -> BatchedGWResult:
    device = distances.device
    n_pairs, n = pairs.shape[0], distances.shape[-1]
    layers = distances.to(dtype)
    left_idx, right_idx = pairs[:, 0].to(device), pairs[:, 1].to(device)
    square_means = distances.double().pow(2).mean(dim=(1, 2))
    const = square_means[left_idx] + square_means[right_idx]  # (B,) float64

    identity = torch.arange(n, device=device).expand(n_pairs, n)
    if init == "identity":
        grad_part = torch.bmm(layers[left_idx], layers[right_idx]) / n  # M(T) = C1 T C2, T = I/N
        product_weight = torch.zeros(n_pairs, dtype=torch.float64, device=device)
        vertices, weights = [identity], [torch.ones(n_pairs, dtype=torch.float64, device=device)]
    else:
        row_sums = layers.sum(dim=2)  # C 1, also the column sums by symmetry
        grad_part = row_sums[left_idx].unsqueeze(2) * row_sums[right_idx].unsqueeze(1) / n**2
        product_weight = torch.ones(n_pairs, dtype=torch.float64, device=device)
        vertices, weights = [], []
    quad = _coupling_dot(grad_part, product_weight, vertices, weights)  # ⟨T, M(T)⟩
    value = const - 2.0 * quad
    active = torch.ones(n_pairs, dtype=torch.bool, device=device)
    n_iter = torch.zeros(n_pairs, dtype=torch.long, device=device)
    abandoned = torch.zeros(n_pairs, dtype=torch.bool, device=device)
    threshold = None if stop_above is None else stop_above.to(device)

    for step in range(max_iter):
        act = active.nonzero(as_tuple=True)[0]
        if act.numel() == 0:
            break
        if step == 0 and init == "product":
            # M(11ᵀ/N²) is rank one, so the linear step is a sort
            sums = layers.sum(dim=2)
            new_perm = rank_one_max_assignment(sums[left_idx[act]], sums[right_idx[act]])
        else:
            new_perm = min_cost_assignments(-grad_part[act], candidate=vertices[-1][act])
        perm = identity.clone()
        perm[act] = new_perm
        lin = _diag_mean(grad_part[act], new_perm)  # ⟨P/N, M(T)⟩
        vertex_part = (
            torch.bmm(layers[left_idx[act]], _gather_rows(layers, right_idx[act], new_perm)) / n
        )
        vertex_quad = _diag_mean(vertex_part, new_perm)  # ⟨P/N, M(P/N)⟩
        cross = _coupling_dot(
            vertex_part, product_weight[act], [v[act] for v in vertices], [w[act] for w in weights]
        )  # ⟨T, M(P/N)⟩
        q = quad[act]
        slope = -4.0 * (lin - q)  # d/dα of GW(T + α(P/N − T)) at 0
        curvature = -2.0 * (vertex_quad - 2.0 * cross + q)  # coefficient of α²
        alpha = _line_search(curvature, slope)
        new_quad = q + 2.0 * alpha * (lin - q) + alpha**2 * (vertex_quad - 2.0 * cross + q)
        new_value = const[act] - 2.0 * new_quad
        decrease = value[act] - new_value

        a = alpha.to(dtype).view(-1, 1, 1)
        grad_part[act] = (1.0 - a) * grad_part[act] + a * vertex_part
        full_alpha = torch.zeros(n_pairs, dtype=torch.float64, device=device)
        full_alpha[act] = alpha
        product_weight = product_weight * (1.0 - full_alpha)
        weights = [w * (1.0 - full_alpha) for w in weights] + [full_alpha]
        vertices.append(perm)
        quad[act] = new_quad
        value[act] = new_value
        n_iter[act] += 1

        done = (alpha <= 0.0) | (decrease < tol_rel * new_value.abs()) | (decrease < tol_abs)
        if threshold is not None:
            behind = new_value > threshold[act]
            abandoned[act[behind & ~done]] = True
            done = done | behind
        active[act[done]] = False
        if on_pairs_done is not None:
            on_pairs_done(int(done.sum()))
    if on_pairs_done is not None:  # pairs stopped by max_iter
        on_pairs_done(int(active.sum()))

    # recompute from M(T) rather than trusting the accumulated scalar recursion
    quad = _coupling_dot(grad_part, product_weight, vertices, weights)
    value = (const - 2.0 * quad).clamp_min(0.0)
    if not vertices:
        vertices, weights = [identity], [torch.zeros(n_pairs, dtype=torch.float64, device=device)]
    return BatchedGWResult(
        value=value.cpu(),
        n_iter=n_iter.cpu(),
        abandoned=abandoned.cpu(),
        product_weight=product_weight.cpu(),
        vertices=torch.stack(vertices, dim=1).cpu(),
        vertex_weights=torch.stack(weights, dim=1).cpu(),
    )


def _gather_rows(layers: torch.Tensor, layer_idx: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """P C for P_{i,perm(i)} = 1: row i of the result is row perm(i) of C. -> (B, N, N)."""
    return layers[layer_idx.unsqueeze(1), perm]


def _line_search(curvature: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """argmin over α in [0, 1] of curvature·α² + slope·α (POT's closed-form rule)."""
    convex = curvature > 0
    interior = (-slope / (2.0 * curvature.where(convex, torch.ones_like(curvature)))).clamp(
        0.0, 1.0
    )
    endpoint = torch.where(curvature + slope < 0, torch.ones_like(slope), torch.zeros_like(slope))
    return torch.where(convex, interior, endpoint)
