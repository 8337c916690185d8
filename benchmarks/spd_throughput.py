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
import os
from multiprocessing.connection import Connection

from subnetlab.utils.turns import peak_rss_mb, serve_blocks, take_turns

#: untimed steps first: allocator, kernels built per shape, optimiser state
WARM_UP = 10


def worker(case: str, implementation: str, threads: int, conn: Connection) -> None:
    """Build one case, then serve blocks of its steps on ``conn`` (``serve_blocks``); the final
    report adds torch's thread count."""
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

    serve_blocks(
        conn,
        step,
        WARM_UP,
        report=lambda: {"peak_mb": peak_rss_mb(), "threads": torch.get_num_threads()},
    )


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
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average (1, 5, 15 min) {load}")
    print(
        f"{'case':<24}{'implementation':<16}{'steps/s CPU':>12}{'steps/s wall':>13}"
        f"{'peak RSS MB':>13}{'threads':>9}"
    )
    for case, label in [("tms_5_2", "TMS 5-2 B4096 C20"), ("resid_mlp1", "ResidMLP-1L B2048 C100")]:
        measured = take_turns(
            worker,
            {i: (case, i, args.threads) for i in ("plain", "fast")},
            args.blocks,
            args.block_seconds,
        )
        for implementation, m in measured.items():
            print(
                f"{label:<24}{implementation:<16}{m.rate_cpu:>12.1f}{m.rate_wall:>13.1f}"
                f"{m.report['peak_mb']:>13.0f}{m.report['threads']:>9}",
                flush=True,
            )
        fast, plain = measured["fast"], measured["plain"]
        ratios = [f / p for f, p in zip(fast.block_rates, plain.block_rates, strict=True)]
        print(
            f"{label:<24}{'speed-up':<16}{fast.rate_cpu / plain.rate_cpu:>11.2f}x"
            f"   (blocks {min(ratios):.2f}–{max(ratios):.2f}x)"
        )


if __name__ == "__main__":
    main()
