"""Time and objective of exact GW between all pairs of L = 12 layers: POT's exact solver in a loop,
our ``batched`` solver, and POT's own batched (proximal) solver on a few pairs.

    .venv/bin/python benchmarks/gw_pairs.py [--n 1000 2000] [--pot-pairs K] [--pot-batch-pairs 3]

Layers come from the planted-groups network (3 groups of 4, within-group noise 0.1) on N Gaussian
probe inputs, Euclidean distances divided by their max. Each pair is solved from the identity
coupling I/N and from the product coupling 11ᵀ/N², the two starts the pipeline uses. All rows are
measured in this one process, one after the other, in process CPU time (on a shared machine it
counts this process's work only; wall time beside it). Ratios are POT's loop's time over the
row's: POT's from the same start for a one-start row, from both starts for the others.

* POT exact loop: ``ot.gromov.gromov_wasserstein`` (conditional gradient) for every pair and
  start, the reference.
* ours, one start: ``batched_gromov_wasserstein`` run to convergence with POT's stopping rule;
  every pair's objective is compared with POT's from the same start.
* ours, pipeline: ``gw_layer_matrix(solver="batched")`` as ``method=gw`` runs it: the identity
  start, then the product start, each pair's abandoned once its value is above twice the identity
  start's (``prune_ratio``); its kept value (the smaller start) is compared with POT's.
* POT batched: ``ot.batch.solve_gromov_batch`` (proximal steps in KL geometry with an entropic
  inner solver, from its default start, the product coupling; defaults except ``tol=0``: at its
  default, 1e-5 on the mean absolute change of a plan whose entries are about 1/N², it stops
  after one iteration) on ``--pot-batch-pairs`` pairs, its time extrapolated to all pairs.

``--pot-pairs K`` times POT's loop on K evenly spaced pairs only and extrapolates its time to all
pairs (the objective gaps are then over those K pairs); the output says so.

Threads: 1 for torch and for numpy's OpenBLAS (POT's matmuls) unless OMP_NUM_THREADS /
OPENBLAS_NUM_THREADS say otherwise; the script sets them before numpy loads. The output starts
with the thread counts and the machine's load average, and ends each N with the load again.
"""

from __future__ import annotations

import os

# OpenBLAS sizes its thread pool when numpy loads, so this must come before the imports below
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import TypeVar  # noqa: E402

import numpy as np  # noqa: E402
import ot  # noqa: E402
import torch  # noqa: E402

from subnetlab.methods.gw.distances import layer_distances  # noqa: E402
from subnetlab.methods.gw.pairwise import gw_layer_matrix, layer_pairs  # noqa: E402
from subnetlab.methods.gw.representations import collect_representations  # noqa: E402
from subnetlab.methods.gw.solver_batched import batched_gromov_wasserstein  # noqa: E402
from subnetlab.methods.gw.solver_pot import Init, pot_exact_gw  # noqa: E402
from subnetlab.methods.gw.synthetic import PlantedGroupsNet  # noqa: E402
from subnetlab.utils.arguments import integer_at_least  # noqa: E402

STARTS: tuple[Init, ...] = ("identity", "product")
Result = TypeVar("Result")


def planted_distances(n: int, seed: int = 0) -> torch.Tensor:
    net = PlantedGroupsNet([4, 4, 4], within_noise=0.1, seed=seed)
    probe = torch.randn(n, 16, generator=torch.Generator().manual_seed(seed + 1))
    return layer_distances(collect_representations(net, net.layer_names, probe))


def measure(
    run: Callable[..., Result], *args: object, **kwargs: object
) -> tuple[Result, float, float]:
    """``run(*args, **kwargs)``'s result, process CPU seconds and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = run(*args, **kwargs)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def pot_loop(
    distances: torch.Tensor, rows: np.ndarray, init: Init
) -> tuple[np.ndarray, float, float]:
    """POT's value for every pair in ``rows`` from ``init``; CPU and wall seconds."""
    pairs = layer_pairs(distances.shape[0])[rows].tolist()

    def run() -> np.ndarray:
        return np.array([pot_exact_gw(distances[a], distances[b], init=init)[0] for a, b in pairs])

    return measure(run)


def pot_batched(
    distances: torch.Tensor, rows: np.ndarray
) -> tuple[np.ndarray, float, float, float]:
    """``ot.batch.solve_gromov_batch`` on the pairs in ``rows``: values, CPU and wall seconds,
    and the largest relative deviation of a plan's marginals from uniform."""
    pairs = layer_pairs(distances.shape[0])[rows]
    first, second = distances[pairs[:, 0]].double(), distances[pairs[:, 1]].double()
    result, cpu, wall = measure(
        ot.batch.solve_gromov_batch, first, second, symmetric=True, tol=0.0, grad="detach"
    )
    n = distances.shape[-1]
    marginal_error = max(
        float((result.plan.sum(dim=2) * n - 1.0).abs().max()),
        float((result.plan.sum(dim=1) * n - 1.0).abs().max()),
    )
    return result.value.cpu().numpy(), cpu, wall, marginal_error


def row(label: str, cpu: float, wall: float, pot_cpu: float, pot_wall: float, note: str) -> None:
    print(
        f"  {label:<34} {cpu:8.2f} {wall:8.2f}   {pot_cpu / cpu:6.1f}x {pot_wall / wall:6.1f}x"
        f"   {note}"
    )


def gaps(values: np.ndarray, reference: np.ndarray) -> str:
    relative = (values - reference) / np.maximum(np.abs(reference), 1e-300)
    return (
        f"rel. gap to POT max {relative.max():+.1e} min {relative.min():+.1e} "
        f"(|gap| <= 1e-9: {int((np.abs(relative) <= 1e-9).sum())}/{relative.size})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=integer_at_least(2), nargs="+", default=[1000, 2000])
    parser.add_argument("--pot-pairs", type=integer_at_least(1), default=None)
    parser.add_argument("--pot-batch-pairs", type=integer_at_least(1), default=3)
    args = parser.parse_args()
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), POT {ot.__version__} "
        f"(OpenBLAS threads: OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), "
        f"{os.cpu_count()} CPUs, cuda available: {torch.cuda.is_available()}"
    )
    print(load())
    for n in args.n:
        distances = planted_distances(n)
        n_layers = distances.shape[0]
        pairs = layer_pairs(n_layers)
        n_all = pairs.shape[0]
        ii, jj = pairs.T.numpy()
        k = n_all if args.pot_pairs is None else min(args.pot_pairs, n_all)
        rows = np.unique(np.linspace(0, n_all - 1, k).round().astype(int))
        scale = n_all / rows.size
        print(f"\nN = {n}, L = {n_layers}, {n_all} pairs")
        print(f"  {'':<34} {'CPU s':>8} {'wall s':>8}   {'ratio (CPU, wall)':>15}")
        pot: dict[str, np.ndarray] = {}
        pot_start: dict[str, tuple[float, float]] = {}  # CPU and wall seconds, all pairs
        for init in STARTS:
            pot[init], cpu, wall = pot_loop(distances, rows, init)
            pot_start[init] = (cpu * scale, wall * scale)
            label = f"POT exact loop, {init} start"
            print(f"  {label:<34} {cpu * scale:8.2f} {wall * scale:8.2f}")
        pot_cpu = sum(cpu for cpu, _ in pot_start.values())
        pot_wall = sum(wall for _, wall in pot_start.values())
        pot_kept = np.minimum(pot["identity"], pot["product"])
        note = "" if rows.size == n_all else f" (measured on {rows.size} pairs, extrapolated)"
        wins = int((pot["product"] < pot["identity"]).sum())
        print(
            f"  {'POT exact loop, both starts':<34} {pot_cpu:8.2f} {pot_wall:8.2f}   "
            f"{'1.0x':>6} {'1.0x':>6}   product start won {wins}/{rows.size}{note}"
        )

        runs = [("cpu", torch.float64), ("cpu", torch.float32)]
        if torch.cuda.is_available():
            runs += [("cuda", torch.float64), ("cuda", torch.float32)]
        for device, dtype in runs:
            on_device = distances.to(device)
            name = f"{device} {str(dtype).removeprefix('torch.')}"
            if device == "cuda":
                gw_layer_matrix(on_device[:2], dtype=dtype)  # warm-up: CUDA context, kernels
                torch.cuda.synchronize()
            both_cpu = both_wall = 0.0
            for init in STARTS:
                result, cpu, wall = measure(
                    batched_gromov_wasserstein, on_device, pairs, init, dtype=dtype
                )
                both_cpu, both_wall = both_cpu + cpu, both_wall + wall
                row(  # against POT's loop from the same start
                    f"ours {name}, {init} start",
                    cpu,
                    wall,
                    *pot_start[init],
                    gaps(result.value.numpy()[rows], pot[init]),
                )
            row(f"ours {name}, both starts", both_cpu, both_wall, pot_cpu, pot_wall, "")
            pipeline, cpu, wall = measure(gw_layer_matrix, on_device, solver="batched", dtype=dtype)
            kept = pipeline.gw[ii, jj][rows]
            abandoned = int(pipeline.product_abandoned[ii, jj].sum())
            row(
                f"ours {name}, pipeline",
                cpu,
                wall,
                pot_cpu,
                pot_wall,
                f"{gaps(kept, pot_kept)}; product start abandoned {abandoned}/{n_all}",
            )

        if args.pot_batch_pairs > 0:
            spread = np.linspace(0, rows.size - 1, args.pot_batch_pairs).round().astype(int)
            batch_rows = rows[np.unique(spread)]
            values, cpu, wall, marginal_error = pot_batched(distances, batch_rows)
            batch_scale = n_all / batch_rows.size
            reference = pot_kept[np.searchsorted(rows, batch_rows)]
            row(
                "POT batched (proximal), product",
                cpu * batch_scale,
                wall * batch_scale,
                pot_cpu,
                pot_wall,
                f"{gaps(values, reference)} vs POT's kept value; marginals off by up to "
                f"{marginal_error:.1e}; measured on {batch_rows.size} pairs, extrapolated",
            )
        print(load())


if __name__ == "__main__":
    main()
