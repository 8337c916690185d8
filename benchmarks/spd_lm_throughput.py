"""SPD training throughput on the char-LM target of ``experiment=spd_char_lm``: tokens/s and peak
memory of one optimisation step, fast vs plain, on the CPU (and on a GPU when one is present).

    .venv/bin/python benchmarks/spd_lm_throughput.py [--blocks 5] [--block-seconds 2] [--threads 1]
        [--batch 32] [--ci-fn shared_mlp|mlp]

``fast``: what ``method=spd`` runs on that device — on an accelerator the 1 + L masked passes of
a step concatenated along the batch in one forward, each decomposed matrix reusing the target's
cached output where a copy still sees the target's input; on a CPU (where the concatenation
measured no faster) one forward per masked pass, each reusing the target's products until its
first masked matrix; either way the fused scalar CI MLPs (with ``--ci-fn mlp``), both masks of
all matrices drawn and formed at once, and the runs' fused AdamW. ``plain``: one forward per
masked pass with every product recomputed, the plain CI MLPs and torch's default AdamW. Both
compute the same loss and gradients (tests/unit/methods/spd/test_decomposition.py).

Side by side: plain and fast run in two processes (each process's peak memory is its own) that
take turns block after block (``subnetlab.utils.turns``), so that both see the same load; tokens
per CPU-second and per wall second over all blocks, with the range of the blocks' ratios. The
settings are the experiment's: 2 blocks (d_model 64, MLP 256, context 32, vocabulary 96), the 4
MLP matrices with C = 256, the shared-MLP CI function (128 hidden units; ``--ci-fn mlp``: the
paper's scalar MLP per subcomponent, 16 hidden units), KL reconstruction. The target is randomly
initialised (a step's cost does not depend on its values). The machine's load is printed.
"""

from __future__ import annotations

import argparse
import os
from multiprocessing.connection import Connection

from subnetlab.utils.arguments import integer_at_least, positive_number
from subnetlab.utils.turns import serve_blocks, take_turns

#: untimed steps first: allocator, kernels built per shape, optimiser state
WARM_UP = 3


def worker(
    implementation: str, device: str, threads: int, batch: int, ci_fn: str, conn: Connection
) -> None:
    """Build the char-LM decomposition and serve blocks of its steps on ``conn``
    (``serve_blocks``); on a GPU the peak is torch's allocated memory."""
    import torch

    from subnetlab.methods.decomposition.optimizer import decomposition_optimizer
    from subnetlab.methods.spd.decomposition import SPDDecomposition
    from subnetlab.models.transformer import Transformer

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Transformer(vocab_size=96, n_ctx=32, d_model=64, n_heads=4, d_mlp=256, n_layers=2)
    names = [f"blocks.{i}.mlp.{j}" for i in range(2) for j in (0, 2)]
    dec = SPDDecomposition(
        model, names, {n: 256 for n in names}, d_gate=16, seed=0, ci_fn=ci_fn, ci_hidden=128
    ).to(device)
    batched = implementation == "fast"
    if batched:
        opt = decomposition_optimizer(dec, 1e-3)
    else:
        opt = torch.optim.AdamW([q for q in dec.parameters() if q.requires_grad], lr=1e-3)
    gen = torch.Generator().manual_seed(0)

    def step() -> None:
        tokens = torch.randint(96, (batch, 32), generator=gen).to(device)
        terms, _ = dec.losses(tokens, 2.0, gen, batched=batched, recon="kl")
        opt.zero_grad(set_to_none=True)
        sum(terms.values()).backward()
        opt.step()

    on_gpu = device == "cuda"
    serve_blocks(
        conn,
        step,
        WARM_UP,
        synchronize=torch.cuda.synchronize if on_gpu else lambda: None,
        report=(lambda: {"peak_mb": torch.cuda.max_memory_allocated() / 2**20}) if on_gpu else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--blocks",
        type=integer_at_least(1),
        default=5,
        help="timed blocks per implementation, taking turns (default 5)",
    )
    parser.add_argument(
        "--block-seconds",
        type=positive_number,
        default=2.0,
        help="CPU seconds per block (its step count set from the warm-up; default 2)",
    )
    parser.add_argument(
        "--threads", type=integer_at_least(1), default=1, help="torch CPU threads (default 1)"
    )
    parser.add_argument(
        "--batch", type=integer_at_least(1), default=32, help="sequences of 32 tokens per step"
    )
    parser.add_argument(
        "--ci-fn",
        choices=["shared_mlp", "mlp"],
        default="shared_mlp",
        help="causal-importance function (default shared_mlp: the experiment's)",
    )
    args = parser.parse_args()
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"load average {os.getloadavg()[0]:.2f}; {args.threads} thread(s); batch {args.batch}; "
        f"CI function {args.ci_fn}"
    )
    print(f"{'device':<8}{'implementation':<16}{'tokens/s':>10}{'tokens/CPU-s':>14}{'peak MB':>10}")
    tokens_per_step = args.batch * 32
    for device in devices:
        measured = take_turns(
            worker,
            {i: (i, device, args.threads, args.batch, args.ci_fn) for i in ("plain", "fast")},
            args.blocks,
            args.block_seconds,
        )
        for implementation, m in measured.items():
            print(
                f"{device:<8}{implementation:<16}{m.rate_wall * tokens_per_step:>10.0f}"
                f"{m.rate_cpu * tokens_per_step:>14.0f}{m.report['peak_mb']:>10.0f}",
                flush=True,
            )
        fast, plain = measured["fast"], measured["plain"]
        ratios = [f / p for f, p in zip(fast.block_rates, plain.block_rates, strict=True)]
        print(
            f"{device:<8}{'fast ÷ plain':<16}{fast.rate_wall / plain.rate_wall:>9.2f}x"
            f"{fast.rate_cpu / plain.rate_cpu:>13.2f}x   (blocks {min(ratios):.2f}–"
            f"{max(ratios):.2f}x per CPU-s)"
        )


if __name__ == "__main__":
    main()
