"""Runner glue of ``method=gw``: probe the target, GW between its layers, groups, outputs."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure

from subnetlab.data.probes import available_probes, probe_count
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.methods.gw.analysis import (
    LayerGroups,
    analyse_layers,
    is_decomposable,
    layer_representations,
)
from subnetlab.methods.gw.planted_recovery import PlantedRecovery
from subnetlab.methods.gw.seed_identification import LAYER_ID_MEASURES
from subnetlab.models.planted_families import PlantedFamiliesNet
from subnetlab.schemas.base import ConfigError, defaults_of, flatten, to_dict
from subnetlab.schemas.gw import GWSchema


def submodule_names(model: torch.nn.Module) -> list[str]:
    """Every named submodule, in registration (for the models here: depth) order."""
    return [name for name, _ in model.named_modules() if name]


def candidate_layers(model: torch.nn.Module) -> list[str]:
    """Layer names in depth order: a decomposable target's linear maps, a model's
    ``block_names()`` (the transformer's and Hugging Face models' block outputs, an MLP's hidden
    layers), else its submodules."""
    if is_decomposable(model):
        return list(model.weights())  # type: ignore[operator]
    if callable(getattr(model, "block_names", None)):
        return list(model.block_names())  # type: ignore[operator]
    return submodule_names(model)


def select_layers(
    names: list[str], patterns: list[str], submodules: list[str] | None = None
) -> list[str]:
    """Names matching any fnmatch pattern, in the given (depth) order; at least two. When the
    patterns match fewer than two of ``names`` (a residual model's block outputs), they may name
    ``submodules`` instead (e.g. ``blocks.*.mlp.1``, each block's MLP hidden layer)."""
    extra = submodules if submodules and submodules != names else []
    for pool in (names, extra):
        chosen = [name for name in pool if any(fnmatch.fnmatch(name, p) for p in patterns)]
        if len(chosen) >= 2:
            return chosen
    allowed = f"patterns matching at least two of {names}"
    if extra:
        allowed += " or of the submodules (e.g. " + ", ".join(extra[:4]) + ", ...)"
    raise ConfigError("method.modules", patterns, allowed)


class GWModule(MethodModule):
    """GW layer clustering of ``ctx.target`` on a probe batch from ``ctx.datamodule``, computed on
    ``ctx.device`` (``trainer.accelerator``). A target with planted layer families
    (``model=planted_families``) is also scored against them (``ari`` and the other
    ``PlantedRecovery.metrics``, ``planted.json``)."""

    default_optimized_metric = "n_groups"
    higher_is_better = False
    # final metrics of study=gw_seed_identification (accuracies) and of planted families (adjusted
    # Rand indices) that a sweep maximises
    maximized_metrics = frozenset(
        {*(f"layer_id_accuracy/{m}" for m in LAYER_ID_MEASURES), "ari", "segments_ari"}
    )
    needs_target = True

    @classmethod
    def check_target(cls, model: torch.nn.Module, model_cfg: Any) -> None:
        """GW compares layers: the target needs at least two hookable layers (linear maps of a
        decomposable target, ``block_names()``, or named submodules)."""
        layers = candidate_layers(model)
        if len(layers) < 2 and len(submodule_names(model)) < 2:
            raise TargetCapabilityError(
                f"GW needs at least two hookable layers; {type(model).__name__} has {layers}"
            )

    @classmethod
    def check_options_for_target(cls, method_cfg: GWSchema, model: torch.nn.Module) -> None:
        """``method.modules`` must pick at least two of the target's layers."""
        select_layers(candidate_layers(model), method_cfg.modules, submodule_names(model))

    def __init__(self, cfg: GWSchema, ctx: RunContext) -> None:
        super().__init__()
        if ctx.target is None:
            raise ValueError("GW layer clustering needs a trained target")
        if not callable(getattr(ctx.datamodule, "eval_batch", None)):
            raise ConfigError(
                "dataset",
                ctx.dataset_cfg.name,
                "a dataset whose datamodule serves held-out probe inputs (eval_batch)",
            )
        self.n_probes = probe_count(
            "method.probe_size",
            cfg.probe_size,
            defaults_of(GWSchema)["probe_size"],
            available_probes(ctx.datamodule),
            "the datamodule" if ctx.dataset_cfg is None else f"dataset={ctx.dataset_cfg.name}",
        )
        self.cfg, self.ctx = cfg, ctx
        self.target = ctx.target
        self.layer_names = select_layers(
            candidate_layers(ctx.target), cfg.modules, submodule_names(ctx.target)
        )
        self.groups: LayerGroups | None = None
        self.planted = ctx.target if isinstance(ctx.target, PlantedFamiliesNet) else None

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"method": to_dict(self.cfg)})

    def probe_inputs(self) -> torch.Tensor:
        """(N, ...) probe inputs shared by every layer."""
        return self.ctx.datamodule.eval_batch(self.n_probes)  # type: ignore[union-attr]

    def run_analysis(self) -> None:
        cfg = self.cfg
        self.target.to(self.ctx.device)
        reps = layer_representations(
            self.target, self.layer_names, self.probe_inputs(), cfg.pooling
        )
        cache = self.ctx.run_dir / "distances.pt" if cfg.cache_distances else None
        self.groups = analyse_layers(reps, cfg, self.ctx.device, cache)

    def recovery(self) -> PlantedRecovery | None:
        """The groups scored against the target's planted families; None for a target without
        them, or before the analysis."""
        if self.groups is None or self.planted is None:
            return None
        return PlantedRecovery(self.groups, self.planted)

    def final_metrics(self) -> dict[str, float]:
        recovery = self.recovery()
        if recovery is not None:
            return recovery.metrics()
        return {} if self.groups is None else self.groups.metrics()

    def figures(self) -> dict[str, Figure]:
        return {} if self.groups is None else self.groups.figures()

    def save_artifacts(self, run_dir: Path) -> None:
        recovery = self.recovery()
        if recovery is not None:
            recovery.save(run_dir)
        elif self.groups is not None:
            self.groups.save(run_dir)
