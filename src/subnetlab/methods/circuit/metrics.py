"""How far a circuit's outputs are from the full model's; lower is more faithful.

Every metric maps outputs of shape (..., B, n_out) to one value per leading index, averaged over
the B examples, and is 0 for the full model:

- ``kl``: KL(full model ‖ circuit) of the softmax over outputs (classification);
- ``logit_diff``: how much the logit difference drops, ``ld = logit[label] - mean(other logits)``,
  labels default to the full model's predicted classes;
- ``mse``: mean squared error to the full model's outputs divided by their variance over the
  examples (1 - R², pooled over the outputs; regression).

Rebound to the empty circuit's outputs (:func:`gap_scaled`), a metric is
measured in units of the full-versus-empty gap instead: ``mse`` divides each output's squared
error by that output's mean squared error under the empty circuit (so an output with half the
spread of another weighs the same), ``kl`` and ``logit_diff`` divide by the empty circuit's
value. The full model then scores 0 and the empty circuit 1, and a threshold ``tau`` is the
fraction of that gap an edge may cost (the scale-free threshold of ``method.tau_scale=gap``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
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
    gap: torch.Tensor | None = None
    """None (absolute units), or the full-versus-empty gap the metric is divided by: (n_out,)
    per-output empty-circuit squared errors for ``mse``, a scalar for ``kl``/``logit_diff``."""

    @property
    def flat_at_full_model(self) -> bool:
        """True when the metric's gradient is zero at the full model (it is minimal there)."""
        return self.name in ("kl", "mse")

    def __call__(self, outputs: torch.Tensor) -> torch.Tensor:
        """(..., B, n_out) → (...): the metric averaged over the examples."""
        return self.per_example(outputs).mean(dim=-1)

    def per_example(self, outputs: torch.Tensor) -> torch.Tensor:
        """(..., B, n_out) → (..., B): each example's term of the average.

        Raises:
            ValueError: ``outputs`` do not end in the full model's (B, n_out), or the metric is
                NaN/inf (NaN outputs of a patched network: a NaN compares false with any
                threshold, so the circuit search would silently keep or drop edges on it).
        """
        if outputs.shape[-2:] != self.full_outputs.shape:
            raise ValueError(
                f"outputs end in {tuple(outputs.shape[-2:])}; expected "
                f"{tuple(self.full_outputs.shape)} like the full model's"
            )
        values = self._per_example(outputs)
        if not bool(torch.isfinite(values).all()):
            raise ValueError(
                f"metric={self.name!r} is NaN/inf for some circuits: their outputs hold NaN/inf"
            )
        return values

    def _per_example(self, outputs: torch.Tensor) -> torch.Tensor:
        if self.name == "mse":
            squared = (outputs - self.full_outputs).pow(2)
            if self.gap is not None:
                return (squared / self.gap).mean(dim=-1)
            return squared.mean(dim=-1) / self.full_outputs.var(dim=0, unbiased=False).mean()
        values = self._absolute_per_example(outputs)
        return values if self.gap is None else values / self.gap

    def _absolute_per_example(self, outputs: torch.Tensor) -> torch.Tensor:
        if self.name == "kl":
            # sum_c p_c (log p_c - log q_c) with log q_c = out_c - logsumexp(out): avoids a slow
            # log_softmax over the short class dimension
            log_p = torch.log_softmax(self.full_outputs, dim=-1)
            p = log_p.exp()
            cross = torch.einsum("...bc,bc->...b", outputs, p)
            return (p * log_p).sum(dim=-1) - cross + torch.logsumexp(outputs, dim=-1)
        assert self.labels is not None
        full = _logit_diff(self.full_outputs, self.labels).mean()
        return full - _logit_diff(outputs, self.labels)


def _logit_diff(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(..., B, C), (B,) → (..., B): label logit minus the mean of the other logits."""
    n_classes = outputs.shape[-1]
    index = labels.expand(*outputs.shape[:-1])[..., None]
    correct = outputs.gather(-1, index).squeeze(-1)
    return correct - (outputs.sum(dim=-1) - correct) / (n_classes - 1)


def make_metric(
    name: str,
    full_outputs: torch.Tensor,
    labels: torch.Tensor | None = None,
) -> CircuitMetric:
    """Bind metric ``name`` to the full model's outputs (B, n_out); check it fits them.

    Raises:
        ValueError: unknown ``name``; ``full_outputs`` not a finite (B, n_out) matrix; a
            classification metric on fewer than 2 outputs; ``labels`` not (B,) classes in
            0..n_out − 1; 'mse' on outputs that do not vary.
    """
    if name not in METRICS:
        raise ValueError(f"metric={name!r} is not supported; allowed: {list(METRICS)}")
    if full_outputs.dim() != 2 or full_outputs.shape[0] == 0:
        raise ValueError(f"full_outputs must be (B, n_out); got {tuple(full_outputs.shape)}")
    if not bool(torch.isfinite(full_outputs).all()):
        raise ValueError("the full model's outputs contain NaN or infinite entries")
    n_out = full_outputs.shape[-1]
    if name in ("kl", "logit_diff") and n_out < 2:
        raise ValueError(f"metric={name!r} needs at least 2 output classes, the net has {n_out}")
    if name == "logit_diff":
        labels = full_outputs.argmax(dim=-1) if labels is None else labels
        if labels.shape != full_outputs.shape[:1]:
            raise ValueError(
                f"labels have shape {tuple(labels.shape)}; expected ({len(full_outputs)},)"
            )
        if labels.is_floating_point() or int(labels.min()) < 0 or int(labels.max()) >= n_out:
            raise ValueError(f"labels must be integer classes in 0..{n_out - 1}")
    if name == "mse" and float(full_outputs.var(dim=0, unbiased=False).mean()) == 0.0:
        raise ValueError("metric='mse' needs full-model outputs that vary over the examples")
    return CircuitMetric(name=name, full_outputs=full_outputs.detach(), labels=labels)  # type: ignore[arg-type]


def gap_scaled(metric: CircuitMetric, empty_outputs: torch.Tensor) -> CircuitMetric:
    """``metric`` measured in units of the full-versus-empty gap (see the module docstring), given
    the empty circuit's (B, n_out) outputs.

    Raises:
        ValueError: the empty circuit is as faithful as the full model (no gap to measure in).
    """
    return replace(metric, gap=_gap(metric, empty_outputs.detach()))


def _gap(metric: CircuitMetric, empty_outputs: torch.Tensor) -> torch.Tensor:
    """The full-versus-empty gap ``metric`` is divided by (see :attr:`CircuitMetric.gap`)."""
    if metric.name == "mse":
        per_output = (empty_outputs - metric.full_outputs).pow(2).mean(dim=0)
        if not bool((per_output > 0).any()):
            raise ValueError(
                "the empty circuit reproduces the full model's outputs exactly: there is no "
                "full-versus-empty gap to scale tau by (use tau_scale=absolute)"
            )
        # an output the empty circuit reproduces exactly has no gap of its own: it is weighed
        # like a typical output rather than infinitely
        typical = per_output[per_output > 0].mean()
        return torch.where(per_output > 0, per_output, typical)
    empty_value = metric(empty_outputs)
    if not float(empty_value) > 0.0:
        raise ValueError(
            f"metric={metric.name!r} of the empty circuit is {float(empty_value):.3g}, not worse "
            "than the full model's 0: there is no gap to scale tau by (use tau_scale=absolute)"
        )
    return empty_value


def task_performance(outputs: torch.Tensor, targets: torch.Tensor, task: Task) -> dict[str, float]:
    """The circuit's own task result: accuracy (classification) or mean squared error (regression).

    Args:
        outputs: (B, n_out).
        targets: (B,) class indices, or (B, n_out) regression targets.

    Raises:
        ValueError: unknown ``task``, NaN/inf outputs, or targets of the wrong shape.
    """
    if task not in ("classification", "regression"):
        raise ValueError(
            f"task={task!r} is not supported; allowed: ['classification', 'regression']"
        )
    if not bool(torch.isfinite(outputs).all()):
        raise ValueError("outputs contain NaN or infinite entries")
    if task == "classification":
        if targets.shape != outputs.shape[:1]:
            raise ValueError(
                f"class targets {tuple(targets.shape)} must be one per output row "
                f"({outputs.shape[0]},)"
            )
        return {"accuracy": float((outputs.argmax(dim=-1) == targets).float().mean())}
    if targets.shape != outputs.shape:  # regression
        raise ValueError(
            f"targets {tuple(targets.shape)} must match outputs {tuple(outputs.shape)}"
        )
    return {"loss": float((outputs - targets).pow(2).mean())}


def recovered_fraction(circuit_value: float, empty_value: float) -> float:
    """1 - metric(circuit) / metric(empty circuit): 1 = like the full model, 0 = like no edges.

    Raises:
        ValueError: either value is NaN/inf.
    """
    if not (math.isfinite(circuit_value) and math.isfinite(empty_value)):
        raise ValueError(
            f"recovered fraction needs finite metrics; got circuit {circuit_value}, "
            f"empty {empty_value}"
        )
    if empty_value <= 0.0:
        return 1.0
    return 1.0 - circuit_value / empty_value
