"""Log the method's figures to TensorBoard every N steps (watch a decomposition or a network form)."""

from __future__ import annotations

from typing import Any

import lightning as L
import matplotlib.pyplot as plt
from lightning.pytorch.loggers import TensorBoardLogger

from subnetlab.methods.base import MethodModule


class PeriodicFigures(L.Callback):
    def __init__(self, every_n_steps: int) -> None:
        self.every_n_steps = every_n_steps

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if step % self.every_n_steps != 0 or not trainer.is_global_zero:
            return
        if not isinstance(trainer.logger, TensorBoardLogger) or not isinstance(pl_module, MethodModule):
            return
        pl_module.run_analysis()
        for name, fig in pl_module.figures().items():
            trainer.logger.experiment.add_figure(f"figures/{name}", fig, global_step=step)
            plt.close(fig)
