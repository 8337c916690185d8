"""SPD training throughput at the paper settings: steps/s and peak memory, fast vs plain.

    .venv/bin/python benchmarks/spd_throughput.py [--blocks 9] [--block-seconds 0.5] [--threads 1]

``fast`` is what `method=spd` runs (masked passes sharing work in one stacked forward, all-zero
rows merged, the causal-importance MLPs fused, ResidMLP in feature space, the fused AdamW of the
runs); ``plain`` runs one full forward per masked pass on the whole batch with plain gate MLPs and
torch's default AdamW. Both compute the same loss (tests/unit/methods/spd/test_decomposition.py).
Each implementation runs in its own process so its peak resident memory is its own. Targets are
randomly initialised: the cost of a step does not depend on the target's values.

Side by side: both processes stay up and take turns, block after block (each block about
``--block-seconds`` of CPU time after 10 warm-up steps), so that both see the same load on a
shared machine. Steps/s are per second of the process's CPU time (user + system) and, beside them,
of wall time; the speed-up is the ratio of the CPU-time rates over all blocks, with the range of
the blocks' ratios. The header line notes the machine's load average.

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
from multiprocessing.connection import Connection

#: untimed steps first: allocator, kernels built per shape, optimiser state
WARM_UP = 10


def worker(case: str, implementation: str, threads: int, conn: Connection) -> None:
    """Build one case, warm up, then run blocks of steps on request: ``conn`` receives a step
    count (0: stop) and answers (CPU seconds, wall seconds); at the end (peak RSS MB, threads)."""
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

    start_cpu = time.process_time()
    for _ in range(WARM_UP):
        step()
    conn.send((time.process_time() - start_cpu) / WARM_UP)
    while steps := conn.recv():
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        conn.send((time.process_time() - start_cpu, time.perf_counter() - start))
    conn.send((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, torch.get_num_threads()))


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--blocks", type=int, default=9, help="timed blocks per implementation, taking turns"
    )
    parser.add_argument(
        "--block-seconds",
        type=float,
        default=0.5,
        help="CPU seconds per block (its step count set from the warm-up)",
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
    if args.blocks < 1 or not args.block_seconds > 0:
        raise SystemExit(
            f"--blocks={args.blocks} --block-seconds={args.block_seconds}: allowed a positive "
            "count and a positive number of seconds"
        )
    ctx = mp.get_context("spawn")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average (1, 5, 15 min) {load}")
    print(
        f"{'case':<24}{'implementation':<16}{'steps/s CPU':>12}{'steps/s wall':>13}"
        f"{'peak RSS MB':>13}{'threads':>9}"
    )
    implementations = ("plain", "fast")
    for case, label in [("tms_5_2", "TMS 5-2 B4096 C20"), ("resid_mlp1", "ResidMLP-1L B2048 C100")]:
        conns, procs, block_steps = {}, {}, {}
        for implementation in implementations:
            conns[implementation], child = ctx.Pipe()
            procs[implementation] = ctx.Process(
                target=worker, args=(case, implementation, args.threads, child)
            )
            procs[implementation].start()
        for implementation in implementations:
            seconds_per_step = conns[implementation].recv()
            block_steps[implementation] = max(1, round(args.block_seconds / seconds_per_step))
        totals = {i: [0, 0.0, 0.0] for i in implementations}  # steps, CPU s, wall s
        block_rates: dict[str, list[float]] = {i: [] for i in implementations}
        for _ in range(args.blocks):
            for implementation in implementations:
                conns[implementation].send(block_steps[implementation])
                cpu, wall = conns[implementation].recv()
                total = totals[implementation]
                total[0] += block_steps[implementation]
                total[1] += cpu
                total[2] += wall
                block_rates[implementation].append(block_steps[implementation] / cpu)
        rates = {}
        for implementation in implementations:
            conns[implementation].send(0)
            peak, threads = conns[implementation].recv()
            procs[implementation].join()
            steps, cpu, wall = totals[implementation]
            rates[implementation] = steps / cpu
            print(
                f"{label:<24}{implementation:<16}{steps / cpu:>12.1f}{steps / wall:>13.1f}"
                f"{peak:>13.0f}{threads:>9}",
                flush=True,
            )
        ratios = [f / p for f, p in zip(block_rates["fast"], block_rates["plain"], strict=True)]
        print(
            f"{label:<24}{'speed-up':<16}{rates['fast'] / rates['plain']:>11.2f}x"
            f"   (blocks {min(ratios):.2f}–{max(ratios):.2f}x)"
        )


if __name__ == "__main__":
    main()
