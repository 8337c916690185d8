"""``method=bimt``: brain-inspired modular training of ``model=mlp`` on a BIMT task, through the
Lightning Trainer (arXiv:2305.08746, §2).

Each step (manual optimisation): task loss on the step's batch, backward, the connection cost's
subgradient ``lambda(step) * price * sign(w)`` added to ``.grad`` in closed form, an AdamW step,
and on every ``swap_every``-th step a relocation pass that swaps neurons (moving their Adam
moments with them). The lambda phases and ``bias_penalty_start`` are fractions of the fit's step
budget (``method.steps``, or ``trainer.max_steps`` where that is smaller). The maths lives in the
plain-torch files beside this one.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.precision import MixedPrecision
from matplotlib.figure import Figure

from subnetlab.analysis.mlp_plots import draw_network, embedding_dimensions, receptive_fields
from subnetlab.data.permutation_s4 import parity, s4_elements
from subnetlab.data.tasks import (
    TaskBatches,
    TaskLoss,
    build_task_data,
    check_model_fits_task,
    task_datasets,
)
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.bimt.connection_cost import ConnectionCost, CostSettings
from subnetlab.methods.bimt.evaluation import (
    evaluate,
    first_weight,
    model_inputs,
    model_targets,
    task_loss,
)
from subnetlab.methods.bimt.schedule import LambdaSchedule, start_step
from subnetlab.methods.bimt.swaps import relocate
from subnetlab.methods.bimt.training_regime import TrainingRegime
from subnetlab.methods.errors import NonFiniteLossError, TargetCapabilityError
from subnetlab.models.mlp import MLP
from subnetlab.schemas.base import ConfigError, flatten, to_dict
from subnetlab.schemas.bimt import BimtSchema
from subnetlab.utils.atomic_files import write_text_atomic

HISTORY_FILE = "bimt_history.json"
CHECKPOINT_KEY = "bimt"


class BimtModule(MethodModule):
    """Trains ``self.network`` (an MLP built from ``model=mlp``) on the task of ``dataset=``.

    Final metrics: see ``evaluation.evaluate``, plus ``train_time_s`` (seconds inside the fit
    loop, summed over resumed sessions). ``bimt_history.json`` holds one row per logging step
    (``trainer.log_every_n_steps``) and the last step: step, loss, lambda, training_cost, swaps
    (neurons swapped since the previous row).
    """

    default_optimized_metric = "test_loss"
    higher_is_better = False
    maximized_metrics = frozenset({"test_accuracy", "train_accuracy"})
    trains = True

    @classmethod
    def check_target(cls, model: torch.nn.Module, model_cfg: Any) -> None:
        if not isinstance(model, MLP):
            raise TargetCapabilityError(
                "BIMT trains an MLP whose neurons have places in space (model=mlp)"
            )

    @classmethod
    def check_data(cls, dataset_cfg: Any) -> None:
        tasks = task_datasets()
        if dataset_cfg.name not in tasks:
            raise ConfigError("dataset", dataset_cfg.name, f"a BIMT task: {', '.join(tasks)}")

    def __init__(self, cfg: BimtSchema, ctx: RunContext) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.cfg, self.ctx = cfg, ctx
        self.spec = build_task_data(ctx.dataset_cfg, ctx.seed)
        self.loss_kind: TaskLoss = self.spec.loss if cfg.loss == "auto" else cfg.loss
        torch.manual_seed(ctx.seed)
        self.network = MLP(**ctx.model_cfg.model_kwargs())
        check_model_fits_task(self.network, self.spec)
        self.regime = TrainingRegime.from_name(cfg.train_type)
        self.cost = CostSettings(
            layer_gap=cfg.cost.layer_gap,
            distance_weight=cfg.cost.distance_weight,
            reduction=cfg.cost.reduction,
            exempt_last_layer=cfg.cost.exempt_last_layer,
        )
        self.lambda_schedule = LambdaSchedule(
            cfg.lambda_base, tuple((p.start, p.multiplier) for p in cfg.lambda_phases)
        )
        self.penalty: ConnectionCost | None = None  # built on the training device in on_fit_start
        self.history: list[dict[str, float]] = []
        self.swaps_since_row = 0
        self.train_seconds = 0.0  # before the current fit session
        self._session_start: float | None = None
        self._metrics: dict[str, float] = {}

    @property
    def max_steps(self) -> int:
        return self.cfg.steps

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"bimt": to_dict(self.cfg)})

    def configure_optimizers(self) -> torch.optim.Optimizer:
        # fused: one kernel for every parameter tensor (these nets' steps are latency-bound)
        return torch.optim.AdamW(
            self.network.parameters(),
            lr=self.cfg.lr,
            weight_decay=self.cfg.weight_decay,
            fused=True,
        )

    def train_dataloader(self) -> TaskBatches:
        data = self.spec.data
        return TaskBatches(
            model_inputs(data.x_train, self.network),
            model_targets(data.y_train, self.network),
            self.cfg.batch_size,
            self.ctx.seed,
            start=lambda: self.trainer.global_step,
        )

    def on_fit_start(self) -> None:
        cost = self.regime.training_cost(self.cost)
        self.penalty = ConnectionCost(self.network, cost) if cost is not None else None

    def on_train_start(self) -> None:
        self._session_start = time.perf_counter()

    def on_train_end(self) -> None:
        self.train_seconds = self.elapsed_train_seconds()
        self._session_start = None

    def elapsed_train_seconds(self) -> float:
        """Seconds spent in the fit loop so far, earlier sessions of a resumed run included."""
        if self._session_start is None:
            return self.train_seconds
        return self.train_seconds + time.perf_counter() - self._session_start

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        step = self.global_step  # steps done before this one; the optimiser step increments it
        total = self.trainer.max_steps
        logs = self.logs_this_step()  # decided before the step moves global_step on
        optimizer = self.optimizers()
        assert not isinstance(optimizer, list)
        loss = task_loss(self.network(x), y, self.loss_kind)
        if not torch.isfinite(loss):
            raise NonFiniteLossError(
                f"BIMT loss became {float(loss)} at step {step}; lower method.lr "
                f"(now {self.cfg.lr:g}) or method.lambda_base (now {self.cfg.lambda_base:g})"
            )
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        lam = 0.0
        include_bias = step >= start_step(self.cfg.bias_penalty_start, total)
        if self.penalty is not None:
            lam = self.lambda_schedule.value(step, total)
            scale = lam * self._loss_scale()
            self.penalty.add_gradient_(self.network, scale, include_bias=include_bias)
        optimizer.step()
        if self.regime.swap and (step + 1) % self.cfg.swap_every == 0:
            self.swaps_since_row += relocate(
                self.network, self.cost, self.cfg.swap_top_k, optimizer.optimizer
            )
        if logs or step + 1 == total:
            self._record_row(step + 1, loss.detach(), lam, include_bias, logs)

    def _loss_scale(self) -> float:
        """The factor the task loss's gradients carry now (16-mixed's GradScaler; 1 otherwise):
        the penalty's gradient joins them on that scale, so that unscaling treats both alike."""
        plugin = self.trainer.precision_plugin
        if isinstance(plugin, MixedPrecision) and plugin.scaler is not None:
            return float(plugin.scaler.get_scale())
        return 1.0

    def _record_row(
        self, step: int, loss: torch.Tensor, lam: float, include_bias: bool, logs: bool
    ) -> None:
        training_cost = 0.0
        if self.penalty is not None:
            training_cost = float(self.penalty.value(self.network, include_bias).detach())
        row = {
            "step": float(step),
            "loss": float(loss),
            "lambda": lam,
            "training_cost": training_cost,
            "swaps": float(self.swaps_since_row),
        }
        self.history.append(row)
        self.swaps_since_row = 0
        if logs:
            for key in ("loss", "lambda", "training_cost", "swaps"):
                self.log(f"train/{key}", row[key], prog_bar=key == "loss")

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[CHECKPOINT_KEY] = {
            "history": [dict(row) for row in self.history],
            "swaps_since_row": self.swaps_since_row,
            "train_seconds": self.elapsed_train_seconds(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint[CHECKPOINT_KEY]
        self.history = [dict(row) for row in state["history"]]
        self.swaps_since_row = int(state["swaps_since_row"])
        self.train_seconds = float(state["train_seconds"])

    def run_analysis(self) -> None:
        self._metrics = evaluate(self.network, self.spec.data, self.loss_kind, self.cost)
        self._metrics["train_time_s"] = self.elapsed_train_seconds()

    def final_metrics(self) -> dict[str, float]:
        return dict(self._metrics)

    def figures(self) -> dict[str, Figure]:
        network = self.trained_target()
        outputs = None
        if self.loss_kind == "cross_entropy":  # outputs are the classes, named as the data does
            outputs = [str(label) for label in range(network.unit_counts[-1])]
        title = f"{self.cfg.train_type} training on {self.ctx.dataset_cfg.name}"
        figures = {"network": draw_network(network, title=title, output_names=outputs)}
        image_shape = self.ctx.model_cfg.image_shape
        if network.geometry == "grid" and image_shape is not None:
            figures["receptive_fields"] = receptive_fields(network, tuple(image_shape))
        if network.embedding is not None:
            labels = None
            if self.ctx.dataset_cfg.name == "permutation_s4":  # the paper colours by parity
                labels = ["+" if sign > 0 else "-" for sign in parity(s4_elements()).tolist()]
            figures["embedding"] = embedding_dimensions(network, token_labels=labels)
        return figures

    def save_artifacts(self, run_dir: Path) -> None:
        write_text_atomic(run_dir / HISTORY_FILE, json.dumps(self.history, indent=1))

    def trained_target(self) -> MLP:
        """The trained network on the CPU (a copy when it trained elsewhere)."""
        if first_weight(self.network).device.type == "cpu":
            return self.network
        return copy.deepcopy(self.network).cpu()
