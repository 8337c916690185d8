"""SPD training throughput at the paper settings: steps/s and peak memory, fast vs plain.

    .venv/bin/python benchmarks/spd_throughput.py [--steps 30] [--threads 1]

``fast`` is what `method=spd` runs (masked passes sharing work in one stacked forward, all-zero
rows merged, the causal-importance MLPs fused, ResidMLP in feature space, the fused AdamW of the
runs); ``plain`` runs one full forward per masked pass on the whole batch with plain gate MLPs and
torch's default AdamW. Both compute the same loss (tests/unit/methods/spd/test_decomposition.py).
Each case runs in its own process so its peak resident memory is its own. Targets are randomly
initialised: the cost of a step does not depend on the target's values.

Steps/s are per second of the process's CPU time (user + system: on a shared machine other jobs'
load barely moves it) and, beside them, of wall time; the speed-up is the ratio of the CPU-time
rates. The header line notes the machine's load average.

Threads: 1 by default, the setting of the figures in docs/results.md and of runs
(``trainer.threads``). The toy steps are latency-bound: with torch's own thread count on a small
shared machine the threads oversubscribe the cores and the fast path measured slower than the
plain one (0.19x on 2 cores), which says nothing about either implementation.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import time


def measure(case: str, implementation: str, steps: int, threads: int, queue: mp.Queue) -> None:
    import torch

    from subnetlab.data.sparse_features import sample_sparse_features
    from subnetlab.methods.decomposition.optimizer import decomposition_optimizer
    from subnetlab.methods.spd.decomposition import SPDDecomposition
    from subnetlab.models.resid_mlp import ResidMLP
    from subnetlab.models.tms import TMS

    if threads > 0:
        torch.set_num_threads(threads)
    if case == "tms_5_2":
        model, C, batch, p, low, pnorm = TMS(5, 2), 20, 4096, 0.05, 0.0, 1.0
    else:
        model, C, batch, p, low, pnorm = ResidMLP(100, 1000, 50, 1), 100, 2048, 0.01, -1.0, 2.0
    names = list(model.weights())
    dec = SPDDecomposition(model, names, {n: C for n in names}, d_gate=16, seed=0)
    batched = implementation == "fast"
    if batched:
        opt = decomposition_optimizer(dec, 1e-3)
    else:
        opt = torch.optim.AdamW(
            [q for q in dec.parameters() if q.requires_grad], lr=1e-3, weight_decay=0
        )
    gen = torch.Generator().manual_seed(0)

    def step() -> None:
        x = sample_sparse_features(batch, model.n_features, p, low, 1.0, gen)
        terms, _ = dec.losses(x, pnorm, gen, batched=batched)
        opt.zero_grad(set_to_none=True)
        sum(terms.values()).backward()
        opt.step()

    for _ in range(3):
        step()
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    cpu = time.process_time() - start_cpu
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((steps / cpu, steps / wall, peak_mb, torch.get_num_threads()))


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps", type=int, default=30, help="timed steps per case (after 3 warm-up)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads per case (default 1: the setting of the figures in "
        "docs/results.md and of trainer.threads; 0: torch's own choice)",
    )
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    if args.threads < 0:
        raise SystemExit(
            f"--threads={args.threads}: allowed 0 (torch's choice) or a positive count"
        )
    ctx = mp.get_context("spawn")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average (1, 5, 15 min) {load}")
    print(
        f"{'case':<24}{'implementation':<16}{'steps/s CPU':>12}{'steps/s wall':>13}"
        f"{'peak RSS MB':>13}{'threads':>9}"
    )
    for case, label in [("tms_5_2", "TMS 5-2 B4096 C20"), ("resid_mlp1", "ResidMLP-1L B2048 C100")]:
        rates = {}
        for implementation in ("plain", "fast"):
            queue: mp.Queue = ctx.Queue()
            proc = ctx.Process(
                target=measure, args=(case, implementation, args.steps, args.threads, queue)
            )
            proc.start()
            rate, wall_rate, peak, threads = queue.get()
            proc.join()
            rates[implementation] = rate
            print(
                f"{label:<24}{implementation:<16}{rate:>12.1f}{wall_rate:>13.1f}{peak:>13.0f}"
                f"{threads:>9}",
                flush=True,
            )
        print(f"{label:<24}{'speed-up':<16}{rates['fast'] / rates['plain']:>11.2f}x")


if __name__ == "__main__":
    main()
