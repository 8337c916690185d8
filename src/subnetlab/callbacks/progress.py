"""A step progress bar for max_steps-driven training (the data streams are endless, so Lightning's
epoch bars have no total)."""

from __future__ import annotations

from typing import Any

import lightning as L
from tqdm.auto import tqdm


class StepProgressBar(L.Callback):
    def __init__(self, description: str = "fitting") -> None:
        self.description = description
        self.bar: tqdm | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.bar = tqdm(
            total=trainer.max_steps,
            initial=trainer.global_step,
            desc=self.description,
            disable=None,
            dynamic_ncols=True,
            mininterval=0.5,
        )

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self.bar is None:
            return
        self.bar.update(trainer.global_step - self.bar.n)
        # log_every_n_steps: set by Lightning's logger connector, not declared on the Trainer class
        every = trainer.log_every_n_steps  # type: ignore[attr-defined]
        if trainer.global_step % max(every, 1) == 0:
            loss = trainer.callback_metrics.get("train/loss/total")
            if loss is not None:
                self.bar.set_postfix(loss=f"{float(loss):.4g}", refresh=False)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self.on_train_end(trainer, pl_module)
