"""Runner glue of ``method=gw``: probe the target, GW between its layers, groups, outputs."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.gw import plots
from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.grouping import average_linkage, cluster_layers, contiguous_segments
from subnetlab.methods.gw.pairwise import LayerGW, gw_layer_matrix, similarity_layer_matrices
from subnetlab.methods.gw.representations import collect_applied_outputs, collect_representations
from subnetlab.schemas.base import ConfigError, flatten, to_dict
from subnetlab.schemas.gw import GWSchema
from subnetlab.utils.atomic_files import save_npy_atomic, write_text_atomic


def _is_decomposable(model: torch.nn.Module) -> bool:
    return callable(getattr(model, "weights", None)) and callable(
        getattr(model, "forward_with", None)
    )


def submodule_names(model: torch.nn.Module) -> list[str]:
    """Every named submodule, in registration (for the models here: depth) order."""
    return [name for name, _ in model.named_modules() if name]


def candidate_layers(model: torch.nn.Module) -> list[str]:
    """Layer names in depth order: a decomposable target's linear maps, a model's
    ``block_names()`` (the transformer's and Hugging Face models' block outputs, an MLP's hidden
    layers), else its submodules."""
    if _is_decomposable(model):
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
    """GW layer clustering of ``ctx.target`` on a probe batch from ``ctx.datamodule``."""

    default_optimized_metric = "n_groups"
    higher_is_better = False
    needs_target = True

    def __init__(self, cfg: GWSchema, ctx: RunContext) -> None:
        super().__init__()
        if ctx.target is None or ctx.datamodule is None:
            raise ValueError("GW layer clustering needs a trained target and a datamodule")
        if not callable(getattr(ctx.datamodule, "eval_batch", None)):
            raise ValueError("GW needs a datamodule with eval_batch(size) for its probe inputs")
        self.cfg, self.ctx = cfg, ctx
        self.target = ctx.target
        self.layer_names = select_layers(
            candidate_layers(ctx.target), cfg.modules, submodule_names(ctx.target)
        )
        self._result: LayerGW | None = None
        self._baselines: dict[str, np.ndarray] = {}
        self._clusters = np.zeros(0, dtype=np.int64)
        self._segments = np.zeros(0, dtype=np.int64)
        self._merges = np.zeros((0, 4))

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"method": to_dict(self.cfg)})

    def _solver_device(self) -> torch.device:
        if self.cfg.solver != "batched" or self.cfg.device == "cpu":
            return torch.device("cpu")
        if self.cfg.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("method.device", "cuda", "'cpu' or 'auto' (no CUDA device here)")
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def probe_inputs(self) -> torch.Tensor:
        """(N, ...) probe inputs shared by every layer."""
        return self.ctx.datamodule.eval_batch(self.cfg.probe_size)  # type: ignore[union-attr]

    def representations(
        self, model: torch.nn.Module, probe: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """name -> (N, d) activations of the selected layers of ``model`` on ``probe``."""
        model.eval()
        if _is_decomposable(model):
            return collect_applied_outputs(model, self.layer_names, probe)
        return collect_representations(model, self.layer_names, probe, self.cfg.pooling)

    def run_analysis(self) -> None:
        cfg = self.cfg
        reps = self.representations(self.target, self.probe_inputs())
        cache = self.ctx.run_dir / "distances.pt" if cfg.cache_distances else None
        distances = layer_distances(reps, cfg.metric, cfg.normalize, cache_path=cache)
        self._result = self._solve(distances)
        if cfg.baselines:
            self._baselines = similarity_layer_matrices(list(reps.values()))
        self._group_layers()

    def _solve(self, distances: torch.Tensor) -> LayerGW:
        """GW between every pair of the (L, N, N) layer distance matrices, as configured."""
        cfg = self.cfg
        return gw_layer_matrix(
            distances.to(self._solver_device()),
            solver=cfg.solver,
            epsilon=cfg.epsilon,
            dtype=torch.float32 if cfg.precision == "float32" else torch.float64,
            prune_ratio=cfg.prune_ratio,
        )

    def _group_layers(self) -> None:
        """Clusters, contiguous segments and merges of the L×L GW matrix."""
        assert self._result is not None
        gw = self._result.gw
        self._merges = average_linkage(gw)
        self._clusters = cluster_layers(gw, self.cfg.n_groups)
        self._segments = contiguous_segments(gw, int(self._clusters.max()) + 1)

    def final_metrics(self) -> dict[str, float]:
        if self._result is None:
            return {}
        result, n = self._result, len(self.layer_names)
        off = ~np.eye(n, dtype=bool)
        return {
            "n_groups": float(self._clusters.max() + 1),
            "n_layers": float(n),
            "solver_time_s": result.time_s,
            "gw_mean": float(result.gw[off].mean()),
            "product_start_won": float(result.from_product[off].sum() / 2),
        }

    def _matrices(self) -> dict[str, np.ndarray]:
        if self._result is None:
            return {}
        return {
            "gw": self._result.gw,
            "identity_loss": self._result.identity_loss,
            **self._baselines,
        }

    def figures(self) -> dict[str, Figure]:
        if self._result is None:
            return {}
        k, n = int(self._clusters.max()) + 1, len(self.layer_names)
        heights = np.sort(self._merges[:, 2])
        cut = None
        if k > 1:  # k groups keep the n − k lowest merges below the cut
            below = float(heights[n - k - 1]) if n - k >= 1 else 0.0
            cut = (below + float(heights[n - k])) / 2
        return {
            "layer_matrices": plots.heatmaps(self._matrices(), self.layer_names),
            "dendrogram": plots.dendrogram_figure(self._merges, self.layer_names, cut),
        }

    def save_artifacts(self, run_dir: Path) -> None:
        if self._result is None:
            return
        for name, matrix in self._matrices().items():
            save_npy_atomic(run_dir / f"{name}.npy", matrix)
        groups = {
            "layers": self.layer_names,
            "clusters": self._clusters.tolist(),
            "segments": self._segments.tolist(),
            "n_groups": int(self._clusters.max()) + 1,
            "solver": self._result.solver,
            "groups": [
                [
                    name
                    for name, g in zip(self.layer_names, self._clusters, strict=True)
                    if g == group
                ]
                for group in range(int(self._clusters.max()) + 1)
            ],
        }
        write_text_atomic(run_dir / "groups.json", json.dumps(groups, indent=2))
