"""BIMT training throughput through the runner's Lightning fit (swaps included) and the time of one
relocation pass.

Prints steps/s of ``experiment=bimt_independence`` ([4, 20, 20, 2], full batch of 100, swaps
every 200 steps, top_k 5) and of ``experiment=bimt_mnist`` ([784, 100, 100, 10] 2-D net, batch
100, swaps every 500 steps, top_k 30) on generated images, both as the user runs them (no logger,
no checkpoints, no figures), then the time of one relocation pass of the MNIST-size net (the
plain-torch maths of ``methods/bimt/swaps.py``).

Run: PYTHONPATH=src python benchmarks/bimt_throughput.py [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from subnetlab.cli.run_dir import register_resolvers
from subnetlab.data.mnist_idx import FILES, write_idx
from subnetlab.lifecycle.runner import run
from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.methods.bimt.swaps import relocate
from subnetlab.models.mlp import MLP
from subnetlab.utils.arguments import integer_at_least

CONF = Path(__file__).resolve().parents[1] / "conf"
BARE = [
    "logger=none",
    "callbacks.checkpoint=false",
    "callbacks.figures_every_n_steps=0",
    "trainer.progress_bar=false",
]
MNIST_COST = CostSettings(
    layer_gap=0.5, distance_weight=2.0, reduction="mean", exempt_last_layer=True
)


def _raw(overrides: list[str]) -> dict[str, Any]:
    with initialize_config_dir(str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[*overrides, *BARE])
    raw = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(raw, dict)
    raw.pop("hydra", None)
    return raw


def steps_per_s(overrides: list[str], steps: int, out: Path) -> tuple[float, float]:
    """(steps/s in the fit loop, steps per CPU-second of the whole run), after an untimed 2-step
    run (torch's first optimiser step pays a one-off start-up cost)."""
    run(_raw([*overrides, "method.steps=2"]), out / "warm-up")
    cpu_started = time.process_time()
    result = run(_raw([*overrides, f"method.steps={steps}"]), out / "timed")
    cpu = time.process_time() - cpu_started
    if result.status != "ok":
        raise RuntimeError(f"the benchmark run failed: {result.error}")
    return steps / result.metrics["train_time_s"], steps / cpu


def generated_mnist(root: Path, n: int) -> Path:
    """Random IDX files of ``n`` train and ``n`` test images in ``root``."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for split in ("train", "test"):
        image_file, label_file = FILES[split]
        write_idx(root / image_file, rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(root / label_file, rng.integers(0, 10, n, dtype=np.uint8))
    return root


def relocation_seconds(repeats: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of one relocation pass, and the swaps of the last pass."""
    torch.manual_seed(0)
    model = MLP([784, 100, 100, 10], geometry="grid", image_shape=(28, 28))
    walls, cpus, swaps = [], [], 0
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        swaps = relocate(model, MNIST_COST, top_k=30)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    return statistics.median(walls), statistics.median(cpus), swaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=integer_at_least(1), default=1, help="trainer.threads")
    parser.add_argument("--small-steps", type=integer_at_least(1), default=4000)
    parser.add_argument("--mnist-steps", type=integer_at_least(1), default=1000)
    parser.add_argument("--relocations", type=integer_at_least(1), default=5)
    args = parser.parse_args()
    register_resolvers()
    torch.set_num_threads(args.threads)
    threads = f"trainer.threads={args.threads}"
    print(f"torch {torch.__version__}, {threads}")
    print("(wall figures depend on other load on the machine; CPU figures count this process)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        wall, cpu = steps_per_s(
            ["experiment=bimt_independence", threads], args.small_steps, out / "independence"
        )
        print(
            f"independence [4,20,20,2] bimt: {wall:.0f} steps/s in the fit loop, {cpu:.0f} "
            f"steps/CPU-s of the run ({args.small_steps} steps, full batch 100, swaps every 200, "
            "top_k 5)"
        )
        mnist = generated_mnist(out / "mnist", 1000)
        wall, cpu = steps_per_s(
            [
                "experiment=bimt_mnist",
                f"dataset.data_dir={mnist}",
                "dataset.download=false",
                threads,
            ],
            args.mnist_steps,
            out / "mnist_runs",
        )
        print(
            f"MNIST-size [784,100,100,10] bimt: {wall:.1f} steps/s in the fit loop, {cpu:.1f} "
            f"steps/CPU-s of the run ({args.mnist_steps} steps, batch 100, swaps every 500, "
            "top_k 30)"
        )
    wall_s, cpu_s, swaps = relocation_seconds(args.relocations)
    print(
        f"one relocation of the MNIST-size net: {1e3 * wall_s:.1f} ms wall, "
        f"{1e3 * cpu_s:.1f} ms CPU (median of {args.relocations}; {swaps} swaps in the last "
        "pass)"
    )


if __name__ == "__main__":
    main()
