"""SPD training throughput on the char-LM target of ``experiment=spd_char_lm``: tokens/s and peak
memory of one optimisation step, fast vs plain, on the CPU (and on a GPU when one is present).

    .venv/bin/python benchmarks/spd_lm_throughput.py [--steps 20] [--threads 1] [--batch 32]

``fast``: what ``method=spd`` runs on that device — on an accelerator the 1 + L masked passes of
a step concatenated along the batch in one forward, each decomposed matrix reusing the target's
cached output where a copy still sees the target's input; on a CPU (where the concatenation
measured no faster) one forward per masked pass; either way the fused scalar CI MLPs (with
``--ci-fn mlp``), both masks of all matrices drawn and formed at once, and the runs' fused AdamW.
``plain``: one forward per masked pass with the plain CI MLPs and torch's default AdamW.
Both compute the same loss and gradients (tests/unit/methods/spd/test_decomposition.py). The
settings are the experiment's: 2 blocks (d_model 64, MLP 256, context 32, vocabulary 96), the 4
MLP matrices with C = 256, the shared-MLP CI function (128 hidden units; ``--ci-fn mlp``: the
paper's scalar MLP per subcomponent, 16 hidden units), KL reconstruction. Each case runs in its
own process so that its peak memory is its own; the target is randomly initialised (a step's cost
does not depend on its values). The machine's load is printed: on a loaded machine compare the
ratio, not the absolute rates.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import time

from subnetlab.utils.arguments import integer_at_least


def measure(
    implementation: str,
    device: str,
    steps: int,
    threads: int,
    batch: int,
    ci_fn: str,
    queue: mp.Queue,
) -> None:
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

    for _ in range(3):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    tokens = steps * batch * 32
    queue.put((tokens / wall, tokens / cpu, peak_mb))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps", type=integer_at_least(1), default=20, help="timed steps (after 3 warm-up)"
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
    ctx = mp.get_context("spawn")
    for device in devices:
        rates = {}
        for implementation in ("plain", "fast"):
            queue: mp.Queue = ctx.Queue()
            proc = ctx.Process(
                target=measure,
                args=(
                    implementation,
                    device,
                    args.steps,
                    args.threads,
                    args.batch,
                    args.ci_fn,
                    queue,
                ),
            )
            proc.start()
            wall_rate, cpu_rate, peak = queue.get()
            proc.join()
            rates[implementation] = (wall_rate, cpu_rate)
            print(
                f"{device:<8}{implementation:<16}{wall_rate:>10.0f}{cpu_rate:>14.0f}{peak:>10.0f}",
                flush=True,
            )
        wall_ratio = rates["fast"][0] / rates["plain"][0]
        cpu_ratio = rates["fast"][1] / rates["plain"][1]
        print(f"{device:<8}{'fast ÷ plain':<16}{wall_ratio:>9.2f}x{cpu_ratio:>13.2f}x")


if __name__ == "__main__":
    main()
