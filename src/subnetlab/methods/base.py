"""The contract every method obeys; the runner knows nothing else about methods."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from matplotlib.figure import Figure


@dataclass
class RunContext:
    """What the runner hands to a method besides the method's own config."""

    seed: int
    run_dir: Path
    model_cfg: Any  # validated model schema instance
    dataset_cfg: Any  # validated dataset schema instance
    target: torch.nn.Module | None = None  # trained target for analysis methods
    datamodule: L.LightningDataModule | None = None
    # where a method that does not fit computes (trainer.accelerator); Lightning places the rest
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    extras: dict[str, Any] = field(default_factory=dict)


class MethodModule(L.LightningModule, abc.ABC):
    """Base of every method. Subclasses take ``(cfg, ctx)``.

    Lifecycle driven by the runner:
    1. ``trainer.fit`` when ``max_steps > 0`` (then ``training_step`` and
       ``configure_optimizers`` are needed);
    2. ``run_analysis()`` once (post-training evaluation, or the whole work of a no-fit method);
    3. ``final_metrics()``, ``figures()``, ``save_artifacts(run_dir)``.
    """

    #: metric returned to sweepers when the config does not name one
    default_optimized_metric: str = "loss"
    #: whether a larger value of the default optimized metric is better
    higher_is_better: bool = False
    #: other final metrics for which a larger value is better (accuracies, similarities)
    maximized_metrics: frozenset[str] = frozenset()
    #: analysis methods need a trained target (``target.ckpt`` or trained on the fly)
    needs_target: bool = False
    #: the method trains through the Lightning Trainer, so ``resume=true`` can continue it
    trains: bool = False

    @classmethod
    def check_target(cls, model: torch.nn.Module, model_cfg: Any) -> None:
        """Raise ``methods.errors.TargetCapabilityError`` when this method cannot analyse ``model``.

        Called by the runner on the untrained architecture of ``model=...`` before any target is
        trained or loaded, so a mismatch costs nothing. Methods that need a capability (matrices to
        decompose, a layered MLP, hookable layers) override it."""

    @classmethod
    def check_options_for_target(cls, method_cfg: Any, model: torch.nn.Module) -> None:
        """Raise a ``ConfigError`` naming the ``method.*`` key when an option of ``method_cfg``
        does not fit ``model`` (e.g. module-name patterns that match none of its layers).

        Called by the runner right after ``check_target``, on the same untrained architecture,
        so such a mistake also costs no target training."""

    @classmethod
    def check_data(cls, dataset_cfg: Any) -> None:
        """Raise a ``ConfigError`` on ``dataset`` when this method cannot use ``dataset=...``
        (e.g. fine-tuning needs sequences); called by the runner before any work."""

    @classmethod
    def maximizes(cls, metric: str) -> bool:
        """Whether a sweeper optimising ``metric`` should maximise it."""
        if metric == cls.default_optimized_metric:
            return cls.higher_is_better
        return metric in cls.maximized_metrics

    @property
    def max_steps(self) -> int:
        """Optimiser steps to fit; 0 means there is nothing to fit."""
        return 0

    def logs_this_step(self) -> bool:
        """Whether Lightning writes this training step's logged values (every
        ``log_every_n_steps``). ``self.log`` costs more than a toy model's whole step, so the hot
        loops call it only on these steps."""
        # set by Lightning's logger connector at Trainer init, not declared on the Trainer class
        every = self.trainer.log_every_n_steps  # type: ignore[attr-defined]
        return every > 0 and (self.global_step + 1) % every == 0

    def run_analysis(self) -> None:  # noqa: B027 - optional hook
        """Work done once after fitting (or instead of it)."""

    @abc.abstractmethod
    def final_metrics(self) -> dict[str, float]:
        """Flat ``name: number`` final results (go to metrics.json and TensorBoard ``hp/``)."""

    def figures(self) -> dict[str, Figure]:
        """Named matplotlib figures of the final state (saved as PNG and to TensorBoard)."""
        return {}

    def save_artifacts(self, run_dir: Path) -> None:  # noqa: B027 - optional hook
        """Write method-specific files (masks, matrices, ...) into the run folder."""

    def trained_target(self) -> torch.nn.Module | None:
        """A network this run trained, saved as ``target.pt`` so analysis methods can load it."""
        return None

    def hparams_for_logging(self) -> dict[str, Any]:
        """Curated hyperparameters for the TensorBoard HPARAMS entry."""
        return {}
