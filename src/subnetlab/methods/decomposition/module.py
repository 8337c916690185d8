"""Optimisation glue shared by the parameter-decomposition methods (SPD, APD): AdamW over the
decomposition's trainable parameters with the lr set by hand each step, and the final results."""

from __future__ import annotations

import abc
from typing import Any

import torch
from torch import nn

from subnetlab.methods.base import MethodModule
from subnetlab.methods.decomposition.optimizer import decomposition_optimizer
from subnetlab.methods.decomposition.schedules import lr_at
from subnetlab.methods.errors import NonFiniteLossError, TargetCapabilityError
from subnetlab.models.decomposable import DecomposableModel, KnownSolution
from subnetlab.schemas.base import flatten, to_dict


class DecompositionModule(MethodModule):
    """Subclasses set ``self.cfg`` (with steps, lr, lr_schedule, lr_warmup_steps) and
    ``self.decomposition`` (an nn.Module holding the frozen target), and implement ``evaluate``."""

    default_optimized_metric = "target_solution_error"
    higher_is_better = False
    maximized_metrics = frozenset({"mmcs"})
    needs_target = True
    trains = True

    @classmethod
    def check_target(cls, model: nn.Module, model_cfg: Any) -> None:
        """APD's attributions need one backward pass per output dimension, and its evaluation
        the target's known solution: it runs on the toys (SPD overrides this: any network)."""
        if not (isinstance(model, DecomposableModel) and isinstance(model, KnownSolution)):
            raise TargetCapabilityError(
                "APD needs a toy target that names its decomposable matrices and their known "
                "solution (weights(), forward_with(), tied, expected_ci_patterns())"
            )

    cfg: Any
    decomposition: nn.Module
    coeffs: dict[str, float]
    _final: dict[str, float]

    @property
    def max_steps(self) -> int:
        return self.cfg.steps

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"method": to_dict(self.cfg)})

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.optimizer_for(self.decomposition)

    def optimizer_for(self, decomposition: nn.Module) -> torch.optim.Optimizer:
        """AdamW over ``decomposition``'s trainable parameters (the lr is set every step)."""
        return decomposition_optimizer(decomposition, self.cfg.lr)

    def total_loss(self, terms: dict[str, torch.Tensor], hint: str) -> torch.Tensor:
        """Σ coeff·term, logged with its terms on logging steps; a NaN/inf total stops the run
        (``hint`` says how to avoid it)."""
        total = self.weighted_total(terms)
        if not torch.isfinite(total):
            values = {k: float(v.detach()) for k, v in terms.items()}
            total_value = float(total.detach())
            raise NonFiniteLossError(
                f"{self.cfg.name.upper()} loss became {total_value} at step {self.global_step} "
                f"(terms: {values}); {hint}"
            )
        if self.logs_this_step():
            for name, value in terms.items():
                self.log(f"train/loss/{name}", value)
            self.log("train/loss/total", total, prog_bar=True)
            self.log("train/lr", self.lr_at_step(self.global_step))
        return total

    def weighted_total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """Σ coeff · term over the loss terms."""
        total = sum(self.coeffs[name] * value for name, value in terms.items())
        assert isinstance(total, torch.Tensor)
        return total

    def lr_at_step(self, step: int) -> float:
        total = self.trainer.max_steps if self.trainer.max_steps > 0 else self.cfg.steps
        return lr_at(step, total, self.cfg.lr, self.cfg.lr_schedule, self.cfg.lr_warmup_steps)

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        lr = self.lr_at_step(self.global_step)
        for group in self.optimizers().param_groups:  # type: ignore[union-attr]
            group["lr"] = lr

    @abc.abstractmethod
    def evaluate(self) -> dict[str, float]:
        """Final-quality metrics of the current decomposition (also logged during training)."""

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = self.global_step
        due = step % self.cfg.eval_every == 0 and step < self.trainer.max_steps
        if due and (self.logger or self.evaluation_records_history):
            metrics = {f"eval/{key}": value for key, value in self.evaluate().items()}
            if self.logger:  # straight to the logger: self.log would repeat it every log step
                self.logger.log_metrics(metrics, step=step)

    @property
    def evaluation_records_history(self) -> bool:
        """Whether ``evaluate`` keeps a history (then it runs without a logger too)."""
        return False

    def run_analysis(self) -> None:
        self._final = self.evaluate()

    def final_metrics(self) -> dict[str, float]:
        return dict(self._final)
