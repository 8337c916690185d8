"""``method=bimt``: brain-inspired modular training of ``model=mlp`` on a BIMT task.

Like ``method=train`` the work runs in ``run_analysis`` with the plain-torch loop of
``train_loop.py`` (full-batch steps, swaps between steps and moved optimiser state do not fit
Lightning's fit loop); the trained network is saved as the run's target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from subnetlab.analysis.mlp_plots import (
    draw_network,
    embedding_dimensions,
    figure_to_rgb,
    receptive_fields,
)
from subnetlab.data.permutation_s4 import parity, s4_elements
from subnetlab.data.tasks import build_task_data, check_model_fits_task
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.methods.bimt.schedule import LambdaSchedule
from subnetlab.methods.bimt.train_loop import BimtSettings, train_bimt
from subnetlab.models.mlp import MLP
from subnetlab.schemas.base import flatten, to_dict
from subnetlab.schemas.bimt import BimtSchema
from subnetlab.utils.atomic_files import write_text_atomic


def settings_from_schema(cfg: BimtSchema, task_loss: str) -> BimtSettings:
    """The training-loop settings of a validated ``method=bimt`` config."""
    return BimtSettings(
        train_type=cfg.train_type,
        steps=cfg.steps,
        learning_rate=cfg.lr,
        weight_decay=cfg.weight_decay,
        batch_size=cfg.batch_size,
        loss=task_loss if cfg.loss == "auto" else cfg.loss,  # type: ignore[arg-type]
        lambda_schedule=LambdaSchedule(
            cfg.lambda_base, tuple((p.start, p.multiplier) for p in cfg.lambda_phases)
        ),
        cost=CostSettings(
            layer_gap=cfg.cost.layer_gap,
            distance_weight=cfg.cost.distance_weight,
            reduction=cfg.cost.reduction,
            exempt_last_layer=cfg.cost.exempt_last_layer,
        ),
        bias_penalty_start=cfg.bias_penalty_start,
        swap_every=cfg.swap_every,
        swap_top_k=cfg.swap_top_k,
        log_every=cfg.log_every,
    )


class BimtModule(MethodModule):
    default_optimized_metric = "test_loss"
    higher_is_better = False
    maximized_metrics = frozenset({"test_accuracy", "train_accuracy"})

    def __init__(self, cfg: BimtSchema, ctx: RunContext) -> None:
        super().__init__()
        self.cfg, self.ctx = cfg, ctx
        self.spec = build_task_data(ctx.dataset_cfg, ctx.seed)
        self.settings = settings_from_schema(cfg, self.spec.loss)
        torch.manual_seed(ctx.seed)
        self.network = MLP(**ctx.model_cfg.model_kwargs())
        check_model_fits_task(self.network, self.spec)
        self._metrics: dict[str, float] = {}
        self._history: list[dict[str, float]] = []

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"bimt": to_dict(self.cfg)})

    def run_analysis(self) -> None:
        writer = self.ctx.extras.get("summary_writer")
        image_every = self.cfg.image_every
        last_image = [0]

        def on_log(step: int, model: MLP, row: dict[str, float]) -> None:
            if writer is None:
                return
            for key in ("loss", "lambda", "training_cost", "swaps"):
                writer.add_scalar(f"train/{key}", row[key], step)
            if image_every > 0 and step // image_every > last_image[0] // image_every:
                last_image[0] = step
                figure = draw_network(model, title=f"step {step}")
                writer.add_image("network", figure_to_rgb(figure), step, dataformats="HWC")
                plt.close(figure)

        if self.cfg.torch_threads > 0:  # the runner restores the thread count after the run
            torch.set_num_threads(self.cfg.torch_threads)
        result = train_bimt(self.network, self.spec.data, self.settings, self.ctx.seed, on_log)
        self._metrics = result.metrics
        self._history = result.history

    def final_metrics(self) -> dict[str, float]:
        return dict(self._metrics)

    def figures(self) -> dict[str, Figure]:
        figures = {"network": draw_network(self.network, title=self.cfg.train_type)}
        image_shape = self.ctx.model_cfg.image_shape
        if self.network.geometry == "grid" and image_shape is not None:
            figures["receptive_fields"] = receptive_fields(self.network, tuple(image_shape))
        if self.network.embedding is not None:
            labels = None
            if self.ctx.dataset_cfg.name == "permutation_s4":  # the paper colours by parity
                labels = ["+" if sign > 0 else "-" for sign in parity(s4_elements()).tolist()]
            figures["embedding"] = embedding_dimensions(self.network, token_labels=labels)
        return figures

    def save_artifacts(self, run_dir: Path) -> None:
        write_text_atomic(run_dir / "bimt_history.json", json.dumps(self._history, indent=1))

    def trained_target(self) -> torch.nn.Module | None:
        return self.network
