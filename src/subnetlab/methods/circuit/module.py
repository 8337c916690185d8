"""``method=circuit``: find the circuit of a trained ``model=mlp`` on its BIMT task.

All work runs in ``run_analysis`` (nothing to fit): the target becomes a layered net, the task's
clean examples (and their corrupted partners) are run through it once, the configured algorithm
prunes its edges, and the circuit is scored against the full model, the task and, where the task
has one, its known input→output structure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure

from subnetlab.data.tasks import build_task_data, check_model_fits_task
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.models.mlp import MLP
from subnetlab.schemas.base import ConfigError, flatten, to_dict
from subnetlab.schemas.circuit import CircuitSchema

from .discover import discover, eap_prefilter
from .edge_graph import EdgeGraph
from .ground_truth import recovery, roc_auc
from .metrics import make_metric, recovered_fraction, task_performance
from .patching import build_cache, patched_forward, shuffled_pairs
from .plots import draw_circuit, draw_sweep
from .result import DiscoveryResult
from .task import CircuitTask, circuit_net, circuit_task

MASK_FILE = "circuit_mask.pt"
MASK_FORMAT = "subnetlab-circuit-mask/1"
CORRUPTION_STREAM = 7  # seed offset of the corrupted pairing, apart from the run's other draws


class CircuitModule(MethodModule):
    """Circuit discovery on ``ctx.target`` (a ``model=mlp`` network)."""

    default_optimized_metric = "faithfulness"
    higher_is_better = False
    needs_target = True

    @classmethod
    def check_target(cls, model: torch.nn.Module, model_cfg: Any) -> None:
        if not isinstance(model, MLP):
            raise TargetCapabilityError(
                "circuit discovery needs a layered MLP (Linear layers and elementwise activations)"
            )

    def __init__(self, cfg: CircuitSchema, ctx: RunContext) -> None:
        super().__init__()
        self.cfg, self.ctx = cfg, ctx
        self.network = self._network()
        self.spec = build_task_data(ctx.dataset_cfg, ctx.seed)
        check_model_fits_task(self.network, self.spec)
        self.metric_name = cfg.metric
        if cfg.metric == "auto":
            self.metric_name = "mse" if self.spec.loss == "mse" else "kl"
        uses_eap = cfg.algorithm == "eap" or cfg.eap_prefilter is not None
        if uses_eap and cfg.ig_steps == 0 and self.metric_name in ("kl", "mse"):
            raise ConfigError(
                "method.ig_steps",
                0,
                f"≥ 1 with metric={self.metric_name} (its gradient is zero at the full model, so "
                "plain EAP scores every edge 0), or metric=logit_diff",
            )
        self._metrics: dict[str, float] = {}
        self._result: DiscoveryResult | None = None
        self._sweep: list[dict[str, float]] = []

    def _network(self) -> MLP:
        target = self.ctx.target
        if not isinstance(target, MLP):
            raise ConfigError("target", type(target).__name__, "a model=mlp network (MLP)")
        return target

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"circuit": to_dict(self.cfg)})

    def run_analysis(self) -> None:
        if self.cfg.torch_threads > 0:  # the runner restores the thread count after the run
            torch.set_num_threads(self.cfg.torch_threads)
        self.network.eval()
        cfg = self.cfg
        task = circuit_task(
            self.spec, self.ctx.dataset_cfg.name, self.network, cfg.n_examples, cfg.split
        )
        net = circuit_net(self.network)
        self.layered = net
        corrupted = None
        if cfg.ablation == "corrupted":
            generator = torch.Generator().manual_seed(self.ctx.seed + CORRUPTION_STREAM)
            corrupted = shuffled_pairs(task.inputs, generator)
        cache = build_cache(net, task.inputs, cfg.ablation, corrupted)
        labels = task.targets if task.task == "classification" else None
        metric = make_metric(self.metric_name, cache.full_outputs, labels)
        prefilter = None
        if cfg.eap_prefilter is not None:
            prefilter = eap_prefilter(cache, metric, cfg.eap_prefilter, cfg.ig_steps)

        def run_at(tau: float) -> DiscoveryResult:
            return discover(
                cfg.algorithm,
                cache,
                metric,
                tau,
                ig_steps=cfg.ig_steps,
                candidates_per_pass=cfg.candidates_per_pass,
                abs_value=cfg.abs_value,
                prefilter=prefilter,
            )

        graph = cache.graph
        with torch.no_grad():
            empty_value = float(metric(patched_forward(cache, graph.empty_mask())))
        result = run_at(cfg.tau)
        self._result = result
        self._metrics = self._score(result, task, cache, metric, empty_value)
        self._sweep = []
        for tau in cfg.tau_sweep:
            self._sweep.append(
                {"tau": tau, **self._score(run_at(tau), task, cache, metric, empty_value)}
            )
        if task.truth is not None and self._sweep:
            self._metrics["node_auc"] = roc_auc(
                [r["node_fpr"] for r in self._sweep], [r["node_tpr"] for r in self._sweep]
            )

    def _score(
        self,
        result: DiscoveryResult,
        task: CircuitTask,
        cache: Any,
        metric: Any,
        empty_value: float,
    ) -> dict[str, float]:
        graph: EdgeGraph = cache.graph
        with torch.no_grad():
            outputs = patched_forward(cache, result.mask)
        faithfulness = float(metric(outputs))
        hidden = graph.active_nodes(result.mask)[1:-1]
        scores: dict[str, float] = {
            "faithfulness": faithfulness,
            "faithfulness_recovered": recovered_fraction(faithfulness, empty_value),
            "empty_circuit_metric": empty_value,
            "edges_kept": float(graph.count_edges(result.mask)),
            "edge_fraction": graph.count_edges(result.mask) / graph.num_edges,
            "nodes_kept": float(graph.count_nodes(result.mask)),
            "hidden_neurons_kept": float(sum(int(a.sum()) for a in hidden)),
            "discovery_time_s": result.wall_time_s,
            "forward_passes": float(result.forward_passes),
            "circuits_evaluated": float(result.circuits_evaluated),
            "backward_passes": float(result.backward_passes),
        }
        prefix = "task_accuracy" if task.task == "classification" else "task_loss"
        circuit_task_score = task_performance(outputs, task.targets, task.task)
        full_task_score = task_performance(cache.full_outputs, task.targets, task.task)
        scores[prefix] = next(iter(circuit_task_score.values()))
        scores[f"full_{prefix}"] = next(iter(full_task_score.values()))
        if task.truth is not None:
            scores.update(recovery(task.truth, graph, result.mask))
        return scores

    def final_metrics(self) -> dict[str, float]:
        return dict(self._metrics)

    def figures(self) -> dict[str, Figure]:
        if self._result is None:
            return {}
        cfg = self.cfg
        title = f"{cfg.algorithm} tau={cfg.tau:g}: {int(self._metrics['edges_kept'])} edges"
        figures = {
            "circuit": draw_circuit(self.network, self.layered.weights, self._result.mask, title)
        }
        if self._sweep:
            figures["tau_sweep"] = draw_sweep(self._sweep)
        return figures

    def save_artifacts(self, run_dir: Path) -> None:
        if self._result is None:
            return
        payload = {
            "format": MASK_FORMAT,
            "algorithm": self._result.algorithm,
            "tau": self._result.tau,
            "metric": self.metric_name,
            "ablation": self.cfg.ablation,
            "widths": list(self.layered.widths),
            "order": "task",
            "mask": [m.clone() for m in self._result.mask],
            "scores": [s.detach().clone() for s in self._result.scores],
        }
        torch.save(payload, run_dir / MASK_FILE)
        if self._sweep:
            (run_dir / "circuit_sweep.json").write_text(json.dumps(self._sweep, indent=1))
