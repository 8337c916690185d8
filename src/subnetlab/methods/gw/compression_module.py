"""``experiment=gw_compression``: GW groups of a residual sequence model, then the downstream
checks: remove blocks (GW group interiors vs random vs contiguous) and fine-tune one group vs all.
"""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.figure import Figure

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.methods.base import RunContext
from subnetlab.methods.gw.block_skipping import skipped_blocks
from subnetlab.methods.gw.compression import (
    RemovalCurves,
    group_interiors,
    gw_removal_order,
    removal_curves,
)
from subnetlab.methods.gw.downstream_plots import finetune_figure, removal_figure
from subnetlab.methods.gw.group_finetuning import FinetuneResult, finetune
from subnetlab.methods.gw.module import GWModule
from subnetlab.schemas.gw import GWSchema
from subnetlab.training.sequence_training import evaluate
from subnetlab.utils.atomic_files import write_text_atomic


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


class GWCompressionModule(GWModule):
    """GW layer clustering plus layer removal and group fine-tuning (residual sequence models)."""

    def __init__(self, cfg: GWSchema, ctx: RunContext) -> None:
        super().__init__(cfg, ctx)
        task = getattr(ctx.datamodule, "task", None)
        if not isinstance(task, SequenceTask):
            raise ValueError(
                "gw_compression needs a sequence dataset (modular_addition_seq, char_lm) whose "
                "datamodule exposes its task"
            )
        if not callable(getattr(ctx.target, "block_names", None)):
            raise ValueError("gw_compression needs a residual target with block_names()")
        self.task = task
        self.metric = "accuracy" if task.predict == "last" else "loss"
        self.higher_is_better_metric = self.metric == "accuracy"
        self._curves: RemovalCurves | None = None
        self._finetuned: list[FinetuneResult] = []

    def _metric_without(self, removed: list[int]) -> float:
        names = [self.layer_names[i] for i in removed]
        with skipped_blocks(self.target, names):
            split = self.task.split
            scores = evaluate(self.target, split.x_test, split.y_test, self.task.predict)
        return scores[self.metric]

    def run_analysis(self) -> None:
        super().run_analysis()
        assert self._result is not None
        down = self.cfg.downstream
        self._curves = removal_curves(
            self._metric_without,
            gw_removal_order(self._result.gw, self._segments),
            len(group_interiors(self._segments)),
            down.random_draws,
            self.ctx.seed,
            self.higher_is_better_metric,
        )
        shifted = self.task.shifted(down.label_shift)
        groups = sorted(set(self._segments.tolist()))
        blocks = {
            f"group {g}": [
                n for n, s in zip(self.layer_names, self._segments, strict=True) if s == g
            ]
            for g in groups
        }
        batch = getattr(self.ctx.datamodule, "cfg", None)
        batch_size = getattr(batch, "batch_size", 256)
        self._finetuned = [
            finetune(
                self.target,
                shifted,
                names,
                label,
                down.finetune_steps,
                down.finetune_lr,
                batch_size,
                self.ctx.seed,
            )
            for label, names in [*blocks.items(), ("all", None)]
        ]

    def final_metrics(self) -> dict[str, float]:
        out = super().final_metrics()
        curves = self._curves
        if curves is None:
            return out
        k, metric = curves.n_interior, self.metric
        out[f"compression/full_{metric}"] = curves.gw[0]
        out["compression/interior_blocks"] = float(k)
        out[f"compression/gw_{metric}_at_interior"] = curves.gw[k]
        out[f"compression/random_{metric}_at_interior"] = curves.random_mean[k]
        out[f"compression/contiguous_{metric}_at_interior"] = curves.contiguous_mean[k]
        for m in curves.removed:
            out[f"compression/gw/{m}"] = curves.gw[m]
            out[f"compression/random/{m}"] = curves.random_mean[m]
            out[f"compression/contiguous/{m}"] = curves.contiguous_mean[m]
        for result in self._finetuned:
            key = result.label.replace(" ", "")
            out[f"finetune/{key}/{metric}"] = result.after[metric]
            out[f"finetune/{key}/trainable_params"] = float(result.trainable_params)
        if self._finetuned:
            out[f"finetune/before/{metric}"] = self._finetuned[0].before[metric]
        return out

    def figures(self) -> dict[str, Figure]:
        out = super().figures()
        if self._curves is not None:
            out["compression"] = removal_figure(self._curves, self.metric)
            out["finetune"] = finetune_figure(self._finetuned, self.metric)
        return out

    def save_artifacts(self, run_dir: Path) -> None:
        super().save_artifacts(run_dir)
        if self._curves is None:
            return
        record = {
            "metric": self.metric,
            "curves": self._curves.__dict__,
            "finetune": [r.__dict__ for r in self._finetuned],
            "label_shift": self.cfg.downstream.label_shift,
        }
        write_text_atomic(run_dir / "compression.json", json.dumps(record, indent=2))
        table = compression_table(self._curves, self.metric)
        write_text_atomic(run_dir / "compression.md", table + "\n")
