"""``experiment=gw_seed_identification``: train K seeds of the configured model with its recipe,
then score per measure how often each layer's nearest layer in another seed is its counterpart.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from subnetlab.methods.base import RunContext
from subnetlab.methods.gw import plots
from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.module import GWModule
from subnetlab.methods.gw.pairwise import LayerGW, similarity_layer_matrices
from subnetlab.methods.gw.seed_identification import layer_id_accuracy
from subnetlab.methods.train.module import train_model
from subnetlab.registry import build_model
from subnetlab.schemas.gw import GWSchema
from subnetlab.training.recipe import recipe_with_overrides
from subnetlab.utils.atomic_files import save_npy_atomic, write_text_atomic

# measure -> whether a smaller value means closer
MEASURES = {
    "gw": "lower",
    "identity_loss": "lower",
    "linear_cka": "higher",
    "debiased_cka": "higher",
    "procrustes": "lower",
}


class GWSeedIdentificationModule(GWModule):
    """Trains ``method.seeds.n_seeds`` targets itself; needs no target from the runner."""

    default_optimized_metric = "layer_id_accuracy/gw"
    higher_is_better = True
    needs_target = False

    def __init__(self, cfg: GWSchema, ctx: RunContext) -> None:
        recipe_with_overrides(ctx.model_cfg, {})  # refuses a model without a recipe up front
        # an untrained model of the architecture fixes the layer names before training
        super().__init__(cfg, replace(ctx, target=build_model(ctx.model_cfg)))
        self._matrices_all: dict[str, np.ndarray] = {}
        self._accuracy: dict[str, float] = {}
        self._reports: list[dict[str, float]] = []
        self._models: list[torch.nn.Module] = []
        self._train_time_s = 0.0
        self._gw_all: LayerGW | None = None

    def run_analysis(self) -> None:
        cfg, seeds = self.cfg, self.cfg.seeds
        started = time.perf_counter()
        for k in range(seeds.n_seeds):
            seed = seeds.first_seed + k
            model, report = train_model(self.ctx.model_cfg, self.ctx.dataset_cfg, seed)
            self._models.append(model)
            self._reports.append(report)
        self._train_time_s = time.perf_counter() - started
        probe = self.probe_inputs()
        stacked: list[torch.Tensor] = []
        for model in self._models:
            stacked.extend(self.representations(model, probe).values())
        distances = layer_distances(stacked, cfg.metric, cfg.normalize)
        self._gw_all = self._solve(distances)
        self._matrices_all = {
            "gw": self._gw_all.gw,
            "identity_loss": self._gw_all.identity_loss,
            **similarity_layer_matrices(stacked),
        }
        self._accuracy = {
            name: layer_id_accuracy(self._matrices_all[name], seeds.n_seeds, closer)
            for name, closer in MEASURES.items()
        }
        # the first seed's own L×L block drives the usual groups, heatmaps and dendrogram
        self.target = self._models[0]
        n = len(self.layer_names)
        self._result = replace(
            self._gw_all,
            gw=self._gw_all.gw[:n, :n],
            identity_loss=self._gw_all.identity_loss[:n, :n],
            from_product=self._gw_all.from_product[:n, :n],
            product_value=self._gw_all.product_value[:n, :n],
            product_abandoned=self._gw_all.product_abandoned[:n, :n],
        )
        self._baselines = {k: v[:n, :n] for k, v in self._matrices_all.items() if k in MEASURES}
        self._baselines.pop("gw")
        self._baselines.pop("identity_loss")
        self._group_layers()

    def final_metrics(self) -> dict[str, float]:
        out = super().final_metrics()
        if self._gw_all is None:
            return out
        out["solver_time_s"] = self._gw_all.time_s  # all K·L layers together
        out["train_time_s"] = self._train_time_s
        out["n_seeds"] = float(self.cfg.seeds.n_seeds)
        for name, value in self._accuracy.items():
            out[f"layer_id_accuracy/{name}"] = value
        for key in self._reports[0]:
            out[f"seed_mean/{key}"] = float(np.mean([r[key] for r in self._reports]))
        return out

    def figures(self) -> dict[str, Figure]:
        out = super().figures()
        if self._matrices_all:
            names = [
                f"s{self.cfg.seeds.first_seed + k}:{layer}"
                for k in range(self.cfg.seeds.n_seeds)
                for layer in self.layer_names
            ]
            out["seed_matrices"] = plots.heatmaps(self._matrices_all, names)
        return out

    def save_artifacts(self, run_dir: Path) -> None:
        super().save_artifacts(run_dir)
        if not self._matrices_all:
            return
        for name, matrix in self._matrices_all.items():
            save_npy_atomic(run_dir / f"seeds_{name}.npy", matrix)
        record = {
            "layers": self.layer_names,
            "seeds": [self.cfg.seeds.first_seed + k for k in range(self.cfg.seeds.n_seeds)],
            "layer_id_accuracy": self._accuracy,
            "training_reports": self._reports,
        }
        write_text_atomic(run_dir / "seed_identification.json", json.dumps(record, indent=2))

    def trained_target(self) -> torch.nn.Module | None:
        return self._models[0] if self._models else None
