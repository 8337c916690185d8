"""One circuit analysis: examples through the layered net once, the configured algorithm prunes
its edges, the circuit is scored against the full model, the task (when the examples have
targets) and a ground truth (when one is known), at ``tau`` and along ``tau_sweep``.

:func:`find_circuit` is the Python entry point for a network and input tensors of one's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from subnetlab.models.layered import LayeredNet
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.circuit import CircuitSchema
from subnetlab.utils.progress import Progress

from .discover import discover, eap_prefilter
from .edge_graph import EdgeGraph
from .examples import CircuitExamples, encoded_inputs
from .ground_truth import GroundTruth, aucs_of_points, recovery
from .metrics import (
    CircuitMetric,
    Task,
    gap_scaled,
    make_metric,
    recovered_fraction,
    task_performance,
)
from .patching import PatchingCache, build_cache, patched_forward, shuffled_pairs
from .result import DiscoveryResult
from .target import LayeredTarget, layered_target

CORRUPTION_STREAM = 7  # seed offset of the corrupted pairing, apart from the run's other draws


@dataclass
class CircuitAnalysis:
    """What one analysis found."""

    net: LayeredNet
    """the layered net the circuit is a subgraph of."""
    metric_name: str
    result: DiscoveryResult
    """the circuit at the configured ``tau``."""
    metrics: dict[str, float]
    """its scores (see :func:`circuit_scores`), plus ``node_auc``/``edge_auc`` over the sweep
    when a ground truth is known."""
    sweep: list[dict[str, float]]
    """per ``tau_sweep`` threshold: ``tau`` and the scores of its circuit."""


def resolve_metric(metric: str, task: Task | None) -> str:
    """``auto`` → ``kl`` for classification, ``mse`` otherwise (regression, or no targets: the
    scale-free distance to the full model's outputs needs no task)."""
    if metric != "auto":
        return metric
    return "kl" if task == "classification" else "mse"


def check_settings(cfg: CircuitSchema, metric_name: str) -> None:
    """Raise a ConfigError for settings that cannot work together with ``metric_name``."""
    if cfg.algorithm == "eap" and metric_name in ("kl", "mse"):
        raise ConfigError(
            "method.algorithm",
            "eap",
            f"eap_ig with metric={metric_name} (its gradient is zero at the full model, so "
            "plain EAP scores every edge 0), or metric=logit_diff",
        )


def scaled_metric(
    cfg: CircuitSchema,
    metric_name: str,
    cache: PatchingCache,
    labels: torch.Tensor | None,
    empty_outputs: torch.Tensor,
) -> CircuitMetric:
    """The metric the algorithms threshold: in units of the full-versus-empty gap under
    ``tau_scale=gap`` (magnitude ignores it; ``empty_outputs`` are the empty circuit's), in its own
    units under ``absolute``.

    Raises:
        ConfigError: ``tau_scale=gap`` where the empty circuit is as faithful as the full model.
    """
    absolute = make_metric(metric_name, cache.full_outputs, labels)
    if cfg.tau_scale == "absolute" or cfg.algorithm == "magnitude":
        return absolute
    try:
        return gap_scaled(absolute, empty_outputs)
    except ValueError as err:
        raise ConfigError("method.tau_scale", "gap", f"absolute here: {err}") from None


def circuit_scores(
    result: DiscoveryResult,
    cache: PatchingCache,
    metric: CircuitMetric,
    empty_value: float,
    examples: CircuitExamples,
    truth: GroundTruth | None,
) -> dict[str, float]:
    """Faithfulness, size and cost of one circuit; its task score next to the full model's when
    the examples have targets; node (and edge) TPR/FPR against ``truth`` when given."""
    graph = cache.graph
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
        "dangling_nodes": float(graph.dangling_nodes(result.mask)),
        "dangling_edges": float(
            graph.count_edges(result.mask) - graph.count_edges(graph.edges_on_paths(result.mask))
        ),
        "discovery_time_s": result.wall_time_s,
        "forward_passes": float(result.forward_passes),
        "circuits_evaluated": float(result.circuits_evaluated),
        "backward_passes": float(result.backward_passes),
    }
    task = examples.task
    if task is not None and examples.targets is not None:
        targets = examples.targets
        if task == "regression":
            targets = targets.to(outputs.dtype)
        prefix = "task_accuracy" if task == "classification" else "task_loss"
        scores[prefix] = next(iter(task_performance(outputs, targets, task).values()))
        full = task_performance(cache.full_outputs, targets, task)
        scores[f"full_{prefix}"] = next(iter(full.values()))
    if truth is not None:
        scores.update(recovery(truth, graph, result.mask))
    return scores


def analyse(
    target: LayeredTarget,
    examples: CircuitExamples,
    cfg: CircuitSchema,
    seed: int,
    truth: GroundTruth | None = None,
) -> CircuitAnalysis:
    """Find and score the circuit of ``target`` on ``examples`` with the settings of ``cfg``.

    Raises:
        ValueError: the examples do not fit the target (one line, from :func:`encoded_inputs`).
        ConfigError: settings that cannot work together (see :func:`check_settings`).
    """
    metric_name = resolve_metric(cfg.metric, examples.task)
    check_settings(cfg, metric_name)
    inputs = encoded_inputs(target, examples)
    net = target.net
    corrupted = None
    if cfg.ablation == "corrupted":
        generator = torch.Generator().manual_seed(seed + CORRUPTION_STREAM)
        corrupted = shuffled_pairs(inputs, generator)
    cache = build_cache(net, inputs, cfg.ablation, corrupted)
    labels = examples.targets if examples.task == "classification" else None
    with torch.no_grad():
        empty_outputs = patched_forward(cache, cache.graph.empty_mask())
    metric = scaled_metric(cfg, metric_name, cache, labels, empty_outputs)
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

    def scored(result: DiscoveryResult) -> dict[str, float]:
        return circuit_scores(result, cache, metric, empty_value, examples, truth)

    with torch.no_grad():
        empty_value = float(metric(empty_outputs))
    description = f"circuit discovery ({cfg.algorithm})"
    with Progress(description, 1 + len(cfg.tau_sweep), unit="tau value") as done:
        result = run_at(cfg.tau)
        metrics = scored(result)
        done.update()
        sweep = []
        for tau in cfg.tau_sweep:
            sweep.append({"tau": tau, **scored(run_at(tau))})
            done.update()
    if truth is not None and sweep:
        metrics |= aucs_of_points(sweep)
    return CircuitAnalysis(net, metric_name, result, metrics, sweep)


def find_circuit(
    model: nn.Module,
    inputs: torch.Tensor,
    cfg: CircuitSchema | None = None,
    *,
    targets: torch.Tensor | None = None,
    truth_edges: list[torch.Tensor] | None = None,
    seed: int = 0,
) -> CircuitAnalysis:
    """The circuit of a network of one's own on one's own inputs.

    Args:
        model: a layered MLP — an ``nn.Sequential`` of ``nn.Linear`` layers and one elementwise
            activation, or a ``models.mlp.MLP``.
        inputs: (B, n_inputs) clean examples (token ids (B, n_tokens) for a token MLP), B ≥ 2.
        cfg: the ``method=circuit`` settings (defaults when None).
        targets: optional (B,) class labels or (B, n_outputs) regression targets.
        truth_edges: optional true circuit, one (d_out, d_in) bool tensor per Linear layer.
        seed: seeds the corrupted pairing.
    Raises:
        TargetCapabilityError: ``model`` is not a layered MLP.
        ValueError: inputs, targets or truth do not fit the network.
    """
    target = layered_target(model)
    truth = None
    if truth_edges is not None:
        graph = EdgeGraph(tuple(target.widths))
        truth = GroundTruth.from_edges(truth_edges, graph)
        truth.check(graph)
    return analyse(target, CircuitExamples(inputs, targets), cfg or CircuitSchema(), seed, truth)
