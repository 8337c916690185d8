"""Two implementations measured side by side: each in its own process (so its peak memory is
its own), taking turns block after block so that both see the same load on a shared machine.
Used by the throughput benchmarks (``benchmarks/``)."""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any


def serve_blocks(
    conn: Connection,
    step: Callable[[], None],
    warm_up: int,
    synchronize: Callable[[], None] = lambda: None,
    report: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """The worker's side: ``warm_up`` untimed steps (their mean CPU seconds sent as the first
    message), then blocks of steps on request — ``conn`` receives a step count (0: stop) and
    answers (CPU seconds, wall seconds) — and at the end ``report()`` (by default
    ``{"peak_mb": the process's peak resident set in MB}``). ``synchronize`` waits for queued
    device work before a clock is read."""
    start_cpu = time.process_time()
    for _ in range(warm_up):
        step()
    synchronize()
    conn.send((time.process_time() - start_cpu) / warm_up)
    while steps := conn.recv():
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        synchronize()
        conn.send((time.process_time() - start_cpu, time.perf_counter() - start))
    conn.send(report() if report else {"peak_mb": peak_rss_mb()})


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Measured:
    """One implementation's totals over all blocks: steps, CPU and wall seconds, each block's
    steps per CPU-second, and the worker's final report (its peak memory and what else it
    sends)."""

    steps: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    block_rates: list[float] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def rate_cpu(self) -> float:
        return self.steps / self.cpu_s

    @property
    def rate_wall(self) -> float:
        return self.steps / self.wall_s


def take_turns(
    worker: Callable[..., None],
    arguments: dict[str, tuple[Any, ...]],
    blocks: int,
    block_seconds: float,
) -> dict[str, Measured]:
    """Start ``worker(*arguments[name], conn)`` for every implementation ``name`` (a worker that
    ends in ``serve_blocks``), size each one's block to about ``block_seconds`` of CPU time from
    its warm-up, then run ``blocks`` rounds in which every implementation runs one block.

    Raises:
        ValueError: ``blocks`` < 1 or ``block_seconds`` ≤ 0.
    """
    if blocks < 1 or not block_seconds > 0:
        raise ValueError(
            f"blocks={blocks} block_seconds={block_seconds}: allowed a positive count and a "
            "positive number of seconds"
        )
    ctx = mp.get_context("spawn")
    conns, procs = {}, {}
    for name, args in arguments.items():
        conns[name], child = ctx.Pipe()
        procs[name] = ctx.Process(target=worker, args=(*args, child))
        procs[name].start()
        child.close()  # the worker's end lives in the worker: its exit ends our reads (EOFError)
    block_steps = {name: max(1, round(block_seconds / conn.recv())) for name, conn in conns.items()}
    measured = {name: Measured() for name in arguments}
    for _ in range(blocks):
        for name, conn in conns.items():
            conn.send(block_steps[name])
            cpu, wall = conn.recv()
            total = measured[name]
            total.steps += block_steps[name]
            total.cpu_s += cpu
            total.wall_s += wall
            total.block_rates.append(block_steps[name] / cpu)
    for name, conn in conns.items():
        conn.send(0)
        measured[name].report = conn.recv()
        procs[name].join()
    return measured
