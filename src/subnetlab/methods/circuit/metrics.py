"""How far a circuit's outputs are from the full model's; lower is more faithful.

Every metric maps outputs of shape (..., B, n_out) to one value per leading index, averaged over
the B examples, and is 0 for the full model:

- ``kl``: KL(full model ‖ circuit) of the softmax over outputs (classification);
- ``logit_diff``: how much the logit difference drops, ``ld = logit[label] - mean(other logits)``,
  labels default to the full model's predicted classes;
- ``mse``: mean squared error to the full model's outputs divided by their variance over the
  examples (1 - R², so thresholds mean the same for any output scale; regression).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch

MetricName = Literal["kl", "logit_diff", "mse"]
METRICS: tuple[str, ...] = get_args(MetricName)

Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class CircuitMetric:
    """A metric bound to the full model's outputs on the clean inputs."""

    name: MetricName
    full_outputs: torch.Tensor
    """(B, n_out)"""
    labels: torch.Tensor | None = None
    """(B,) class per example, used by ``logit_diff``."""

    @property
    def flat_at_full_model(self) -> bool:
        """True when the metric's gradient is zero at the full model (it is minimal there)."""
        return self.name in ("kl", "mse")

    def __call__(self, outputs: torch.Tensor) -> torch.Tensor:
        """(..., B, n_out) → (...): the metric averaged over the examples."""
        return self.per_example(outputs).mean(dim=-1)

    def per_example(self, outputs: torch.Tensor) -> torch.Tensor:
        """(..., B, n_out) → (..., B): each example's term of the average."""
        if outputs.shape[-2:] != self.full_outputs.shape:
            raise ValueError(
                f"outputs end in {tuple(outputs.shape[-2:])}; expected "
                f"{tuple(self.full_outputs.shape)} like the full model's"
            )
        if self.name == "kl":
            # sum_c p_c (log p_c - log q_c) with log q_c = out_c - logsumexp(out): avoids a slow
            # log_softmax over the short class dimension
            log_p = torch.log_softmax(self.full_outputs, dim=-1)
            p = log_p.exp()
            cross = torch.einsum("...bc,bc->...b", outputs, p)
            return (p * log_p).sum(dim=-1) - cross + torch.logsumexp(outputs, dim=-1)
        if self.name == "logit_diff":
            assert self.labels is not None
            full = _logit_diff(self.full_outputs, self.labels).mean()
            return full - _logit_diff(outputs, self.labels)
        variance = self.full_outputs.var(dim=0, unbiased=False).mean()
        return (outputs - self.full_outputs).pow(2).mean(dim=-1) / variance


def _logit_diff(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(..., B, C), (B,) → (..., B): label logit minus the mean of the other logits."""
    n_classes = outputs.shape[-1]
    index = labels.expand(*outputs.shape[:-1])[..., None]
    correct = outputs.gather(-1, index).squeeze(-1)
    return correct - (outputs.sum(dim=-1) - correct) / (n_classes - 1)


def make_metric(
    name: str, full_outputs: torch.Tensor, labels: torch.Tensor | None = None
) -> CircuitMetric:
    """Bind metric ``name`` to the full model's outputs (B, n_out); check it fits them."""
    if name not in METRICS:
        raise ValueError(f"metric={name!r} is not supported; allowed: {list(METRICS)}")
    n_out = full_outputs.shape[-1]
    if name in ("kl", "logit_diff") and n_out < 2:
        raise ValueError(f"metric={name!r} needs at least 2 output classes, the net has {n_out}")
    if name == "logit_diff":
        labels = full_outputs.argmax(dim=-1) if labels is None else labels
        if labels.shape != full_outputs.shape[:1]:
            raise ValueError(
                f"labels have shape {tuple(labels.shape)}; expected ({len(full_outputs)},)"
            )
    if name == "mse" and float(full_outputs.var(dim=0, unbiased=False).mean()) == 0.0:
        raise ValueError("metric='mse' needs full-model outputs that vary over the examples")
    return CircuitMetric(name=name, full_outputs=full_outputs.detach(), labels=labels)  # type: ignore[arg-type]


def task_performance(outputs: torch.Tensor, targets: torch.Tensor, task: Task) -> dict[str, float]:
    """The circuit's own task result: accuracy (classification) or mean squared error (regression).

    Args:
        outputs: (B, n_out).
        targets: (B,) class indices, or (B, n_out) regression targets.
    """
    if task == "classification":
        return {"accuracy": float((outputs.argmax(dim=-1) == targets).float().mean())}
    if task == "regression":
        if targets.shape != outputs.shape:
            raise ValueError(
                f"targets {tuple(targets.shape)} must match outputs {tuple(outputs.shape)}"
            )
        return {"loss": float((outputs - targets).pow(2).mean())}
    raise ValueError(f"task={task!r} is not supported; allowed: ['classification', 'regression']")


def recovered_fraction(circuit_value: float, empty_value: float) -> float:
    """1 - metric(circuit) / metric(empty circuit): 1 = like the full model, 0 = like no edges."""
    if empty_value <= 0.0:
        return 1.0
    return 1.0 - circuit_value / empty_value
