"""Progress of a max_steps-driven fit: a step bar on a terminal, plain lines otherwise
(``utils.progress``). The data streams are endless, so Lightning's own epoch bars have no total."""

from __future__ import annotations

from typing import Any

import lightning as L

from subnetlab.utils.progress import Progress


def short_metric_name(name: str) -> str:
    """``train/loss/total`` → ``loss``; ``train/loss`` → ``loss``; other names lose ``train/``."""
    name = name.removeprefix("train/")
    return name.removesuffix("/total")


class StepProgress(L.Callback):
    """Reports the fit's optimiser steps out of ``trainer.max_steps`` with the values the method
    logs with ``prog_bar=True`` (its training loss), as they were last logged."""

    def __init__(self, description: str = "fitting") -> None:
        self.description = description
        self.progress: Progress | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.progress = Progress(
            self.description, total=trainer.max_steps, initial=trainer.global_step
        )

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self.progress is None:
            return
        shown = trainer.progress_bar_metrics
        if shown:
            self.progress.set_values(**{short_metric_name(k): float(v) for k, v in shown.items()})
        self.progress.advance_to(trainer.global_step)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress = None

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self.on_train_end(trainer, pl_module)
