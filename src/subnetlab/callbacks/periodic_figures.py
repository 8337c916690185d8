"""Log the method's figures to TensorBoard every N steps (watch a decomposition or a network
form), rendered like the final figures: cropped, with a footer naming the run and the step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import matplotlib.pyplot as plt
from lightning.pytorch.loggers import TensorBoardLogger

from subnetlab.analysis.figure_files import add_footer, png_pixels, render_png
from subnetlab.methods.base import MethodModule


class PeriodicFigures(L.Callback):
    def __init__(self, every_n_steps: int) -> None:
        self.every_n_steps = every_n_steps

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        step = trainer.global_step
        if step % self.every_n_steps != 0 or not trainer.is_global_zero:
            return
        if not isinstance(trainer.logger, TensorBoardLogger) or not isinstance(
            pl_module, MethodModule
        ):
            return
        pl_module.run_analysis()
        run_dir = Path(trainer.default_root_dir)
        footer = f"{run_dir.parent.name}/{run_dir.name} · step {step} of {trainer.max_steps}"
        for name, fig in pl_module.figures().items():
            add_footer(fig, footer)
            pixels = png_pixels(render_png(fig))
            trainer.logger.experiment.add_image(
                f"figures/{name}", pixels, global_step=step, dataformats="HWC"
            )
            plt.close(fig)
