"""Log the method's figures every N steps (watch a decomposition or a network form)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from subnetlab.methods.base import MethodModule


class PeriodicFigures(L.Callback):
    """Every ``every_n_steps`` training steps, the method's figures to ``log_figure`` (name,
    figure, step: the run's logger). The last step is left out: the runner logs the final
    figures there, and one step holds each figure once."""

    def __init__(self, every_n_steps: int, log_figure: Callable[[str, Figure, int], None]) -> None:
        self.every_n_steps = every_n_steps
        self.log_figure = log_figure

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        step = trainer.global_step
        if step % self.every_n_steps != 0 or step >= trainer.max_steps:
            return
        if not trainer.is_global_zero or not isinstance(pl_module, MethodModule):
            return
        pl_module.run_analysis()
        for name, fig in pl_module.figures().items():
            self.log_figure(name, fig, step)
            plt.close(fig)
