"""Peak memory while a block runs, and forward latency."""

from __future__ import annotations

import time

import pytest
import torch

from subnetlab.methods.circuit.resources import PeakMemory, latency_ms


def test_peak_memory_sees_a_large_temporary():
    with PeakMemory(interval_s=0.001) as peak:
        block = torch.ones(16 * 2**20 // 4)  # 16 MiB of float32, held for a while
        time.sleep(0.05)
        del block
    assert 15.5 < peak.megabytes < 40
    with PeakMemory(interval_s=0.001) as idle:
        time.sleep(0.02)
    assert idle.megabytes < 2


def test_latency_is_the_median_call_time():
    calls = []

    def slow() -> None:
        calls.append(1)
        time.sleep(0.004)

    value = latency_ms(slow, repeats=5, warmup=2)
    assert len(calls) == 7
    assert 4.0 <= value < 50
    with pytest.raises(ValueError, match="repeats"):
        latency_ms(slow, repeats=0)
