"""Time and objective of GW for all pairs of L = 12 layers: POT exact in a loop vs ``batched``.

Both compute every pair from the product and the identity couplings and keep the smaller value.
Layers come from the planted-groups network (3 groups of 4, within-group noise 0.1) on N
Gaussian probe inputs, Euclidean distances divided by their max.

    PYTHONPATH=src python benchmarks/gw_pairs.py --n 1000 2000 [--pot-pairs K]

``--pot-pairs K`` times POT on K evenly spaced pairs only and extrapolates its loop time to all
pairs (the objective gap is then over those K pairs); the output says so.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.pairwise import gw_layer_matrix, layer_pairs
from subnetlab.methods.gw.representations import collect_representations
from subnetlab.methods.gw.solver_pot import pot_exact_gw
from subnetlab.methods.gw.synthetic import PlantedGroupsNet


def planted_distances(n: int, seed: int = 0) -> torch.Tensor:
    net = PlantedGroupsNet([4, 4, 4], within_noise=0.1, seed=seed)
    probe = torch.randn(n, 16, generator=torch.Generator().manual_seed(seed + 1))
    return layer_distances(collect_representations(net, net.layer_names, probe))


def pot_loop(distances: torch.Tensor, rows: np.ndarray) -> tuple[float, np.ndarray, int]:
    """Seconds, per-pair min over both starts, and how many pairs the product start won."""
    pairs = layer_pairs(distances.shape[0])[rows].tolist()
    values, product_wins = np.empty(len(pairs)), 0
    started = time.perf_counter()
    for row, (a, b) in enumerate(pairs):
        from_identity, _ = pot_exact_gw(distances[a], distances[b], init="identity")
        from_product, _ = pot_exact_gw(distances[a], distances[b], init="product")
        values[row] = min(from_identity, from_product)
        product_wins += from_product < from_identity
    return time.perf_counter() - started, values, product_wins


def report(
    label: str, seconds: float, values: np.ndarray, reference: np.ndarray, pot_seconds: float
) -> None:
    gap = (values - reference) / np.maximum(reference, 1e-300)
    print(
        f"  {label:<26} {seconds:8.2f} s   speedup {pot_seconds / seconds:6.1f}x   "
        f"max rel. gap {gap.max():+.2e}   min rel. gap {gap.min():+.2e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--pot-pairs", type=int, default=None)
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads (default), "
        f"cuda available: {torch.cuda.is_available()}"
    )
    for n in args.n:
        distances = planted_distances(n)
        n_all = distances.shape[0] * (distances.shape[0] - 1) // 2
        k = n_all if args.pot_pairs is None else min(args.pot_pairs, n_all)
        rows = np.unique(np.linspace(0, n_all - 1, k).round().astype(int))
        k = rows.size
        pot_seconds, pot_values, wins = pot_loop(distances, rows)
        pot_total = pot_seconds * n_all / k
        note = "" if k == n_all else f" (measured on {k} pairs: {pot_seconds:.1f} s, extrapolated)"
        print(f"N = {n}, L = {distances.shape[0]}, {n_all} pairs")
        print(
            f"  POT exact loop, 2 starts   {pot_total:8.2f} s{note}; product start won {wins}/{k}"
        )
        runs = [("cpu", torch.float64), ("cpu", torch.float32)]
        if torch.cuda.is_available():
            runs += [("cuda", torch.float32), ("cuda", torch.float64)]
        for device, dtype in runs:
            on_device = distances.to(device)
            if device == "cuda":
                gw_layer_matrix(on_device[:2], dtype=dtype)  # warm-up: CUDA context, kernels
                torch.cuda.synchronize()
            result = gw_layer_matrix(on_device, solver="batched", dtype=dtype)
            ii, jj = layer_pairs(distances.shape[0]).T.numpy()
            ours = result.gw[ii, jj]
            label = f"batched {device} {str(dtype).removeprefix('torch.')}"
            report(label, result.time_s, ours[rows], pot_values, pot_total)
            print(
                f"  {'':<26} product start abandoned {int(result.product_abandoned[ii, jj].sum())}"
                f"/{n_all}, won {int(result.from_product[ii, jj].sum())}/{n_all}"
            )


if __name__ == "__main__":
    main()
