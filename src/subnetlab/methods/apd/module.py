"""Lightning glue of APD: optimisation loop, logging, final metrics and figures."""

from __future__ import annotations

import fnmatch
from typing import Any

import torch
from matplotlib.figure import Figure

from subnetlab.data.probes import ProbeInputs
from subnetlab.data.sparse_features import one_hot_probe
from subnetlab.methods.apd import plots
from subnetlab.methods.apd.decomposition import APDDecomposition
from subnetlab.methods.apd.metrics import (
    attribution_shares,
    columns_mmcs_ml2r,
    module_l0,
    probe_identity_error,
    share_l0,
)
from subnetlab.methods.base import RunContext
from subnetlab.methods.decomposition.module import DecompositionModule
from subnetlab.models.decomposable import DecomposableModel, KnownSolution
from subnetlab.schemas.apd import APDSchema
from subnetlab.schemas.base import ConfigError, to_dict

PROBE_MAGNITUDE = 0.75


def select_modules(names: list[str], patterns: list[str]) -> list[str]:
    """Decomposed modules: the names matching any fnmatch pattern, in forward order."""
    chosen = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    if not chosen:
        raise ConfigError("method.modules", patterns, f"patterns matching some of {names}")
    return chosen


class APDModule(DecompositionModule):
    """Attribution-based Parameter Decomposition of ``ctx.target``.

    APD is deterministic given the batch (no masks are sampled): the run's randomness is the
    component initialisation (seeded by the run seed) and the step-seeded data batches.
    """

    decomposition: APDDecomposition

    @classmethod
    def check_options_for_target(cls, method_cfg: APDSchema, model: torch.nn.Module) -> None:
        """The patterns must match decomposable matrices, and C must cover every matched matrix
        whose perfect decomposition is known (its target-solution error is measured)."""
        assert isinstance(model, DecomposableModel) and isinstance(model, KnownSolution)
        modules = select_modules(list(model.weights()), method_cfg.modules)
        for name, (kind, size) in model.expected_ci_patterns().items():
            if name in modules and method_cfg.C < size:
                raise ConfigError(
                    "method.C",
                    method_cfg.C,
                    f"≥ {size}: {name}'s perfect decomposition is a {kind} pattern of {size} "
                    "components",
                )

    def __init__(self, cfg: APDSchema, ctx: RunContext) -> None:
        super().__init__()
        if not isinstance(ctx.target, DecomposableModel) or not isinstance(
            ctx.datamodule, ProbeInputs
        ):
            raise ValueError(
                "APD needs a trained decomposable target and a datamodule with probe inputs"
            )
        self.cfg, self.seed = cfg, ctx.seed
        self.datamodule: ProbeInputs = ctx.datamodule
        weights = ctx.target.weights()
        modules = select_modules(list(weights), cfg.modules)
        full = {n: min(weights[n].shape) for n in modules}
        if cfg.rank is not None and any(cfg.rank > r for r in full.values()):
            raise ConfigError("method.rank", cfg.rank, f"null or ≤ the matrix ranks {full}")
        rank = full if cfg.rank is None else {n: cfg.rank for n in modules}
        self.decomposition = APDDecomposition(ctx.target, modules, cfg.C, rank, seed=ctx.seed)
        self.coeffs = to_dict(cfg.coeffs)
        self._final: dict[str, float] = {}
        self._figure_data: dict[str, Any] = {}

    def _losses(self, x: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor, Any]:
        cfg = self.cfg
        return self.decomposition.losses(
            x,
            cfg.topk,
            cfg.schatten_pnorm,
            cfg.schatten_form,
            cfg.attribution_source,
            cfg.attribution_chunk,
        )

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        terms, mask, _ = self._losses(batch)
        total = self.total_loss(
            terms, "try a lower method.lr, schatten_form=factor_norms or check the target"
        )
        if self.logs_this_step():
            self.log("train/l0", mask.float().sum(-1).mean())
        return total

    # --- evaluation -------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Decomposition quality on a held-out batch and one-hot probes, on SPD's metric names.

        - ``l0/<m>``: mean number of top-k-active components per datapoint whose matrix in module
          m is non-negligible (Frobenius norm ≥ ``min_norm_fraction`` × the largest there);
        - ``ci_l0/<m>``: mean number of components per datapoint whose share of the attribution
          restricted to module m exceeds ``importance_threshold`` (the analogue of CI > 0.1);
        - ``target_solution_error``: identity-pattern error of the attribution shares on one-hot
          probes (APD components span every module, so one pattern, one component per feature);
        - ``mmcs``/``ml2r``: TMS linear1 columns of the full component matrices.
        """
        cfg, dec = self.cfg, self.decomposition
        metrics: dict[str, float] = {}
        eval_x = self.datamodule.eval_batch()
        terms, mask, attr = self._losses(eval_x)
        n_features = eval_x.shape[-1]
        probe_x = one_hot_probe(n_features, PROBE_MAGNITUDE)
        probe = dec.attributions(probe_x, cfg.attribution_source, cfg.attribution_chunk)
        probe_shares = attribution_shares(probe.total)
        norms = dec.component_norms()
        metrics["l0"] = float(mask.float().sum(-1).mean())
        metrics["ci_l0"] = share_l0(attribution_shares(attr.total), cfg.importance_threshold)
        for name in dec.names:
            present = norms[name] >= cfg.min_norm_fraction * norms[name].max()
            data_shares = attribution_shares(attr.per_module[name])
            module_probe_shares = attribution_shares(probe.per_module[name])
            alive = (data_shares > cfg.importance_threshold).any(0) | (
                module_probe_shares > cfg.importance_threshold
            ).any(0)
            metrics[f"l0/{name}"] = module_l0(mask, present)
            metrics[f"ci_l0/{name}"] = share_l0(data_shares, cfg.importance_threshold)
            metrics[f"alive/{name}"] = float(alive.sum())
            metrics[f"n_components/{name}"] = float(present.sum())
        error = probe_identity_error(probe_shares, cfg.tolerance)
        metrics["target_solution_error/components"] = float(error)
        metrics["target_solution_error"] = float(error)
        if "linear1" in dec.names:  # TMS: compare component columns with the target's
            target_w = dec.target_weights()["linear1"]
            metrics["mmcs"], metrics["ml2r"] = columns_mmcs_ml2r(target_w, dec.matrices("linear1"))
        for name, value in terms.items():
            metrics[f"loss/{name}"] = float(value)
        self._figure_data = {"probe_shares": probe_shares, "norms": norms}
        return metrics

    def figures(self) -> dict[str, Figure]:
        data = self._figure_data
        if not data:
            return {}
        return {
            "attribution_shares_one_hot": plots.attribution_share_heatmap(data["probe_shares"]),
            "component_norms": plots.component_norms(data["norms"]),
        }
