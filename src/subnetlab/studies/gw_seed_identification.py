"""``study=gw_seed_identification``: layer identification across seeds (Kornblith et al. 2019,
arXiv:1905.00414, §6.1 and Table 2) with GW among the measures. K models of the configured
architecture are trained (one ``method=train`` stage per seed); then, per measure, how often each
layer's nearest layer in another seed is its counterpart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from subnetlab.data.probes import available_probes, probe_count
from subnetlab.lifecycle.outputs import figure_footer, save_figures
from subnetlab.lifecycle.runner import build_datamodule, run_device
from subnetlab.lifecycle.targets import load_target
from subnetlab.methods.gw import plots
from subnetlab.methods.gw.analysis import group_layers, layer_representations, solve_layer_gw
from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.module import candidate_layers, select_layers, submodule_names
from subnetlab.methods.gw.pairwise import LayerGW, similarity_layer_matrices
from subnetlab.methods.gw.seed_identification import LAYER_ID_MEASURES, layer_id_accuracy
from subnetlab.schemas.base import ConfigError, defaults_of
from subnetlab.schemas.gw import GWSchema
from subnetlab.schemas.gw_studies import GWSeedIdentificationSchema
from subnetlab.schemas.run import RunConfig
from subnetlab.studies.train_stage import stage_results, train_stage


def first_model_block(joint: LayerGW, n_layers: int) -> LayerGW:
    """The (L, L) GW result among the first model's layers, out of the joint (K·L, K·L) one."""
    block = slice(0, n_layers)
    return replace(
        joint,
        gw=joint.gw[block, block],
        identity_loss=joint.identity_loss[block, block],
        from_product=joint.from_product[block, block],
        product_value=joint.product_value[block, block],
        product_abandoned=joint.product_abandoned[block, block],
    )


def gw_seed_identification(raw: dict[str, Any], cfg: RunConfig, run_dir: Path) -> dict[str, float]:
    """Train ``study.n_seeds`` models (stages ``train_seed=<s>``), then GW (``method=gw``'s
    settings) and the CKA / Procrustes baselines between all their layers at once.

    Writes ``seeds_<measure>.npy`` ((K·L, K·L), layer i of seed k at row k·L + i),
    ``seed_identification.json``, the first seed's layer groups (``groups.json``, L×L matrices,
    dendrogram) and figures. Returns ``layer_id_accuracy/<measure>`` for every measure, the first
    seed's group metrics, and ``seed_mean/<metric>`` over the training stages.

    Raises:
        ConfigError: the dataset serves no probe inputs (before any training).
        StageFailed: a training stage failed.
    """
    study: GWSeedIdentificationSchema = cfg.study
    gw_cfg: GWSchema = cfg.method
    device = run_device(cfg.trainer)
    datamodule = build_datamodule(raw, cfg)
    if not callable(getattr(datamodule, "eval_batch", None)):
        raise ConfigError("dataset", cfg.dataset.name, "a dataset that serves probe inputs")
    n_probes = probe_count(
        "method.probe_size",
        gw_cfg.probe_size,
        defaults_of(GWSchema)["probe_size"],
        available_probes(datamodule),
        f"dataset={cfg.dataset.name}",
    )
    seeds = [study.first_seed + k for k in range(study.n_seeds)]
    stages = [train_stage(raw, run_dir / f"train_seed={seed}", seed) for seed in seeds]
    models = [load_target(str(stage.run_dir), cfg.model).to(device) for stage in stages]
    layers = select_layers(candidate_layers(models[0]), gw_cfg.modules, submodule_names(models[0]))
    probe = datamodule.eval_batch(n_probes)  # type: ignore[union-attr]
    stacked: list[torch.Tensor] = []
    for model in models:
        stacked.extend(layer_representations(model, layers, probe, gw_cfg.pooling).values())
    joint = solve_layer_gw(
        layer_distances(stacked, gw_cfg.metric, gw_cfg.normalize), gw_cfg, device
    )
    matrices = {
        "gw": joint.gw,
        "identity_loss": joint.identity_loss,
        **similarity_layer_matrices(stacked),
    }
    accuracy = {
        name: layer_id_accuracy(matrices[name], len(seeds), closer)
        for name, closer in LAYER_ID_MEASURES.items()
    }
    n = len(layers)
    baselines = {k: v[:n, :n] for k, v in matrices.items() if k not in ("gw", "identity_loss")}
    groups = group_layers(layers, first_model_block(joint, n), baselines, gw_cfg)
    reports = [stage_results(stage) for stage in stages]

    groups.save(run_dir)
    for name, matrix in matrices.items():
        np.save(run_dir / f"seeds_{name}.npy", matrix)
    record = {
        "layers": layers,
        "seeds": seeds,
        "layer_id_accuracy": accuracy,
        "training_reports": reports,
    }
    (run_dir / "seed_identification.json").write_text(json.dumps(record, indent=2))
    figures = {
        **groups.figures(),
        "seed_matrices": plots.seed_heatmaps(
            matrices,
            layers,
            seeds,
            {name: f"layer identification {100 * acc:.0f}%" for name, acc in accuracy.items()},
        ),
    }
    what = f"study gw_seed_identification on {cfg.model.name}"
    seed_text = f"{seeds[0]}-{seeds[-1]} (layer groups: seed {seeds[0]})"
    save_figures(figures, run_dir, None, 0, figure_footer(run_dir, what, seed_text))

    metrics = {
        **groups.metrics(),
        "solver_time_s": joint.time_s,  # all K·L layers together
        "train_time_s": float(sum(stage.metrics["wall_time_s"] for stage in stages)),
        "n_seeds": float(len(seeds)),
    }
    metrics.update({f"layer_id_accuracy/{name}": value for name, value in accuracy.items()})
    for key in reports[0]:
        metrics[f"seed_mean/{key}"] = float(np.mean([report[key] for report in reports]))
    return metrics
