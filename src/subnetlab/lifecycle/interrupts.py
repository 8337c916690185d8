"""Signals end a run with a recorded status: SIGTERM (a scheduler's time limit, pre-emption) and
SIGINT (Ctrl-C) stop training at the next step boundary, save a checkpoint of that step and raise
``RunInterrupted``; outside training they raise at once. Signals that arrive while a stop is
pending (Ctrl-C reaches every process of a terminal's group, a sweep forwards it) change nothing."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L

HANDLED = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """A signal stopped the run. ``exit_code`` is the shell's 128 + signal number."""

    def __init__(self, signum: int, step: int | None = None) -> None:
        self.signum, self.step = signum, step
        self.signal_name = signal.Signals(signum).name
        where = f" at step {step}" if step is not None else ""
        super().__init__(f"{self.signal_name} received{where}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _State:
    """Whether training is running (signals are deferred to its next step boundary) and which
    signal arrived."""

    def __init__(self) -> None:
        self.deferring = False
        self.pending: int | None = None


_state = _State()


def _handle(signum: int, frame: FrameType | None) -> None:
    if _state.deferring:
        if _state.pending is None:
            _state.pending = signum
        return
    raise RunInterrupted(signum)


@contextmanager
def signals_interrupt_the_run() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise ``RunInterrupted`` (deferred to a step boundary
    while ``StopAtStepBoundary`` is training). A no-op outside the main thread, where Python
    cannot install handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in HANDLED}
    _state.deferring, _state.pending = False, None
    for signum in HANDLED:
        signal.signal(signum, _handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.deferring, _state.pending = False, None


class StopAtStepBoundary(L.Callback):
    """During fit, a SIGTERM/SIGINT waits for the current step to finish; then the checkpoint of
    that step is written to ``last`` and ``RunInterrupted`` is raised, so a resumed run continues
    exactly where this one stopped."""

    def __init__(self, last: Path | None) -> None:
        self.last = last

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        _state.deferring = True

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        _state.deferring = False

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        signum = _state.pending
        if signum is None:
            return
        if self.last is not None:
            trainer.save_checkpoint(self.last)
        _state.deferring = False
        raise RunInterrupted(signum, trainer.global_step)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        _state.deferring = False
