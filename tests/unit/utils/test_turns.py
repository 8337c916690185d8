"""The side-by-side driver of the throughput benchmarks: every implementation runs in its own
process, the blocks alternate, and each block's steps are the ones the worker ran."""

from __future__ import annotations

from multiprocessing.connection import Connection

import pytest

from subnetlab.utils.turns import serve_blocks, take_turns

WARM_UP = 2


def counting_worker(work: int, conn: Connection) -> None:
    """A step of ``work`` additions; the report says how many steps ran in all."""
    done = [0]

    def step() -> None:
        total = 0
        for i in range(work):
            total += i
        done[0] += 1

    serve_blocks(conn, step, WARM_UP, report=lambda: {"steps_run": done[0], "peak_mb": 1.0})


def test_each_implementation_runs_the_steps_it_is_credited_with() -> None:
    measured = take_turns(counting_worker, {"slow": (20000,), "quick": (2000,)}, 3, 0.01)
    assert list(measured) == ["slow", "quick"]
    for m in measured.values():
        assert len(m.block_rates) == 3
        # what the worker itself counted: the credited steps plus its warm-up
        assert m.report["steps_run"] == m.steps + WARM_UP
        assert m.cpu_s > 0 and m.wall_s > 0
        # the run's rate is the blocks' rates weighted by their CPU time: between them
        assert min(m.block_rates) <= m.rate_cpu <= max(m.block_rates)


def crashing_worker(conn: Connection) -> None:
    """Dies before it answers."""
    raise SystemExit(3)


def test_a_worker_that_dies_ends_the_measurement_instead_of_hanging() -> None:
    with pytest.raises(EOFError):
        take_turns(crashing_worker, {"broken": ()}, 1, 0.01)


@pytest.mark.parametrize(("blocks", "seconds"), [(0, 1.0), (2, 0.0)])
def test_no_blocks_or_no_time_is_refused_before_any_process_starts(blocks, seconds) -> None:
    with pytest.raises(ValueError, match="allowed a positive count and a positive number"):
        take_turns(counting_worker, {"a": (1,)}, blocks, seconds)
