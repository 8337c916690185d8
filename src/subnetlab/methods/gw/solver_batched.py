"""Our batched exact Gromov-Wasserstein solver: conditional gradient on many layer pairs.

Problem (square loss, uniform marginals, POT's convention without the ½ and the root), for
symmetric N×N matrices C1, C2 and couplings T with row and column sums 1/N::

    GW(T) = Σ_ijkl (C1_ik − C2_jl)² T_ij T_kl = mean(C1²) + mean(C2²) − 2 ⟨T, C1 T C2⟩

(the square-loss decomposition of Peyré, Cuturi & Solomon 2016, ICML, Prop. 1). The algorithm is
POT's ``gromov_wasserstein``: Frank-Wolfe with the closed-form line search (Vayer et al. 2019,
arXiv:1805.09114). From the same start and with POT's stopping rule it visits the same vertices
and ends at the same value (to ~1e-12 relative; only a tie in a linear step could part them).
Organised for speed:

* ``M(T) = C1 T C2`` (half the gradient) is linear in T and kept from one iteration to the next:
  ``M ← (1−α) M + α M(P/N)``. ``M(P/N) = C1 C2[σ] / N`` for the new vertex P = P(σ) is a rank-|S|
  update of the previous vertex's over the rows S where the two permutations differ (late
  vertices differ in a few rows), a full matmul only when |S| ≥ N/2. POT recomputes the gradient
  and the line search's ``C1 ΔT C2`` with four N×N matmuls per iteration.
* The line search needs no matmul: ``⟨T, M(P/N)⟩ = ⟨M(T), P/N⟩`` by symmetry and
  ``⟨P/N, M(P/N)⟩`` is a gather of C2 by σ. So a start that is abandoned (``stop_above``) after
  its first step from the product coupling costs no N×N product at all.
* The linear step is an assignment problem (``assignment.py``), solved on
  ``−M(T) + ‖C2[:, j]‖²/2N``: for T = P/N this is ``½‖x_i − y_j‖²/N`` less a row constant, x_i row
  i of C1 and y_j column j of P C2, so its optimal dual prices are near zero and SciPy's
  shortest-augmenting-path solver finds short paths (several times faster than on −M(T)).
* From the product start the first linear step is a sort (the gradient there has rank one).
* A pair stops when the step is zero, the objective's relative decrease drops below ``tol_rel``
  or its absolute decrease below ``tol_abs`` (POT's rule and defaults), after ``max_iter``
  iterations, or (optionally) once its value is above ``stop_above`` (a start already far behind
  the other start's result).

Pairs are batched for memory (``max_batch``) and share the per-layer data; their N×N work runs
one pair at a time, which at N in the hundreds or more costs no speed on a CPU core.
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
    tol_rel: float = 1e-9,
    tol_abs: float = 1e-9,
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
            ``tol_rel·value`` or ``tol_abs`` (POT's ``gromov_wasserstein`` rule and defaults).
        dtype: precision of the N×N products (float32 is about 2× faster on CPU; scalars, the
            line search and the linear step are always float64).
        max_batch: pairs solved together; None fits them into ``memory_gb``, counting six N×N
            arrays of ``dtype`` per pair (M(T), the last and the next vertex's products, and
            room for the linear step's float64 copies).
        stop_above: (B,) values; a pair whose objective is still above its entry after an
            iteration is abandoned (``abandoned`` in the result). Used to drop a start that is
            already far behind the other start's result; None runs every pair to convergence.
        on_pairs_done: called with the number of pairs that finished (converged, abandoned or
            out of iterations) after each iteration, for progress reports; B in all.

    Raises:
        ValueError: bad shapes, indices, ``init`` or settings, or distances that are not
            finite and symmetric (within 1e-10).
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
    layers = _Layers.of(distances, dtype)
    parts = []
    for start in range(0, pairs.shape[0], max_batch):
        chunk = slice(start, start + max_batch)
        threshold = None if stop_above is None else stop_above[chunk].double()
        parts.append(
            _solve_chunk(
                layers,
                pairs[chunk],
                init,
                max_iter,
                tol_rel,
                tol_abs,
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


def _pad_vertices(vertices: torch.Tensor, width: int) -> torch.Tensor:
    missing = width - vertices.shape[1]
    if missing == 0:
        return vertices
    fill = vertices[:, :1].expand(-1, missing, -1)
    return torch.cat([vertices, fill], dim=1)


@dataclass
class _Layers:
    """What every pair needs of its two layers, computed once per call."""

    matrices: torch.Tensor  # (L, N, N) ``dtype``, symmetrised
    square_means: torch.Tensor  # (L,) float64, mean(C²)
    row_sums: torch.Tensor  # (L, N) float64, C 1 (= 1ᵀ C)
    profile_norms: torch.Tensor  # (L, N) float64, ‖C[:, j]‖² / 2N

    @classmethod
    def of(cls, distances: torch.Tensor, dtype: torch.dtype) -> _Layers:
        """Raises ValueError unless ``distances`` are finite and symmetric within 1e-10."""
        exact = distances.double()
        asymmetry = float((exact - exact.transpose(1, 2)).abs().amax())
        if not asymmetry <= 1e-10:  # also catches NaN
            raise ValueError(
                f"distances must be finite symmetric matrices (max |C − Cᵀ| = {asymmetry:.3g})"
            )
        # exactly symmetric matrices make ⟨T, C1 P C2⟩ = ⟨C1 T C2, P⟩ (line search) exact
        symmetric = exact if asymmetry == 0.0 else 0.5 * (exact + exact.transpose(1, 2))
        squares = symmetric.pow(2)
        return cls(
            matrices=symmetric.to(dtype),
            square_means=squares.mean(dim=(1, 2)),
            row_sums=symmetric.sum(dim=2),
            profile_norms=squares.sum(dim=1) / (2 * distances.shape[-1]),
        )


def _diag_mean(matrix: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """⟨P(perm)/N, matrix⟩: (N, N), (N,) -> () float64."""
    return matrix.gather(1, perm.unsqueeze(1)).double().mean()


def _vertex_quad(c1: torch.Tensor, c2: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """⟨P/N, C1 (P/N) C2⟩ = Σ_ik C1_ik C2_σ(i)σ(k) / N² for P = P(σ), without a matmul."""
    permuted = c2.index_select(0, perm).index_select(1, perm)
    return torch.dot(c1.reshape(-1), permuted.reshape(-1)).double() / perm.numel() ** 2


def _updated_vertex_product(
    c1: torch.Tensor,
    c2: torch.Tensor,
    perm: torch.Tensor,
    known: tuple[torch.Tensor, torch.Tensor] | None,
) -> torch.Tensor | None:
    """C1 P/N C2 for P = P(perm) from ``known`` = (perm', C1 P(perm')/N C2), or None.

    C1 (P − P') C2 / N = C1[:, S] (C2[perm(S)] − C2[perm'(S)]) / N over the rows S where the
    permutations differ: a rank-|S| update, worth it below |S| = N/2. Late Frank-Wolfe vertices
    differ from the previous one in a few rows. None where there is no ``known`` or S is larger.
    """
    if known is None:
        return None
    known_perm, known_product = known
    rows = (perm != known_perm).nonzero().squeeze(1)
    if rows.numel() == 0:
        return known_product
    if rows.numel() >= perm.numel() // 2:
        return None
    change = c2.index_select(0, perm[rows]) - c2.index_select(0, known_perm[rows])
    return torch.addmm(known_product, c1.index_select(1, rows), change, alpha=1.0 / perm.numel())


def _vertex_product(c1: torch.Tensor, c2: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """C1 P/N C2 for P = P(perm): row i of P C2 is row perm(i) of C2. -> (N, N)."""
    return torch.mm(c1, c2.index_select(0, perm)).div_(perm.numel())


def _solve_chunk(
    layers: _Layers,
    pairs: torch.Tensor,
    init: Init,
    max_iter: int,
    tol_rel: float,
    tol_abs: float,
    stop_above: torch.Tensor | None,
    on_pairs_done: Callable[[int], None] | None = None,
) -> BatchedGWResult:
    c, device = layers.matrices, layers.matrices.device
    n_pairs, n = pairs.shape[0], c.shape[-1]
    left, right = pairs[:, 0].to(device), pairs[:, 1].to(device)
    first, second = pairs[:, 0].tolist(), pairs[:, 1].tolist()  # per-pair layer indices
    const = layers.square_means[left] + layers.square_means[right]  # (B,) float64
    row_sums = layers.row_sums

    identity = torch.arange(n, device=device).expand(n_pairs, n)
    zeros = torch.zeros(n_pairs, dtype=torch.float64, device=device)
    # per pair: M(T) = C1 T C2 (None while T is the product coupling, M rank one) and the last
    # vertex multiplied out, (perm, C1 P/N C2), for rank-|S| updates of the next one
    grads: list[torch.Tensor | None] = [None] * n_pairs
    known: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * n_pairs
    if init == "identity":
        quads = []  # ⟨T, M(T)⟩, T = I/N
        for b in range(n_pairs):
            start = torch.mm(c[first[b]], c[second[b]]).div_(n)
            grads[b], known[b] = start, (identity[b], start)
            quads.append(_diag_mean(start, identity[b]))
        quad = torch.stack(quads)
        product_weight = zeros.clone()
        vertices, weights = [identity], [torch.ones_like(zeros)]
    else:
        quad = row_sums[left].sum(dim=1) * row_sums[right].sum(dim=1) / n**4
        product_weight = torch.ones_like(zeros)
        vertices, weights = [], []
    value = const - 2.0 * quad
    active = torch.ones(n_pairs, dtype=torch.bool, device=device)
    n_iter = torch.zeros(n_pairs, dtype=torch.long, device=device)
    abandoned = torch.zeros(n_pairs, dtype=torch.bool, device=device)
    threshold = None if stop_above is None else stop_above.to(device)

    for step in range(max_iter):
        act = active.nonzero(as_tuple=True)[0]
        if act.numel() == 0:
            break
        live = act.tolist()
        if step == 0 and init == "product":  # M(11ᵀ/N²) = r1 r2ᵀ/N² has rank one: a sort
            r1, r2 = row_sums[left[act]], row_sums[right[act]]
            new_perm = rank_one_max_assignment(r1, r2)
            lin = (r1 * r2.gather(1, new_perm)).sum(dim=1) / n**3  # ⟨P/N, M(T)⟩
        else:
            new_perm = torch.cat(
                [
                    min_cost_assignments(
                        torch.sub(layers.profile_norms[second[b]], grads[b]).unsqueeze(0)
                    )
                    for b in live
                ]
            )
            lin = torch.stack(
                [_diag_mean(grads[b], p) for b, p in zip(live, new_perm, strict=True)]
            )
        # C1 P/N C2 now where it is a cheap update of a known vertex's (its diagonal gives
        # ⟨P/N, M(P/N)⟩), else after the line search and only for the pairs that go on
        products = [
            _updated_vertex_product(c[first[b]], c[second[b]], p, known[b])
            for b, p in zip(live, new_perm, strict=True)
        ]
        vertex_quad = torch.stack(
            [
                _vertex_quad(c[first[b]], c[second[b]], p)
                if product is None
                else _diag_mean(product, p)
                for b, p, product in zip(live, new_perm, products, strict=True)
            ]
        )
        q = quad[act]
        # GW(T + α(P/N − T)) = const − 2(q + 2α·gap + α²·bend), with ⟨T, M(P/N)⟩ = lin
        gap = lin - q
        bend = vertex_quad - 2.0 * lin + q
        alpha = _line_search(-2.0 * bend, -4.0 * gap)
        new_quad = q + 2.0 * alpha * gap + alpha**2 * bend
        new_value = const[act] - 2.0 * new_quad
        decrease = value[act] - new_value

        perm = identity.clone()
        perm[act] = new_perm
        full_alpha = zeros.clone()
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
        for b, p, product, step_size, finished in zip(
            live, new_perm, products, alpha.tolist(), done.tolist(), strict=True
        ):
            if finished:
                grads[b] = known[b] = None  # free its N×N arrays
                continue
            if product is None:
                product = _vertex_product(c[first[b]], c[second[b]], p)
            known[b] = (p, product)
            grad = grads[b]
            if grad is None:  # the product coupling's rank-one M(T), needed from now on
                grad = torch.outer(row_sums[first[b]], row_sums[second[b]]).div_(n**2).to(c.dtype)
            grads[b] = product if step_size == 1.0 else torch.lerp(grad, product, step_size)
        if on_pairs_done is not None:
            on_pairs_done(int(done.sum()))
    if on_pairs_done is not None:  # pairs stopped by max_iter
        on_pairs_done(int(active.sum()))

    if not vertices:
        vertices, weights = [identity], [zeros]
    return BatchedGWResult(
        value=value.clamp_min(0.0).cpu(),
        n_iter=n_iter.cpu(),
        abandoned=abandoned.cpu(),
        product_weight=product_weight.cpu(),
        vertices=torch.stack(vertices, dim=1).cpu(),
        vertex_weights=torch.stack(weights, dim=1).cpu(),
    )


def _line_search(curvature: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """argmin over α in [0, 1] of curvature·α² + slope·α (POT's closed-form rule)."""
    convex = curvature > 0
    interior = (-slope / (2.0 * curvature.where(convex, torch.ones_like(curvature)))).clamp(
        0.0, 1.0
    )
    endpoint = torch.where(curvature + slope < 0, torch.ones_like(slope), torch.zeros_like(slope))
    return torch.where(convex, interior, endpoint)
