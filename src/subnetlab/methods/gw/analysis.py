"""GW layer analysis of trained models as plain functions: the layers' representations on a probe
set, GW between every pair of layers' intra-layer distance matrices, and the layer groups it
gives (Gao et al. 2024, arXiv:2410.16484, abstract and §1: GW dissimilarity between layers,
block structure along the diagonal). ``method=gw`` and the GW studies share them."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from subnetlab.methods.gw import plots
from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.grouping import (
    average_linkage,
    cluster_layers,
    contiguous_segments,
    cut_at_height,
)
from subnetlab.methods.gw.pairwise import LayerGW, gw_layer_matrix, similarity_layer_matrices
from subnetlab.methods.gw.representations import (
    Pooling,
    collect_applied_outputs,
    collect_representations,
)
from subnetlab.schemas.gw import GWSchema


def is_decomposable(model: nn.Module) -> bool:
    """Whether ``model`` names its linear maps (``weights()``) and applies them through
    ``forward_with(x, apply)`` (models/decomposable.py): its layers are those maps' outputs."""
    return callable(getattr(model, "weights", None)) and callable(
        getattr(model, "forward_with", None)
    )


def _device_of(model: nn.Module) -> torch.device:
    """Where ``model``'s tensors live (the CPU for a model without any)."""
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        return tensor.device
    return torch.device("cpu")


def layer_representations(
    model: nn.Module, layers: list[str], probe: torch.Tensor, pooling: Pooling
) -> dict[str, torch.Tensor]:
    """layer -> (N, d_layer) float64 CPU activations of ``model`` on the (N, ...) ``probe``.

    The forward pass runs where ``model`` lives; ``probe`` is moved there. A decomposable model's
    layers are its linear maps' outputs (before bias), any other model's are hooked submodule
    outputs, sequences pooled by ``pooling``.
    """
    model.eval()
    probe = probe.to(_device_of(model))
    if is_decomposable(model):
        return collect_applied_outputs(model, layers, probe)
    return collect_representations(model, layers, probe, pooling)


def solve_layer_gw(distances: torch.Tensor, cfg: GWSchema, device: torch.device) -> LayerGW:
    """GW between every pair of the (L, N, N) layer distance matrices as ``cfg`` says.

    The batched solver runs on ``device`` (the run's ``trainer.accelerator``); the POT solvers
    (``pot_exact``, ``entropic``) run on the CPU.
    """
    where = device if cfg.solver == "batched" else torch.device("cpu")
    return gw_layer_matrix(
        distances.to(where),
        solver=cfg.solver,
        epsilon=cfg.epsilon,
        dtype=torch.float32 if cfg.precision == "float32" else torch.float64,
        prune_ratio=cfg.prune_ratio,
    )


@dataclass
class LayerGroups:
    """GW between the L layers of one model and the groups it gives."""

    layers: list[str]  # L names in depth order
    result: LayerGW  # (L, L) GW matrices
    baselines: dict[str, np.ndarray]  # name -> (L, L): linear/debiased CKA, Procrustes (or none)
    merges: np.ndarray  # (L − 1, 4) average-linkage merges (scipy linkage format)
    clusters: np.ndarray  # (L,) group of each layer
    segments: np.ndarray  # (L,) contiguous group of each layer along depth

    @property
    def n_groups(self) -> int:
        return int(self.clusters.max()) + 1

    def matrices(self) -> dict[str, np.ndarray]:
        """name -> (L, L): GW, the identity coupling's loss, then the baselines."""
        return {"gw": self.result.gw, "identity_loss": self.result.identity_loss, **self.baselines}

    def metrics(self) -> dict[str, float]:
        """``n_groups``, ``n_layers``, ``solver_time_s``, ``gw_mean`` (off-diagonal mean) and
        ``product_start_won`` (pairs whose kept value came from the product coupling)."""
        n = len(self.layers)
        off = ~np.eye(n, dtype=bool)
        return {
            "n_groups": float(self.n_groups),
            "n_layers": float(n),
            "solver_time_s": self.result.time_s,
            "gw_mean": float(self.result.gw[off].mean()),
            "product_start_won": float(self.result.from_product[off].sum() / 2),
        }

    def figures(self) -> dict[str, Figure]:
        """The L×L heatmaps and the dendrogram, coloured by group, with the cut that gives the
        groups when one height does (the separation rule's groups may lie at several)."""
        k, n = self.n_groups, len(self.layers)
        heights = np.sort(self.merges[:, 2])
        cut = None
        if k > 1 and np.array_equal(cut_at_height(self.merges, k), self.clusters):
            # k groups keep the n − k lowest merges below the cut
            below = float(heights[n - k - 1]) if n - k >= 1 else 0.0
            cut = (below + float(heights[n - k])) / 2
        return {
            "layer_matrices": plots.heatmaps(
                self.matrices(), self.layers, self.segments, self.clusters
            ),
            "dendrogram": plots.dendrogram_figure(self.merges, self.layers, cut, self.clusters),
        }

    def save(self, run_dir: Path) -> None:
        """``<matrix>.npy`` per L×L matrix and ``groups.json`` (layers, clusters, segments)."""
        for name, matrix in self.matrices().items():
            np.save(run_dir / f"{name}.npy", matrix)
        groups = {
            "layers": self.layers,
            "clusters": self.clusters.tolist(),
            "segments": self.segments.tolist(),
            "n_groups": self.n_groups,
            "solver": self.result.solver,
            "groups": [
                [name for name, g in zip(self.layers, self.clusters, strict=True) if g == group]
                for group in range(self.n_groups)
            ],
        }
        (run_dir / "groups.json").write_text(json.dumps(groups, indent=2))


def group_layers(
    layers: list[str], result: LayerGW, baselines: dict[str, np.ndarray], cfg: GWSchema
) -> LayerGroups:
    """Average-linkage merges, the clusters ``cfg`` asks for (``n_groups``, else chosen by
    ``group_rule``) and the contiguous segmentation of the (L, L) ``result.gw`` into as many."""
    merges = average_linkage(result.gw)
    clusters = cluster_layers(result.gw, cfg.n_groups, cfg.group_rule, cfg.separation_ratio)
    segments = contiguous_segments(result.gw, int(clusters.max()) + 1)
    return LayerGroups(layers, result, baselines, merges, clusters, segments)


def analyse_layers(
    reps: dict[str, torch.Tensor],
    cfg: GWSchema,
    device: torch.device,
    cache_path: Path | None = None,
) -> LayerGroups:
    """GW layer groups of one model from its layer -> (N, d) representations (``cfg``: metric,
    normalisation, solver, baselines, grouping); ``cache_path`` keeps the (L, N, N) distances."""
    distances = layer_distances(reps, cfg.metric, cfg.normalize, cache_path=cache_path)
    result = solve_layer_gw(distances, cfg, device)
    baselines = similarity_layer_matrices(list(reps.values())) if cfg.baselines else {}
    return group_layers(list(reps), result, baselines, cfg)
