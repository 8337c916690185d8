"""Layer identification across seeds (Kornblith et al. 2019, Table 2): for every layer of one
model, is its nearest layer in another model its counterpart?"""

from __future__ import annotations

import numpy as np

#: measures between layers that layer identification scores -> whether a smaller value is closer
LAYER_ID_MEASURES = {
    "gw": "lower",
    "identity_loss": "lower",
    "linear_cka": "higher",
    "debiased_cka": "higher",
    "procrustes": "lower",
}


def layer_id_accuracy(matrix: np.ndarray, n_models: int, closer: str = "lower") -> float:
    """Fraction of (model a, model b ≠ a, layer i) whose nearest layer of b is layer i.

    Args:
        matrix: (K·L, K·L) between all layers of K models stacked model by model (layer i of
            model a at row a·L + i).
        n_models: K.
        closer: 'lower' for distances (GW, Procrustes), 'higher' for similarities (CKA).
    Ties count as wrong unless the counterpart is the only best layer.

    Raises:
        ValueError: ``closer`` unknown, ``matrix`` not square over ``n_models`` ≥ 2 models of
            equal depth, or holding NaN/inf (a NaN is never the nearest: it would count wrong).
    """
    if closer not in ("lower", "higher"):
        raise ValueError(f"closer={closer!r} is not supported; allowed: 'lower', 'higher'")
    size = matrix.shape[0]
    if matrix.shape != (size, size) or n_models < 2 or size % n_models:
        raise ValueError(
            f"matrix of shape {matrix.shape} is not square over {n_models} models of equal depth"
        )
    if not np.isfinite(matrix).all():
        raise ValueError("the layer matrix contains NaN or infinite entries")
    n_layers = size // n_models
    score = matrix if closer == "lower" else -matrix
    correct, total = 0, 0
    for a in range(n_models):
        for b in range(n_models):
            if a == b:
                continue
            block = score[a * n_layers : (a + 1) * n_layers, b * n_layers : (b + 1) * n_layers]
            for i in range(n_layers):
                best = block[i].min()
                correct += int(block[i, i] == best and (block[i] == best).sum() == 1)
                total += 1
    return correct / total
