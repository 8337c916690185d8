"""Log the method's figures every N steps (watch a decomposition or a network form), rendered like
the final figures: cropped, with a footer naming the run and the step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import matplotlib.pyplot as plt
import numpy as np

from subnetlab.analysis.figure_files import add_footer, png_pixels, render_png
from subnetlab.methods.base import MethodModule


class PeriodicFigures(L.Callback):
    """Every ``every_n_steps`` training steps, the method's figures, rendered with a footer, to
    ``log_figure`` (name, (H, W, 3) uint8 pixels, step: the run's logger). The last step is left
    out: the runner logs the final figures there, and one step holds each figure once."""

    def __init__(
        self, every_n_steps: int, log_figure: Callable[[str, np.ndarray, int], None]
    ) -> None:
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
        run_dir = Path(trainer.default_root_dir)
        footer = f"{run_dir.parent.name}/{run_dir.name} · step {step} of {trainer.max_steps}"
        for name, fig in pl_module.figures().items():
            add_footer(fig, footer)
            self.log_figure(name, png_pixels(render_png(fig)), step)
            plt.close(fig)
