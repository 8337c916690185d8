"""Lightning glue of SPD: optimisation loop, logging, final metrics and figures."""

from __future__ import annotations

import fnmatch
from typing import Any

import torch
from matplotlib.figure import Figure

from subnetlab.analysis.ci_patterns import pattern_error
from subnetlab.analysis.column_matching import mmcs_ml2r
from subnetlab.data.probes import ProbeInputs
from subnetlab.data.sparse_features import one_hot_probe
from subnetlab.data.step_batches import step_generator
from subnetlab.methods.base import RunContext
from subnetlab.methods.decomposition.module import DecompositionModule
from subnetlab.methods.spd import plots
from subnetlab.methods.spd.decomposition import SPDDecomposition
from subnetlab.models.decomposable import DecomposableModel
from subnetlab.schemas.base import ConfigError, to_dict
from subnetlab.schemas.spd import SPDSchema

MASK_STREAM = 2
PROBE_MAGNITUDE = 0.75


def resolve_module_C(names: list[str], module_cfg: list[Any]) -> dict[str, int]:
    """Decomposed modules and their C: the first ``{pattern, C}`` matching a name wins."""
    chosen: dict[str, int] = {}
    for name in names:
        for entry in module_cfg:
            if fnmatch.fnmatch(name, entry.pattern):
                chosen[name] = entry.C
                break
    if not chosen:
        patterns = [entry.pattern for entry in module_cfg]
        raise ConfigError("method.modules", patterns, f"patterns matching some of {names}")
    return chosen


class SPDModule(DecompositionModule):
    """Stochastic Parameter Decomposition of ``ctx.target``."""

    decomposition: SPDDecomposition

    @classmethod
    def check_options_for_target(cls, method_cfg: SPDSchema, model: torch.nn.Module) -> None:
        """The patterns must match decomposable matrices, and each matrix whose perfect
        decomposition is known needs at least that many subcomponents (C), or its
        target-solution error could not be measured."""
        assert isinstance(model, DecomposableModel)  # check_target ran first
        chosen = resolve_module_C(list(model.weights()), method_cfg.modules)
        for name, (kind, size) in model.expected_ci_patterns().items():
            if name in chosen and chosen[name] < size:
                raise ConfigError(
                    "method.modules",
                    [to_dict(entry) for entry in method_cfg.modules],
                    f"C ≥ {size} for {name} (its perfect decomposition is a {kind} pattern of "
                    f"{size} subcomponents), e.g. 'method.modules=[{{pattern:\"*\",C:{size}}}]'",
                )

    def __init__(self, cfg: SPDSchema, ctx: RunContext) -> None:
        super().__init__()
        if not isinstance(ctx.target, DecomposableModel) or not isinstance(
            ctx.datamodule, ProbeInputs
        ):
            raise ValueError(
                "SPD needs a trained decomposable target and a datamodule with probe inputs"
            )
        self.cfg = cfg
        self.seed: int = ctx.seed
        self.datamodule: ProbeInputs = ctx.datamodule
        names = list(ctx.target.weights())
        C = resolve_module_C(names, cfg.modules)
        self.decomposition = SPDDecomposition(ctx.target, list(C), C, cfg.d_gate, seed=ctx.seed)
        self.coeffs = to_dict(cfg.coeffs)
        self._final: dict[str, float] = {}
        self._figure_data: dict[str, Any] = {}

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        generator = step_generator(self.seed, self.global_step, MASK_STREAM, self.global_rank)
        terms, ci = self.decomposition.losses(
            batch, self.cfg.pnorm, generator, batched=self.cfg.batched_passes
        )
        total = self.total_loss(terms, "try a lower method.lr or check the target")
        if self.logs_this_step():
            for name, l0 in ci.l0(self.cfg.ci_threshold).items():
                self.log(f"train/ci_l0/{name}", l0)
        return total

    # --- evaluation -------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Decomposition quality on a held-out batch and one-hot probes: target-solution error,
        MMCS and ML2R (SPD, arXiv:2506.20790, §3)."""
        dec = self.decomposition
        target = dec.target
        metrics: dict[str, float] = {}
        eval_x = self.datamodule.eval_batch()
        ci_data = dec.ci_of_inputs(eval_x).value
        n_features = eval_x.shape[-1]
        ci_probe = dec.ci_of_inputs(one_hot_probe(n_features, PROBE_MAGNITUDE)).value
        patterns = target.expected_ci_patterns()
        total_error = 0
        for name in dec.names:
            alive = (ci_data[name] > self.cfg.ci_threshold).any(0) | (
                ci_probe[name] > self.cfg.ci_threshold
            ).any(0)
            metrics[f"ci_l0/{name}"] = float(
                (ci_data[name] > self.cfg.ci_threshold).float().sum(-1).mean()
            )
            metrics[f"alive/{name}"] = float(alive.sum())
            if name in patterns:
                error = pattern_error(ci_probe[name], patterns[name], self.cfg.tolerance)
                metrics[f"target_solution_error/{name}"] = float(error)
                total_error += error
        metrics["target_solution_error"] = float(total_error)
        if "linear1" in dec.names:  # TMS: compare subcomponent columns with the target's
            V, U = dec.vu("linear1")
            metrics["mmcs"], metrics["ml2r"] = mmcs_ml2r(target.weights()["linear1"], V, U)
        terms, _ = dec.losses(eval_x, self.cfg.pnorm, step_generator(self.seed, 0, MASK_STREAM))
        for name, value in terms.items():
            metrics[f"loss/{name}"] = float(value)
        self._figure_data = {
            "ci_probe": ci_probe,
            "ci_data": ci_data,
            "norms": dec.subcomponent_norms(),
        }
        return metrics

    def figures(self) -> dict[str, Figure]:
        data = self._figure_data
        if not data:
            return {}
        return {
            "ci_permuted_one_hot": plots.permuted_ci_heatmap(data["ci_probe"]),
            "subcomponent_norms": plots.subcomponent_norms(data["norms"]),
            "ci_histograms": plots.ci_histograms(data["ci_data"]),
        }
