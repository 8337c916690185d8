"""L×L layer matrices: GW by any solver from two starts, and the CKA / Procrustes baselines."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from subnetlab.methods.gw.distances import check_distance_matrices
from subnetlab.methods.gw.similarity import debiased_cka, linear_cka, procrustes_distance
from subnetlab.methods.gw.solver_batched import batched_gromov_wasserstein
from subnetlab.methods.gw.solver_pot import Init, entropic_gw, pot_exact_gw
from subnetlab.utils.progress import Progress

Solver = Literal["pot_exact", "entropic", "batched"]
SOLVERS = ("pot_exact", "entropic", "batched")


@dataclass
class LayerGW:
    """GW between every pair of layers; symmetric matrices with a zero diagonal."""

    gw: np.ndarray  # (L, L) smaller value of the two starts (never above identity_loss)
    identity_loss: np.ndarray  # (L, L) loss of the identity coupling I/N
    from_product: np.ndarray  # (L, L) bool, the product start gave the kept value
    product_value: np.ndarray  # (L, L) value reached from the product start
    product_abandoned: np.ndarray  # (L, L) bool, batched only: dropped by prune_ratio
    solver: str
    time_s: float


def identity_losses(distances: torch.Tensor) -> np.ndarray:
    """(L, L) mean((C_a − C_b)²): the GW loss of the identity coupling for every pair.

    Raises:
        ValueError: ``distances`` is not (L, N, N) finite and symmetric.
    """
    check_distance_matrices(distances)
    flat = distances.double().reshape(distances.shape[0], -1)
    # differences, not mean(C_a²) + mean(C_b²) − 2 mean(C_a C_b): for similar layers that
    # cancellation costs ~1e-9 relative, more than the GW solvers differ by
    loss = torch.cdist(flat, flat, compute_mode="donot_use_mm_for_euclid_dist").pow(2)
    loss = loss / flat.shape[1]
    loss.fill_diagonal_(0.0)
    return loss.cpu().numpy()


def layer_pairs(n_layers: int) -> torch.Tensor:
    """(L(L−1)/2, 2) long, every i < j."""
    return torch.combinations(torch.arange(n_layers), r=2)


def gw_layer_matrix(
    distances: torch.Tensor,
    solver: Solver = "batched",
    epsilon: float = 0.01,
    dtype: torch.dtype = torch.float64,
    prune_ratio: float | None = 2.0,
    tol_rel: float = 1e-9,
    tol_abs: float = 1e-9,
    max_iter: int = 100,
) -> LayerGW:
    """GW for all pairs of the (L, N, N) normalised distance matrices, from the product and the
    identity couplings, keeping the smaller value.

    Args:
        solver: 'pot_exact' (POT conditional gradient, the reference), 'entropic' (POT, absolute
            ``epsilon``) or 'batched' (ours; runs where ``distances`` lives, CPU or CUDA).
        dtype, tol_rel, tol_abs, max_iter: batched solver only (POT runs at its own float64
            defaults, which the tolerances' defaults equal: both solvers then reach the same
            values, within 1e-9 relative in float64).
        prune_ratio: batched only. The identity start runs first; a pair's product start is then
            abandoned as soon as its value is above ``prune_ratio`` × the identity start's value.
            None runs both starts to convergence.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver={solver!r} is not supported; allowed: {list(SOLVERS)}")
    if prune_ratio is not None and not prune_ratio >= 1.0:  # also NaN
        raise ValueError(f"prune_ratio must be >= 1 or None; got {prune_ratio}")
    identity = identity_losses(distances)  # also checks the matrices, before any solve
    if distances.shape[0] < 2:
        raise ValueError(f"need at least 2 layers to compare; got {distances.shape[0]}")
    n_layers = distances.shape[0]
    pairs = layer_pairs(n_layers)
    started = time.perf_counter()
    abandoned = np.zeros(pairs.shape[0], dtype=bool)
    description = f"GW between {n_layers} layers ({solver}, identity and product starts)"
    # the batched solver's pairs converge at very different iterations: no ETA from its rate
    eta = solver != "batched"
    with Progress(description, 2 * pairs.shape[0], unit="pair", eta=eta) as progress:
        if solver == "batched":
            from_identity = batched_gromov_wasserstein(
                distances,
                pairs,
                "identity",
                max_iter=max_iter,
                tol_rel=tol_rel,
                tol_abs=tol_abs,
                dtype=dtype,
                on_pairs_done=progress.update,
            )
            stop_above = None if prune_ratio is None else prune_ratio * from_identity.value
            from_product = batched_gromov_wasserstein(
                distances,
                pairs,
                "product",
                max_iter=max_iter,
                tol_rel=tol_rel,
                tol_abs=tol_abs,
                dtype=dtype,
                stop_above=stop_above,
                on_pairs_done=progress.update,
            )
            identity_run = from_identity.value.numpy()
            product_run = from_product.value.numpy()
            abandoned = from_product.abandoned.numpy()
        else:
            cpu = distances.detach().cpu().double()
            identity_run = np.empty(pairs.shape[0])
            product_run = np.empty(pairs.shape[0])
            starts: tuple[tuple[Init, np.ndarray], ...] = (
                ("identity", identity_run),
                ("product", product_run),
            )
            for row, (a, b) in enumerate(pairs.tolist()):
                for init, out in starts:
                    if solver == "pot_exact":
                        out[row], _ = pot_exact_gw(cpu[a], cpu[b], init=init)
                    else:
                        out[row], _ = entropic_gw(cpu[a], cpu[b], epsilon=epsilon, init=init)
                    progress.update()
    elapsed = time.perf_counter() - started
    ii, jj = pairs[:, 0].numpy(), pairs[:, 1].numpy()
    # the identity coupling is itself a start, so the kept value never exceeds its loss
    kept = np.minimum(np.minimum(identity_run, product_run), identity[ii, jj])
    return LayerGW(
        gw=_symmetric(n_layers, ii, jj, kept),
        identity_loss=identity,
        from_product=_symmetric(
            n_layers, ii, jj, product_run < np.minimum(identity_run, identity[ii, jj])
        ),
        product_value=_symmetric(n_layers, ii, jj, product_run),
        product_abandoned=_symmetric(n_layers, ii, jj, abandoned),
        solver=solver,
        time_s=elapsed,
    )


def _symmetric(n: int, ii: np.ndarray, jj: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros((n, n), dtype=values.dtype)
    out[ii, jj] = values
    out[jj, ii] = values
    return out


def similarity_layer_matrices(representations: list[torch.Tensor]) -> dict[str, np.ndarray]:
    """(L, L) baselines on the raw activations: 'linear_cka', 'debiased_cka' (similarities, 1 on
    the diagonal) and 'procrustes' (a distance, 0 on the diagonal)."""
    n_layers = len(representations)
    out = {
        "linear_cka": np.eye(n_layers),
        "debiased_cka": np.eye(n_layers),
        "procrustes": np.zeros((n_layers, n_layers)),
    }
    pairs = layer_pairs(n_layers).tolist()
    description = f"CKA and Procrustes between {n_layers} layers"
    with Progress(description, len(pairs), unit="pair", announce=False) as progress:
        for a, b in pairs:
            x, y = representations[a], representations[b]
            for name, fn in (
                ("linear_cka", linear_cka),
                ("debiased_cka", debiased_cka),
                ("procrustes", procrustes_distance),
            ):
                out[name][a, b] = out[name][b, a] = fn(x, y)
            progress.update()
    return out
