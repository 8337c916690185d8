"""``study=gw_compression``: are GW layer groups functional units (Gao et al. 2024,
arXiv:2410.16484 v2, abstract: "downstream applications of model compression and fine-tuning")?
On a residual sequence model: remove blocks in GW's order (group interiors first) against random
and contiguous removals of the same size, and fine-tune each contiguous group alone against all
blocks on the task with shifted labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.lifecycle.outputs import figure_footer, save_figures
from subnetlab.lifecycle.runner import RunResult, build_datamodule, run_device
from subnetlab.lifecycle.stages import run_stage
from subnetlab.lifecycle.targets import load_target
from subnetlab.methods.gw.block_skipping import skipped_blocks
from subnetlab.methods.gw.compression import (
    GroupFinetuning,
    RemovalCurves,
    group_interiors,
    gw_removal_order,
    removal_curves,
)
from subnetlab.methods.gw.downstream_plots import finetune_figure, removal_figure
from subnetlab.registry import build_model
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.gw_studies import GWCompressionSchema
from subnetlab.schemas.run import RunConfig
from subnetlab.studies.train_stage import stage_results, train_stage
from subnetlab.training.sequence_training import evaluate

FINETUNE_METHOD = "subnetlab.methods.finetune.module.FinetuneModule"


def compression_table(curves: RemovalCurves, metric: str) -> str:
    """Markdown table of the removal curves."""
    lines = [
        f"| blocks removed | GW groups | random (mean ± std) | contiguous mean | contiguous best |"
        f" ({metric})",
        "|---|---|---|---|---|",
    ]
    for i, m in enumerate(curves.removed):
        lines.append(
            f"| {m} | {curves.gw[i]:.4f} | {curves.random_mean[i]:.4f} ± {curves.random_std[i]:.4f}"
            f" | {curves.contiguous_mean[i]:.4f} | {curves.contiguous_best[i]:.4f} |"
        )
    return "\n".join(lines)


def _check_setting(raw: dict[str, Any], cfg: RunConfig) -> SequenceTask:
    """The sequence task of ``dataset=``; ConfigErrors for what the study cannot use, before any
    stage runs."""
    if cfg.target.hf_path is not None:
        raise ConfigError(
            "target.hf_path",
            cfg.target.hf_path,
            "null: study=gw_compression removes and fine-tunes blocks of a subnetlab model",
        )
    task = getattr(build_datamodule(raw, cfg), "task", None)
    if not isinstance(task, SequenceTask):
        raise ConfigError(
            "dataset", cfg.dataset.name, "a sequence dataset (modular_addition_seq, char_lm)"
        )
    if not callable(getattr(build_model(cfg.model), "block_names", None)):
        raise ConfigError(
            "model", cfg.model.name, "a residual model whose blocks can be skipped (transformer)"
        )
    return task


def _finetune_stage(
    raw: dict[str, Any],
    stage_dir: Path,
    target_dir: str,
    study: GWCompressionSchema,
    label: str,
    blocks: list[str] | None,
) -> GroupFinetuning:
    """Fine-tune ``blocks`` (None: everything) of the target in ``target_dir`` with
    ``method=finetune`` in ``stage_dir``."""
    method = {
        "_target_": FINETUNE_METHOD,
        "name": "finetune",
        "steps": study.finetune_steps,
        "lr": study.finetune_lr,
        "label_shift": study.label_shift,
        "trainable": blocks,
    }
    overrides = {"method": method, "target": {"ckpt": target_dir}, "optimized_metric": None}
    m = run_stage(raw, stage_dir, overrides).metrics
    return GroupFinetuning(
        label,
        blocks if blocks is not None else ["all"],
        int(m["trainable_params"]),
        {"loss": m["before/test_loss"], "accuracy": m["before/test_accuracy"]},
        {"loss": m["test_loss"], "accuracy": m["test_accuracy"]},
    )


def gw_compression(raw: dict[str, Any], cfg: RunConfig, run_dir: Path) -> dict[str, float]:
    """Stages: ``train/`` (the target, from ``target.seed``; skipped when ``target.ckpt`` is
    given), ``gw/`` (``method=gw`` on it), then one ``finetune_group=<g>/`` per contiguous GW
    group and ``finetune_all/``. The removal curves are computed here on the target.

    Writes ``compression.json``, ``compression.md`` and the figures ``compression`` and
    ``finetune``. Returns the GW stage's metrics, ``compression/*`` (test accuracy, or loss for
    language modelling, against blocks removed) and ``finetune/*``.

    Raises:
        ConfigError: a non-sequence dataset, a model without skippable blocks, or a Hugging Face
            target (before any stage runs).
        StageFailed: a stage failed.
    """
    study: GWCompressionSchema = cfg.study
    task = _check_setting(raw, cfg)
    device = run_device(cfg.trainer)
    if cfg.target.ckpt is not None:
        target_dir = cfg.target.ckpt
    else:
        target_dir = str(train_stage(raw, run_dir / "train", cfg.target.seed).run_dir)
    gw: RunResult = run_stage(
        raw, run_dir / "gw", {"target": {"ckpt": target_dir}, "optimized_metric": None}
    )
    groups = json.loads((gw.run_dir / "groups.json").read_text())
    layers: list[str] = groups["layers"]
    segments = np.array(groups["segments"])
    gw_matrix = np.load(gw.run_dir / "gw.npy")

    target = load_target(target_dir, cfg.model).to(device)
    metric = "accuracy" if task.predict == "last" else "loss"
    test_inputs, test_targets = task.split.x_test.to(device), task.split.y_test.to(device)

    def metric_without(removed: list[int]) -> float:
        with skipped_blocks(target, [layers[i] for i in removed]):
            return evaluate(target, test_inputs, test_targets, task.predict)[metric]

    curves = removal_curves(
        metric_without,
        gw_removal_order(gw_matrix, segments),
        len(group_interiors(segments)),
        study.random_draws,
        cfg.seed,
        metric == "accuracy",
    )
    blocks = {
        g: [name for name, s in zip(layers, segments, strict=True) if s == g]
        for g in sorted(set(segments.tolist()))
    }
    finetuned = [
        _finetune_stage(raw, run_dir / f"finetune_group={g}", target_dir, study, f"group {g}", b)
        for g, b in blocks.items()
    ]
    finetuned.append(_finetune_stage(raw, run_dir / "finetune_all", target_dir, study, "all", None))

    record = {
        "metric": metric,
        "curves": curves.__dict__,
        "finetune": [result.__dict__ for result in finetuned],
        "label_shift": study.label_shift,
    }
    (run_dir / "compression.json").write_text(json.dumps(record, indent=2))
    (run_dir / "compression.md").write_text(compression_table(curves, metric) + "\n")
    figures = {
        "compression": removal_figure(curves, metric),
        "finetune": finetune_figure(finetuned, metric),
    }
    what = f"study gw_compression on {cfg.model.name} (target {Path(target_dir).name})"
    footer = figure_footer(run_dir, what, cfg.seed, f"{study.finetune_steps} fine-tuning steps")
    save_figures(figures, run_dir, None, 0, footer)
    return {**stage_results(gw), **compression_metrics(curves, finetuned, metric)}


def compression_metrics(
    curves: RemovalCurves, finetuned: list[GroupFinetuning], metric: str
) -> dict[str, float]:
    """Flat metrics of the removal curves (``compression/*``) and the fine-tunings
    (``finetune/<label>/*``, ``finetune/before/<metric>``)."""
    k = curves.n_interior
    out = {
        f"compression/full_{metric}": curves.gw[0],
        "compression/interior_blocks": float(k),
        f"compression/gw_{metric}_at_interior": curves.gw[k],
        f"compression/random_{metric}_at_interior": curves.random_mean[k],
        f"compression/contiguous_{metric}_at_interior": curves.contiguous_mean[k],
    }
    for m in curves.removed:
        out[f"compression/gw/{m}"] = curves.gw[m]
        out[f"compression/random/{m}"] = curves.random_mean[m]
        out[f"compression/contiguous/{m}"] = curves.contiguous_mean[m]
    for result in finetuned:
        key = result.label.replace(" ", "")
        out[f"finetune/{key}/{metric}"] = result.after[metric]
        out[f"finetune/{key}/trainable_params"] = float(result.trainable_params)
    out[f"finetune/before/{metric}"] = finetuned[0].before[metric]
    return out
