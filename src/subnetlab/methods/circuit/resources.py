"""What training and running a network costs: peak memory while a block runs, forward latency.

On CPU torch allocates tensors with the C allocator, which ``tracemalloc`` does not see. The peak
is therefore sampled from glibc's ``mallinfo2`` (bytes handed out, heap plus mmapped blocks) on a
background thread; freed memory the allocator keeps does not count, so earlier runs in the same
process do not hide this one's allocations. Without glibc the resident set size is sampled.
On CUDA, ``torch.cuda.max_memory_allocated`` is exact.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import statistics
import threading
import time
from collections.abc import Callable
from types import TracebackType

import torch


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _heap_reader() -> tuple[Callable[[], int], str]:
    """A function returning the bytes in use now, and how it measures them."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _MallInfo2

        def allocated() -> int:
            info = libc.mallinfo2()
            return int(info.uordblks + info.hblkhd)

        return allocated, "heap"
    page = 4096

    def resident() -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * page

    return resident, "rss"


class PeakMemory:
    """``with PeakMemory() as peak: ...`` then ``peak.megabytes``: the largest rise of memory in
    use over its value at the start of the block (CPU: sampled every ``interval_s``)."""

    def __init__(self, device: torch.device | str = "cpu", interval_s: float = 0.002) -> None:
        self.device = torch.device(device)
        self.interval_s = interval_s
        self.bytes = 0
        self.source = "cuda" if self.device.type == "cuda" else _heap_reader()[1]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def megabytes(self) -> float:
        return self.bytes / 2**20

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
            return self
        read, _ = _heap_reader()
        start = read()

        def sample() -> None:
            while not self._stop.is_set():
                self.bytes = max(self.bytes, read() - start)
                self._stop.wait(self.interval_s)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.bytes = torch.cuda.max_memory_allocated(self.device) - self._start
            return
        self._stop.set()
        assert self._thread is not None
        self._thread.join()


@torch.no_grad()
def latency_ms(forward: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median wall time of ``forward()`` in milliseconds over ``repeats`` calls."""
    if repeats < 1:
        raise ValueError(f"repeats={repeats} invalid: allowed an integer >= 1")
    for _ in range(warmup):
        forward()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)
