"""BIMT training throughput (swaps included) and the time of one relocation.

Prints steps/s for the independence net [4, 20, 20, 2] (full batch of 100, swaps every 200 steps,
top_k 5) and for an MNIST-size 2-D net [784, 100, 100, 10] (batch 100 of random images, swaps
every 500 steps, top_k 30), then the time of one relocation pass of the MNIST-size net.

Run: PYTHONPATH=src python benchmarks/bimt_throughput.py [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch

from subnetlab.data.tasks import TaskData
from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.methods.bimt.swaps import relocate
from subnetlab.methods.bimt.tasks import build_task
from subnetlab.methods.bimt.train_loop import BimtSettings, train_bimt
from subnetlab.models.mlp import MLP

MNIST_COST = CostSettings(
    layer_gap=0.5, distance_weight=2.0, reduction="mean", exempt_last_layer=True
)


def _timed(model: MLP, data: TaskData, settings: BimtSettings) -> tuple[float, float]:
    """(wall steps/s, CPU steps/s) of the training loop, after an untimed warm-up run
    (torch's first optimiser step pays a one-off start-up cost of seconds)."""
    warm = MLP(model.widths, geometry=model.geometry, image_shape=_image_shape(model))
    train_bimt(warm, data, replace(settings, steps=2, log_every=2))
    cpu_started = time.process_time()
    result = train_bimt(model, data, settings)
    cpu = time.process_time() - cpu_started
    return settings.steps / result.wall_time_s, settings.steps / cpu


def _image_shape(model: MLP) -> tuple[int, int] | None:
    return (28, 28) if model.geometry == "grid" else None


def independence_steps_per_s(steps: int) -> tuple[float, float]:
    model, data, settings = build_task("independence", seed=0, train_type="bimt")
    return _timed(model, data, replace(settings, steps=steps, log_every=steps))


def mnist_size_steps_per_s(steps: int) -> tuple[float, float]:
    torch.manual_seed(0)
    model = MLP([784, 100, 100, 10], geometry="grid", image_shape=(28, 28))
    images = torch.rand(2000, 784)
    labels = torch.randint(0, 10, (2000,))
    data = TaskData(images[:1000], labels[:1000], images[1000:], labels[1000:])
    settings = BimtSettings(
        steps=steps,
        learning_rate=1e-3,
        batch_size=100,
        loss="mse_onehot",
        cost=MNIST_COST,
        swap_every=500,
        swap_top_k=30,
        log_every=steps,
    )
    return _timed(model, data, settings)


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
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--small-steps", type=int, default=4000)
    parser.add_argument("--mnist-steps", type=int, default=1000)
    parser.add_argument("--relocations", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, torch.set_num_threads({args.threads})")
    print("(wall figures depend on other load on the machine; CPU figures count this process)")
    wall, cpu = independence_steps_per_s(args.small_steps)
    print(
        f"independence [4,20,20,2] bimt: {wall:.0f} steps/s wall, {cpu:.0f} steps/CPU-s "
        f"({args.small_steps} steps, full batch 100, swaps every 200, top_k 5)"
    )
    wall, cpu = mnist_size_steps_per_s(args.mnist_steps)
    print(
        f"MNIST-size [784,100,100,10] bimt: {wall:.1f} steps/s wall, {cpu:.1f} steps/CPU-s "
        f"({args.mnist_steps} steps, batch 100, swaps every 500, top_k 30)"
    )
    wall_s, cpu_s, swaps = relocation_seconds(args.relocations)
    print(
        f"one relocation of the MNIST-size net: {1e3 * wall_s:.1f} ms wall, "
        f"{1e3 * cpu_s:.1f} ms CPU (median of {args.relocations}; {swaps} swaps in the last "
        "pass)"
    )


if __name__ == "__main__":
    main()
