"""Reference GW solvers through POT: exact conditional gradient and entropic, one pair at a time.

Values follow POT's convention: Σ_ijkl (C1_ik − C2_jl)² T_ij T_kl, without Mémoli's ½ and root.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import ot
import torch

from subnetlab.methods.gw.distances import SYMMETRY_RTOL

Init = Literal["identity", "product"]


def _as_numpy(matrix: torch.Tensor | np.ndarray) -> np.ndarray:
    array = matrix.detach().cpu().numpy() if isinstance(matrix, torch.Tensor) else matrix
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"distance matrices must be square (N, N); got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("distance matrix contains NaN or infinite entries")
    asymmetry = float(np.abs(array - array.T).max())
    if asymmetry > SYMMETRY_RTOL * max(1.0, float(np.abs(array).max())):
        raise ValueError(
            f"distance matrix is not symmetric (max |C − Cᵀ| = {asymmetry:.3g}); the square-loss "
            "GW here (POT with symmetric=True) assumes symmetric distances"
        )
    return array


#: relative deviation of a returned plan's marginals from uniform that counts as a failed solve
MARGINAL_RTOL = 1e-2


def _check_result(value: float, plan: np.ndarray, solver: str, advice: str) -> None:
    """A solve that ends in a NaN/inf value or a plan that is not a coupling (e.g. all zeros
    after the entropic kernel underflowed, whose loss reads 0: a perfect match) failed: say so
    rather than pass it on."""
    n, m = plan.shape
    if not (np.isfinite(value) and np.isfinite(plan).all()):
        raise ValueError(f"{solver} GW ended in a non-finite value or plan; {advice}")
    marginal_error = max(
        float(np.abs(plan.sum(axis=1) * n - 1.0).max()),
        float(np.abs(plan.sum(axis=0) * m - 1.0).max()),
    )
    if marginal_error > MARGINAL_RTOL:
        raise ValueError(
            f"{solver} GW returned a plan whose marginals are off by {marginal_error:.0%} of the "
            f"uniform ones (not a coupling); {advice}"
        )


def _start(init: Init, n: int, m: int) -> np.ndarray | None:
    if init == "product":
        return None  # POT's default start p qᵀ
    if init == "identity":
        if n != m:
            raise ValueError(f"the identity start needs equal sizes; got {n} and {m}")
        return np.eye(n) / n
    raise ValueError(f"init={init!r} is not supported; allowed: 'identity', 'product'")


def identity_coupling_loss(c1: torch.Tensor | np.ndarray, c2: torch.Tensor | np.ndarray) -> float:
    """GW loss of pairing each input with itself, T = I/N: mean((C1 − C2)²)."""
    a, b = _as_numpy(c1), _as_numpy(c2)
    if a.shape != b.shape:
        raise ValueError(f"identity coupling needs equal shapes; got {a.shape} and {b.shape}")
    return float(np.mean((a - b) ** 2))


def pot_exact_gw(
    c1: torch.Tensor | np.ndarray,
    c2: torch.Tensor | np.ndarray,
    init: Init = "product",
    max_iter: int = 10_000,
    tol_rel: float = 1e-9,
    tol_abs: float = 1e-9,
) -> tuple[float, np.ndarray]:
    """POT's exact conditional-gradient GW (square loss, uniform marginals).

    Returns:
        value: GW loss at the returned plan; plan: (N, M) coupling.
    """
    a, b = _as_numpy(c1), _as_numpy(c2)
    plan, log = ot.gromov.gromov_wasserstein(
        a,
        b,
        ot.unif(a.shape[0]),
        ot.unif(b.shape[0]),
        loss_fun="square_loss",
        symmetric=True,
        G0=_start(init, a.shape[0], b.shape[0]),
        max_iter=max_iter,
        tol_rel=tol_rel,
        tol_abs=tol_abs,
        log=True,
    )
    value, plan = float(log["gw_dist"]), np.asarray(plan)
    _check_result(value, plan, "exact", "check the distance matrices")
    return value, plan


def entropic_gw(
    c1: torch.Tensor | np.ndarray,
    c2: torch.Tensor | np.ndarray,
    epsilon: float = 0.01,
    init: Init = "product",
    max_iter: int = 1000,
    tol: float = 1e-9,
) -> tuple[float, np.ndarray]:
    """POT's entropic GW (projected gradient, KL geometry); ``epsilon`` is absolute, so the
    matrices should be normalised. The value is the unregularised GW loss of the entropic plan.
    """
    if epsilon <= 0:
        raise ValueError(f"epsilon must be > 0; got {epsilon}")
    a, b = _as_numpy(c1), _as_numpy(c2)
    plan = ot.gromov.entropic_gromov_wasserstein(
        a,
        b,
        ot.unif(a.shape[0]),
        ot.unif(b.shape[0]),
        loss_fun="square_loss",
        epsilon=epsilon,
        symmetric=True,
        G0=_start(init, a.shape[0], b.shape[0]),
        max_iter=max_iter,
        tol=tol,
    )
    plan = np.asarray(plan)
    _check_result(
        0.0, plan, "entropic", f"epsilon={epsilon} is too small for these matrices: raise it"
    )
    return gw_loss(a, b, plan), plan


def gw_loss(c1: np.ndarray, c2: np.ndarray, plan: np.ndarray) -> float:
    """Square-loss GW objective of a given plan (its own marginals, symmetric C).

    Raises:
        ValueError: ``c1``/``c2`` not finite symmetric square matrices, or ``plan`` not a finite
            non-negative (N, M) array matching them.
    """
    c1, c2 = _as_numpy(c1), _as_numpy(c2)
    plan = np.asarray(plan, dtype=np.float64)
    if plan.shape != (c1.shape[0], c2.shape[0]):
        raise ValueError(f"plan must have shape {(c1.shape[0], c2.shape[0])}; got {plan.shape}")
    if not np.isfinite(plan).all() or (plan < 0).any():
        raise ValueError("plan must be finite and non-negative")
    p, q = plan.sum(axis=1), plan.sum(axis=0)
    const = p @ (c1**2) @ p + q @ (c2**2) @ q
    return float(const - 2.0 * np.sum(plan * (c1 @ plan @ c2)))
