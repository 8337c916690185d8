"""A signal to a sweep stops the whole sweep: its main process passes SIGTERM/SIGINT on to the
job processes (joblib workers, submitit's local jobs), which checkpoint and record ``status:
interrupted`` like a single run, waits for them, and exits with 128 + signal. No worker outlives
the sweep; running the same command again finishes it."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

#: how long the job processes get to write their checkpoint and status before they are killed
GRACE_S = 60.0


def _job_processes() -> list:  # list[psutil.Process]
    import psutil  # the `parallel` extra; without it there are no worker processes to stop

    children = psutil.Process().children(recursive=True)
    # resource trackers clean up shared memory and semaphores when this process exits
    return [p for p in children if "resource_tracker" not in " ".join(_cmdline(p))]


def _cmdline(process) -> list[str]:  # process: psutil.Process
    import psutil

    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _stop_sweep(signum: int, frame: FrameType | None) -> None:
    for handled in (signal.SIGTERM, signal.SIGINT):
        signal.signal(handled, signal.SIG_IGN)
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        jobs = _job_processes()
        for job in jobs:
            try:
                job.send_signal(signum)
            except psutil.Error:
                continue
        _, alive = psutil.wait_procs(jobs, timeout=GRACE_S)
        for job in alive:
            try:
                job.kill()
            except psutil.Error:
                continue
    name = signal.Signals(signum).name
    print(
        f"interrupted: {name} stopped the sweep; run the same command again to finish it "
        "(interrupted jobs continue from their checkpoints)",
        file=sys.stderr,
        flush=True,
    )
    sys.stdout.flush()
    os._exit(128 + signum)  # joblib's pools would otherwise wait for their dead workers


def stop_sweep_on_signal(argv: list[str]) -> None:
    """Install the sweep's handlers when ``argv`` asks for a multirun (``-m``/``--multirun``)."""
    if "-m" in argv or "--multirun" in argv:
        for handled in (signal.SIGTERM, signal.SIGINT):
            signal.signal(handled, _stop_sweep)
