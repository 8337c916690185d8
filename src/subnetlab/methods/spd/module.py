"""Lightning glue of SPD: optimisation loop, logging, final metrics and figures."""

from __future__ import annotations

import fnmatch
import functools
import json
import logging
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure

from subnetlab import registry
from subnetlab.analysis.ci_patterns import pattern_error
from subnetlab.analysis.column_matching import mmcs_ml2r
from subnetlab.analysis.component_contexts import component_contexts
from subnetlab.analysis.component_page import write_component_page
from subnetlab.analysis.component_text_summary import component_text_summary
from subnetlab.analysis.feature_trajectory import (
    FeatureSnapshot,
    diagnose,
    feature_snapshot,
    trajectory_figure,
)
from subnetlab.analysis.induction_heads import (
    HasAttentionPatterns,
    induction_scores,
    previous_token_scores,
)
from subnetlab.data.hf_text import HF_TEXT_DATASET
from subnetlab.data.image_classification import ImageTask
from subnetlab.data.probes import ProbeInputs
from subnetlab.data.sequence_task import SequenceTask
from subnetlab.data.sparse_features import SparseFeatures, one_hot_probe
from subnetlab.data.step_batches import step_generator
from subnetlab.methods.base import RunContext
from subnetlab.methods.decomposition.module import DecompositionModule
from subnetlab.methods.decomposition.schedules import pnorm_at
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.methods.spd import plots
from subnetlab.methods.spd.decomposition import PGDSettings, ReconLoss, SPDDecomposition
from subnetlab.methods.spd.evaluation import masked_reconstruction, split_batches
from subnetlab.methods.spd.induction import (
    InductionEvidenceSource,
    MechanismSplit,
    mechanism_evidence,
)
from subnetlab.methods.spd.init_candidates import (
    CandidateChoice,
    candidate_seed,
    candidate_step,
    train_steps,
)
from subnetlab.models.decomposable import KnownSolution
from subnetlab.models.module_matrices import as_decomposable
from subnetlab.schemas.base import ConfigError, to_dict
from subnetlab.schemas.spd import SPDSchema

log = logging.getLogger("subnetlab")

#: the induction criterion's verdict and evidence (attention-only targets)
MECHANISMS_FILE = "mechanisms.json"
#: module names listed when patterns match none (a large model has hundreds)
SHOWN_NAMES = 16
#: the page of a language-model decomposition's subcomponents, in the run folder
COMPONENT_PAGE = "components.html"
#: which subcomponents carried which TMS feature at every evaluation, in the run folder
TRAJECTORY_FILE = "feature_trajectory.json"
TRAJECTORY_KEY = "spd_feature_trajectory"
CHOICE_KEY = "spd_init_candidates"
MASK_STREAM = 2
PROBE_MAGNITUDE = 0.75
#: sequences per chunk when evaluating a language model (bounds the (B, T, vocab) logits)
EVAL_CHUNK = 64


def resolve_recon_loss(choice: str, token_inputs: bool) -> ReconLoss:
    """``method.recon_loss``: ``auto`` is KL for token-id inputs (a language model's next-token
    distribution) and MSE for float inputs (the toys' regression outputs)."""
    if choice == "auto":
        return "kl" if token_inputs else "mse"
    assert choice in ("mse", "kl")  # the schema's Literal
    return "kl" if choice == "kl" else "mse"


def training_input_datasets() -> list[str]:
    """The datasets whose datamodule serves training inputs: sparse features, token sequences,
    images, and ``hf_text`` (windows for a Hugging Face target)."""
    kinds = (SparseFeatures, SequenceTask, ImageTask)
    names = [n for n, e in registry.datasets().items() if issubclass(e.produces, kinds)]
    return sorted([*names, HF_TEXT_DATASET])


def decomposable_names(model: torch.nn.Module) -> list[str]:
    """Names of ``model``'s decomposable matrices (a toy's own, else its Linear / Embedding /
    Conv1D modules).

    Raises:
        TargetCapabilityError: it has none.
    """
    try:
        return list(as_decomposable(model).weights())
    except ValueError as err:
        raise TargetCapabilityError(str(err)) from None


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
        shown = ", ".join(names[:SHOWN_NAMES])
        more = f", … ({len(names)} in all)" if len(names) > SHOWN_NAMES else ""
        raise ConfigError("method.modules", patterns, f"patterns matching some of: {shown}{more}")
    return chosen


class SPDModule(DecompositionModule):
    """Stochastic Parameter Decomposition of ``ctx.target`` (any network whose matrices are
    nn.Linear / nn.Embedding / Conv1D modules; the toys add their known solutions)."""

    decomposition: SPDDecomposition

    @classmethod
    def check_target(cls, model: torch.nn.Module, model_cfg: Any) -> None:
        decomposable_names(model)

    @classmethod
    def check_data(cls, dataset_cfg: Any) -> None:
        """SPD trains on inputs drawn by the dataset: sparse features, token sequences
        (``char_lm``, ``hf_text``, ...) or images (``digits``)."""
        allowed = training_input_datasets()
        if dataset_cfg.name not in allowed:
            raise ConfigError(
                "dataset", dataset_cfg.name, f"a dataset SPD can draw inputs from: {allowed}"
            )

    @classmethod
    def check_options_for_target(cls, method_cfg: SPDSchema, model: torch.nn.Module) -> None:
        """The patterns must match decomposable matrices, and each matrix whose perfect
        decomposition is known needs at least that many subcomponents (C), or its
        target-solution error could not be measured."""
        chosen = resolve_module_C(decomposable_names(model), method_cfg.modules)
        expected = model.expected_ci_patterns() if isinstance(model, KnownSolution) else {}
        for name, (kind, size) in expected.items():
            if name in chosen and chosen[name] < size:
                raise ConfigError(
                    "method.modules",
                    [to_dict(entry) for entry in method_cfg.modules],
                    f"C ≥ {size} for {name} (its perfect decomposition is a {kind} pattern of "
                    f"{size} subcomponents), e.g. 'method.modules=[{{pattern:\"*\",C:{size}}}]'",
                )
        annealing = method_cfg.p_anneal
        if annealing.final_p is not None and annealing.start_frac >= annealing.end_frac:
            raise ConfigError(
                "method.p_anneal",
                to_dict(annealing),
                "start_frac < end_frac (p moves from method.pnorm to final_p between them)",
            )

    def __init__(self, cfg: SPDSchema, ctx: RunContext) -> None:
        super().__init__()
        if ctx.target is None or not isinstance(ctx.datamodule, ProbeInputs):
            raise ValueError("SPD needs a trained target and a datamodule with probe inputs")
        self.cfg = cfg
        self.seed: int = ctx.seed
        self.datamodule: ProbeInputs = ctx.datamodule
        target = as_decomposable(ctx.target)
        # in a tuple, not a submodule: the decomposition holds the target's parameters
        self.target_holder: tuple[torch.nn.Module] = (target,)
        self.module_C: dict[str, int] = resolve_module_C(list(target.weights()), cfg.modules)
        self.decomposition = self.build_decomposition(ctx.seed)
        token_inputs = not self.datamodule.eval_batch(1).is_floating_point()
        self.recon: ReconLoss = resolve_recon_loss(cfg.recon_loss, token_inputs)
        # the toys know their perfect decomposition: they are scored against it
        self.known_solution: bool = isinstance(target, KnownSolution) and not token_inputs
        self.coeffs = to_dict(cfg.coeffs)
        self.token_inputs: bool = token_inputs
        # an attention-only target with head scores: which subcomponents carry its
        # previous-token and induction mechanisms is reported (methods/spd/induction.py)
        self.attention_target: Any = (
            ctx.target
            if isinstance(ctx.target, HasAttentionPatterns)
            and hasattr(ctx.target, "n_heads")
            and token_inputs
            else None
        )
        self._mechanisms: MechanismSplit | None = None
        # the evaluation windows' CI at one step, shared by the final reports (the induction
        # criterion and the component page read the same windows)
        self._eval_ci: tuple[int, torch.Tensor, dict[str, torch.Tensor]] | None = None
        self.summary_writer: Any = ctx.extras.get("summary_writer")
        self._final: dict[str, float] = {}
        self._figure_data: dict[str, Any] = {}
        # TMS targets: which subcomponents carry which feature, at every evaluation
        self.trajectory: list[FeatureSnapshot] = []
        self.choice: CandidateChoice | None = None

    def build_decomposition(self, seed: int) -> SPDDecomposition:
        """Subcomponents and CI functions for the target's chosen matrices, initialised from
        ``seed``."""
        cfg = self.cfg
        return SPDDecomposition(
            self.target_holder[0],
            list(self.module_C),
            self.module_C,
            cfg.d_gate,
            seed=seed,
            ci_fn=cfg.ci_fn,
            ci_hidden=cfg.ci_fn_hidden,
            delta_component=cfg.delta_component,
        )

    def warm_up(self, decomposition: SPDDecomposition) -> float | None:
        """The faithfulness warm-up (``method.faithfulness_warmup_steps``); its final loss."""
        if self.cfg.faithfulness_warmup_steps == 0:
            return None
        with torch.enable_grad():
            return decomposition.fit_components_to_target(
                self.cfg.faithfulness_warmup_steps, self.cfg.faithfulness_warmup_lr
            )

    def on_train_start(self) -> None:
        """The faithfulness warm-up, once, before the first step (not again on resume); then the
        starting point of the feature trajectory (TMS targets)."""
        if self.global_step != 0:
            return
        loss = self.warm_up(self.decomposition)
        if loss is not None and self.logger:
            self.logger.log_metrics({"train/faithfulness_after_warmup": loss}, step=0)
        if self.tracks_features:
            self.evaluate()

    @property
    def tracks_features(self) -> bool:
        """TMS targets: the feature trajectory is recorded at every evaluation."""
        return self.known_solution and "linear1" in self.decomposition.names

    @property
    def evaluation_records_history(self) -> bool:
        return self.tracks_features

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[TRAJECTORY_KEY] = [asdict(snapshot) for snapshot in self.trajectory]
        checkpoint[CHOICE_KEY] = asdict(self.choice) if self.choice is not None else None

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        rows = checkpoint.get(TRAJECTORY_KEY, [])
        self.trajectory = [FeatureSnapshot(**row) for row in rows]
        choice = checkpoint.get(CHOICE_KEY)
        self.choice = CandidateChoice(**choice) if choice else None

    # --- initialisation candidates ----------------------------------------------------------------
    def total_steps(self) -> int:
        return self.trainer.max_steps if self.trainer.max_steps > 0 else self.cfg.steps

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = candidate_step(
            self.total_steps(), self.cfg.init_candidates, self.cfg.init_candidate_frac
        )
        if step is not None and self.global_step == step and self.choice is None:
            self.choose_initialisation()
        super().on_train_batch_end(outputs, batch, batch_idx)

    def choose_initialisation(self) -> None:
        """Train candidates 1 … K − 1 from their own initialisations for as many steps as this
        run has made, score every candidate (this run's decomposition is candidate 0) by its
        loss on the evaluation batch, and continue the best (parameters and optimiser state)."""
        steps, count = self.global_step, self.cfg.init_candidates
        losses, seeds = [self.selection_loss(self.decomposition)], [self.seed]
        states: list[tuple[dict[str, Any], dict[str, Any]] | None] = [None]
        for k in range(1, count):
            seed = candidate_seed(self.seed, k)
            candidate = self.build_decomposition(seed).to(self.device)
            self.warm_up(candidate)
            optimizer = self.optimizer_for(candidate)
            source: Any = self.datamodule  # the run's LightningDataModule: the same draws
            batches = (b.to(self.device) for b in source.train_dataloader())
            step_loss = functools.partial(self.weighted_loss, seed=seed)
            description = f"spd initialisation candidate {k + 1} of {count}"
            train_steps(
                candidate, optimizer, batches, steps, step_loss, self.lr_at_step, description
            )
            losses.append(self.selection_loss(candidate))
            states.append((candidate.state_dict(), optimizer.state_dict()))
            seeds.append(seed)
        best = int(min(range(count), key=losses.__getitem__))
        best = int(self.trainer.strategy.broadcast(best, 0))  # every rank continues the same
        chosen = self.trainer.strategy.broadcast(states[best], 0)
        if chosen is not None:
            model_state, optimizer_state = chosen
            self.decomposition.load_state_dict(model_state)
            running: Any = self.optimizers()  # Lightning's wrapper of the AdamW
            running.optimizer.load_state_dict(optimizer_state)
        self.choice = CandidateChoice(steps, losses, best, seeds)
        shown = ", ".join(f"{loss:.4g}" for loss in losses)
        log.info(
            f"SPD initialisation candidates at step {steps}: losses {shown}; "
            f"candidate {best + 1} continues"
        )
        if self.tracks_features:
            self.evaluate()  # the trajectory's point after the choice

    def weighted_loss(
        self, decomposition: torch.nn.Module, batch: torch.Tensor, step: int, seed: int
    ) -> torch.Tensor:
        """Σ coeff · term of training step ``step`` (masks from ``seed``)."""
        assert isinstance(decomposition, SPDDecomposition)
        terms, _ = self.loss_terms(decomposition, batch, step, seed)
        return self.weighted_total(terms)

    @torch.no_grad()
    def selection_loss(self, decomposition: SPDDecomposition) -> float:
        """The weighted SPD loss on the evaluation batch (its first chunk for token inputs),
        with one fixed mask draw shared by all candidates; inf when not finite."""
        x = self.datamodule.eval_batch()
        if not x.is_floating_point():
            x = split_batches(x, EVAL_CHUNK)[0]
        terms, _ = decomposition.losses(
            x.to(self.device),
            self.pnorm_at_step(self.global_step),
            step_generator(self.seed, 0, MASK_STREAM),
            batched=self.cfg.batched_passes,
            recon=self.recon,
        )
        total = float(self.weighted_total(terms))
        return total if math.isfinite(total) else math.inf

    def pnorm_at_step(self, step: int) -> float:
        annealing = self.cfg.p_anneal
        if annealing.final_p is None:
            return self.cfg.pnorm
        total = self.trainer.max_steps if self.trainer.max_steps > 0 else self.cfg.steps
        return pnorm_at(
            step, total, self.cfg.pnorm, annealing.final_p, annealing.start_frac, annealing.end_frac
        )

    def loss_terms(
        self, decomposition: SPDDecomposition, batch: torch.Tensor, step: int, seed: int
    ) -> tuple[dict[str, torch.Tensor], Any]:
        """Every loss term of training step ``step`` (its masks drawn from ``seed`` and the step),
        and the batch's causal importances."""
        generator = step_generator(seed, step, MASK_STREAM, self.global_rank)
        pgd = (
            PGDSettings(self.cfg.pgd.steps, self.cfg.pgd.step_size)
            if self.cfg.coeffs.pgd_recon > 0
            else None
        )
        return decomposition.losses(
            batch,
            self.pnorm_at_step(step),
            generator,
            batched=self.cfg.batched_passes,
            recon=self.recon,
            pgd=pgd,
        )

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        terms, ci = self.loss_terms(self.decomposition, batch, self.global_step, self.seed)
        total = self.total_loss(terms, "try a lower method.lr or check the target")
        if self.logs_this_step():
            for name, l0 in ci.l0(self.cfg.ci_threshold).items():
                self.log(f"train/ci_l0/{name}", l0)
            if self.cfg.p_anneal.final_p is not None:
                self.log("train/pnorm", self.pnorm_at_step(self.global_step))
        return total

    def run_analysis(self) -> None:
        super().run_analysis()
        if self.choice is not None:
            self._final["init_candidates/chosen"] = float(self.choice.chosen)

    # --- evaluation -------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Decomposition quality: on the toys, target-solution error, MMCS and ML2R on one-hot
        probes (SPD, arXiv:2506.20790, §3); on any other target (language models), the
        reconstruction (KL/MSE, and next-token CE for token inputs) under unmasked, stochastic
        and CI-rounded masks, CI-L0 and alive subcomponents per matrix."""
        if self.known_solution:
            return self.evaluate_known_solution()
        return self.evaluate_reconstruction()

    def evaluate_reconstruction(self) -> dict[str, float]:
        dec = self.decomposition
        eval_x = self.datamodule.eval_batch()
        batches = split_batches(
            eval_x, EVAL_CHUNK if not eval_x.is_floating_point() else len(eval_x)
        )
        pgd = (
            PGDSettings(self.cfg.pgd.eval_steps, self.cfg.pgd.step_size)
            if self.cfg.pgd.eval_steps > 0
            else None
        )
        generator = step_generator(self.seed, 0, MASK_STREAM)
        metrics = masked_reconstruction(
            dec, batches, self.recon, generator, self.cfg.ci_threshold, pgd
        )
        terms, _ = dec.losses(
            batches[0], self.pnorm_at_step(self.global_step), generator, recon=self.recon
        )
        for name, value in terms.items():
            metrics[f"loss/{name}"] = float(value)
        self._figure_data = {"summary": dict(metrics), "norms": dec.subcomponent_norms()}
        attention = [n for n in dec.names if ".attn." in n]
        if self.attention_target is not None and attention:
            metrics.update(self.induction_mechanisms(attention))
        return metrics

    def induction_mechanisms(self, names: list[str]) -> dict[str, float]:
        """Which decomposed attention subcomponents carry the target's previous-token and
        induction mechanisms on the evaluation windows (``methods/spd/induction.py``'s
        criterion): ``mechanisms/passed`` (1 when both are found in disjoint subcomponents), and
        the sizes of the two sets and of their overlap."""
        tokens, ci = self.eval_windows_ci()
        model = self.attention_target
        source = InductionEvidenceSource(
            tokens=tokens,
            causal_importance={n: ci[n] for n in names},
            factors={n: self.decomposition.vu(n) for n in names},
            previous_token_scores=previous_token_scores(model, tokens),
            induction_scores=induction_scores(model, tokens),
            n_heads=model.n_heads,
        )
        split = mechanism_evidence(source)
        self._mechanisms = split
        self._head_scores = (source.previous_token_scores, source.induction_scores)
        return {
            "mechanisms/passed": float(split.passed),
            "mechanisms/previous_token": float(len(split.previous_token)),
            "mechanisms/induction": float(len(split.induction)),
            "mechanisms/overlap": float(len(split.overlap)),
        }

    def evaluate_known_solution(self) -> dict[str, float]:
        dec = self.decomposition
        target: Any = dec.target
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
            weight = target.weights()["linear1"]
            metrics["mmcs"], metrics["ml2r"] = mmcs_ml2r(weight, V, U)
            snapshot = feature_snapshot(
                self.global_step, weight, V, U, ci_probe["linear1"], self.cfg.ci_threshold
            )
            if self.trajectory and self.trajectory[-1].step == snapshot.step:
                self.trajectory.pop()
            self.trajectory.append(snapshot)
            for kind, features in diagnose(snapshot).items():
                metrics[f"diagnosis/{kind}_features"] = float(len(features))
        terms, _ = dec.losses(
            eval_x,
            self.pnorm_at_step(self.global_step),
            step_generator(self.seed, 0, MASK_STREAM),
            recon=self.recon,
        )
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
        if "summary" in data:
            return {
                "ci_l0_and_alive": plots.l0_and_alive(data["summary"], self.decomposition.names),
                "reconstruction_by_mask": plots.reconstruction_by_mask(data["summary"], self.recon),
                "subcomponent_norms": plots.subcomponent_norms(data["norms"]),
            }
        figures = {
            "ci_permuted_one_hot": plots.permuted_ci_heatmap(data["ci_probe"]),
            "subcomponent_norms": plots.subcomponent_norms(data["norms"]),
            "ci_histograms": plots.ci_histograms(data["ci_data"]),
        }
        if self.trajectory:
            marks = {}
            if self.choice is not None:
                marks[self.choice.step] = (
                    f"candidate {self.choice.chosen + 1} of {len(self.choice.losses)} continues"
                )
            figures["feature_trajectory"] = trajectory_figure(self.trajectory, "linear1", marks)
        return figures

    # --- reading components -----------------------------------------------------------------------
    def save_artifacts(self, run_dir: Path) -> None:
        """For token inputs: ``components.html`` (every alive subcomponent's top activating
        contexts and mean CI by token, on the evaluation windows) and its TensorBoard text
        summary. For TMS targets: ``feature_trajectory.json`` (per evaluation step, each
        feature's matched subcomponent, cosine, norm ratio and important subcomponents, and the
        last step's diagnosis)."""
        if self.trajectory:
            record = {
                "module": "linear1",
                "ci_threshold": self.cfg.ci_threshold,
                "snapshots": [asdict(snapshot) for snapshot in self.trajectory],
                "diagnosis": diagnose(self.trajectory[-1]),
                "init_candidates": asdict(self.choice) if self.choice is not None else None,
            }
            (run_dir / TRAJECTORY_FILE).write_text(json.dumps(record, indent=1))
        if not self.token_inputs:
            return
        if self._mechanisms is not None:
            self.write_mechanisms(run_dir / MECHANISMS_FILE)
        page = self.cfg.component_page
        tokens, ci = self.eval_windows_ci()
        modules = component_contexts(
            tokens,
            ci,
            alive_threshold=self.cfg.ci_threshold,
            top_k=page.contexts,
            window=page.window,
            n_top_tokens=page.top_tokens,
            min_token_count=page.min_token_count,
        )
        decode = getattr(self.datamodule, "token_text", str)
        summary = {k: v for k, v in self._final.items() if k.startswith(("ce/", "kl/"))}
        write_component_page(
            run_dir / COMPONENT_PAGE,
            modules,
            decode,
            title=f"SPD subcomponents ({run_dir.name})",
            summary=summary,
            max_contexts=page.contexts,
            max_top_tokens=page.top_tokens,
        )
        if self.summary_writer is not None:
            text = component_text_summary(
                modules,
                decode,
                components_per_module=page.tensorboard_components,
                tokens_per_component=min(page.top_tokens, 5),
            )
            self.summary_writer.add_text("components", text, self.cfg.steps)
        self._eval_ci = None  # (N, T, C) per matrix: not kept past the last report

    def write_mechanisms(self, path: Path) -> None:
        """The induction criterion's verdict with its evidence: each set's subcomponents, every
        matrix's mean CI on and off induction positions, and the target's head scores."""
        split = self._mechanisms
        assert split is not None
        previous, induction = self._head_scores
        record = {
            "passed": split.passed,
            "previous_token": sorted([n, c] for n, c in split.previous_token),
            "induction": sorted([n, c] for n, c in split.induction),
            "overlap": sorted([n, c] for n, c in split.overlap),
            "mean_ci_on_induction_positions": {n: v.tolist() for n, v in split.on.items()},
            "mean_ci_elsewhere": {n: v.tolist() for n, v in split.off.items()},
            "previous_token_head_scores": previous.tolist(),
            "induction_head_scores": induction.tolist(),
        }
        path.write_text(json.dumps(record, indent=1))

    @torch.no_grad()
    def causal_importance_in_chunks(self, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """CI of every subcomponent at every position of ``tokens``: module → (N, T, C)."""
        parts = [
            self.decomposition.ci_of_inputs(chunk).value
            for chunk in split_batches(tokens, EVAL_CHUNK)
        ]
        return {name: torch.cat([p[name] for p in parts]) for name in self.decomposition.names}

    def eval_windows_ci(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The evaluation windows (``eval_batch()``, fixed) and their CI, computed once per
        training step: the induction criterion and the component page read the same."""
        if self._eval_ci is None or self._eval_ci[0] != self.global_step:
            tokens = self.datamodule.eval_batch()
            self._eval_ci = (self.global_step, tokens, self.causal_importance_in_chunks(tokens))
        return self._eval_ci[1], self._eval_ci[2]
