"""``method=train``: train the configured model with its family's recipe through the Lightning
Trainer, and save it as a target."""

from __future__ import annotations

from typing import Any

import torch
from matplotlib.figure import Figure
from torch import nn

from subnetlab.analysis.training_plots import loss_curve
from subnetlab.data.sequential_batches import SequentialBatches
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.errors import NonFiniteLossError
from subnetlab.schemas.base import flatten, to_dict
from subnetlab.schemas.train import TrainSchema
from subnetlab.training.recipe import build_recipe

HISTORY_KEY = "train_loss_history"


class TrainModule(MethodModule):
    """Drives the model's ``training.recipe.TrainingRecipe``: its module is trained here (so it
    moves to the device and lives in the checkpoints), one recipe step per optimiser step with
    the lr of that global step; batch ``t`` is the recipe's ``t``-th draw, so a resumed run sees
    the batches an uninterrupted one would."""

    default_optimized_metric = "loss"
    higher_is_better = False
    trains = True

    def __init__(self, cfg: TrainSchema, ctx: RunContext) -> None:
        super().__init__()
        self.cfg, self.ctx = cfg, ctx
        overrides = {"steps": cfg.steps, "lr": cfg.lr, "batch_size": cfg.batch_size}
        self.recipe = build_recipe(ctx.model_cfg, ctx.dataset_cfg, ctx.seed, overrides)
        self.trained = self.recipe.module
        self.batches = SequentialBatches(self.recipe.draw, self.recipe.data_state, self._step)
        self._history: list[tuple[int, float]] = []  # (step, loss) of the logged steps
        self._model: nn.Module | None = None
        self._report: dict[str, float] = {}

    @property
    def max_steps(self) -> int:
        """The recipe's steps (``method.steps`` overrides them). ``trainer.max_steps`` may stop
        the run earlier; the lr schedule still spans the recipe's steps, so a capped run is the
        start of the full one."""
        return self.recipe.steps

    def _step(self) -> int:
        return self.global_step

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"recipe": to_dict(self.recipe.recipe_cfg)})

    def train_dataloader(self) -> SequentialBatches:
        return self.batches

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.recipe.optimizer()

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        lr = self.recipe.lr_at(self.global_step)
        optimizer = self.optimizers()
        assert not isinstance(optimizer, list)
        for group in optimizer.param_groups:
            group["lr"] = lr

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        """The recipe's loss on the step's batch; a non-finite one raises NonFiniteLossError
        before it reaches the weights."""
        step = self.global_step
        loss, extras = self.recipe.loss(batch)
        if not torch.isfinite(loss):
            value, lr = float(loss.detach()), self.recipe.lr_at(step)
            raise NonFiniteLossError(
                f"training loss of model={self.ctx.model_cfg.name} became {value} at step {step} "
                f"(lr {lr:.3g}); {self.recipe.divergence_hint}"
            )
        if self.logs_this_step():
            self.log("train/loss/total", loss.detach(), prog_bar=True)
            for name, extra in extras.items():
                self.log(f"train/loss/{name}", extra)
            self.log("train/lr", self.recipe.lr_at(step))
            self._history.append((step, float(loss.detach())))
        return loss

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[HISTORY_KEY] = list(self._history)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._history = [(int(s), float(v)) for s, v in checkpoint.get(HISTORY_KEY, [])]

    def run_analysis(self) -> None:
        """The recipe's final model and report after the steps taken (fewer than the recipe's
        when ``trainer.max_steps`` cut the run short)."""
        steps_done = self.global_step
        generator = self.batches.generator_after(steps_done)
        self._model, self._report = self.recipe.finish(steps_done, generator, self.device)

    def final_metrics(self) -> dict[str, float]:
        """The training report; ``loss`` (the default objective) is the final training loss,
        which the supervised recipes report as ``train_loss``."""
        out = dict(self._report)
        if "loss" not in out and "train_loss" in out:
            out["loss"] = out["train_loss"]
        return out

    def figures(self) -> dict[str, Figure]:
        out: dict[str, Figure] = {}
        if self._history:
            steps, losses = zip(*self._history, strict=True)
            title = f"{self.ctx.model_cfg.name} on {self.ctx.dataset_cfg.name}"
            out["training_loss"] = loss_curve(list(steps), list(losses), title)
        if self._model is not None:
            out.update(self.recipe.figures(self._model))
        return out

    def trained_target(self) -> nn.Module | None:
        return self._model
