"""``method=train``: train the configured model with its recipe and save it as a target."""

from __future__ import annotations

from typing import Any

from torch import nn

from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.schemas.base import flatten, to_dict
from subnetlab.schemas.train import TrainSchema
from subnetlab.training.recipes import recipe_with_overrides, train_with_recipe
from subnetlab.utils.progress import step_progress


class TrainModule(MethodModule):
    default_optimized_metric = "loss"
    higher_is_better = False

    def __init__(self, cfg: TrainSchema, ctx: RunContext) -> None:
        super().__init__()
        self.cfg, self.ctx = cfg, ctx
        self.overrides = {"steps": cfg.steps, "lr": cfg.lr, "batch_size": cfg.batch_size}
        self._model: nn.Module | None = None
        self._report: dict[str, float] = {}

    def hparams_for_logging(self) -> dict[str, Any]:
        recipe = recipe_with_overrides(self.ctx.model_cfg, self.overrides)
        return flatten({"recipe": to_dict(recipe)})

    def run_analysis(self) -> None:
        recipe = recipe_with_overrides(self.ctx.model_cfg, self.overrides)
        writer = self.ctx.extras.get("summary_writer")
        with step_progress(recipe.steps, "training target") as progress:

            def on_step(step: int, loss: float) -> None:
                progress(step, loss)
                if writer is not None and step % 50 == 0:
                    writer.add_scalar("train/loss", loss, step)

            self._model, self._report = train_with_recipe(
                self.ctx.model_cfg, self.ctx.dataset_cfg, self.ctx.seed, self.overrides, on_step
            )

    def final_metrics(self) -> dict[str, float]:
        """The training report; ``loss`` (the default objective) is the final training loss,
        which the supervised recipes report as ``train_loss``."""
        out = dict(self._report)
        if "loss" not in out and "train_loss" in out:
            out["loss"] = out["train_loss"]
        return out

    def trained_target(self) -> nn.Module | None:
        return self._model
