"""Scoring a circuit against a known one: node/edge TPR and FPR, ROC AUC over a tau sweep.

Nodes are scored per output: the pair (output ``o``, neuron ``n``) is positive when ``n`` belongs
to the part of the true circuit that computes ``o``, and the circuit predicts it when ``n`` lies on
a kept path from an input to ``o``. For a task that only knows which inputs each output depends on
(the symbolic formulas) the scored neurons are the inputs; a planted circuit also knows the hidden
neurons. Output neurons are never scored (output ``o`` always belongs to its own circuit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .edge_graph import EdgeGraph, EdgeMask


@dataclass(frozen=True)
class GroundTruth:
    """The true circuit, as far as it is known."""

    nodes: list[torch.Tensor | None]
    """per node layer but the outputs, (n_out, width) bool or None where unknown."""
    edges: EdgeMask | None = None
    """per weight layer, (d_out, d_in) bool: the true circuit's edges, when known."""

    @classmethod
    def from_dependencies(cls, dependencies: torch.Tensor, widths: Sequence[int]) -> GroundTruth:
        """Only input→output dependencies known: ``dependencies[o, i]`` = output o uses input i."""
        if dependencies.shape != (widths[-1], widths[0]):
            raise ValueError(
                f"dependencies have shape {tuple(dependencies.shape)}; expected "
                f"(n_out, n_in) = ({widths[-1]}, {widths[0]})"
            )
        return cls(nodes=[dependencies.bool()] + [None] * (len(widths) - 2))

    @classmethod
    def from_edges(cls, edges: EdgeMask, graph: EdgeGraph) -> GroundTruth:
        """Only the true circuit's edges known: neuron ``n`` belongs to output ``o``'s circuit
        when it lies on a true input→output path to ``o`` (as a discovered circuit's nodes are
        read off its edges).

        Raises:
            ValueError: the masks do not fit ``graph``.
        """
        graph.check_mask(edges)
        nodes: list[torch.Tensor | None] = list(graph.output_reach(edges)[:-1])
        return cls(nodes=nodes, edges=[e.clone() for e in edges])

    def check(self, graph: EdgeGraph) -> None:
        """Raise ValueError unless shapes fit ``graph`` and nodes hold positives and negatives."""
        if len(self.nodes) != len(graph.widths) - 1:
            raise ValueError(
                f"ground truth has {len(self.nodes)} node layers; expected {len(graph.widths) - 1}"
            )
        known = [t for t in self.nodes if t is not None]
        for layer, t in enumerate(self.nodes):
            if t is not None and tuple(t.shape) != (graph.widths[-1], graph.widths[layer]):
                raise ValueError(
                    f"ground-truth node layer {layer} has shape {tuple(t.shape)}; expected "
                    f"{(graph.widths[-1], graph.widths[layer])}"
                )
        if not known or not any(t.any() for t in known) or all(t.all() for t in known):
            raise ValueError("ground-truth nodes need both members and non-members of the circuit")
        if self.edges is not None:
            graph.check_mask(self.edges)


def _rates(predicted: torch.Tensor, truth: torch.Tensor) -> tuple[float, float]:
    """(TPR, FPR) of a bool prediction; NaN where the truth has no positives/negatives."""
    positives, negatives = int(truth.sum()), int((~truth).sum())
    true_pos = int((predicted & truth).sum())
    false_pos = int((predicted & ~truth).sum())
    tpr = true_pos / positives if positives else float("nan")
    fpr = false_pos / negatives if negatives else float("nan")
    return tpr, fpr


def recovery(truth: GroundTruth, graph: EdgeGraph, mask: EdgeMask) -> dict[str, float]:
    """TPR/FPR of ``mask`` against ``truth``: ``node_*`` over every known node layer, and per
    level ``input_node_*`` (layer 0) and ``hidden_node_*`` (the layers between inputs and
    outputs) where the truth knows them; ``edge_*`` when the true edges are known.

    A node is predicted for output ``o`` when it lies on a kept input→output path to ``o``
    (:meth:`EdgeGraph.output_reach`): a hidden neuron cut off from every input, or one whose
    kept edges lead nowhere, is not in the circuit however many of its edges are kept.
    """
    truth.check(graph)
    reach = graph.output_reach(mask)
    levels = {
        "node": range(len(truth.nodes)),
        "input_node": range(1),
        "hidden_node": range(1, len(truth.nodes)),
    }
    result: dict[str, float] = {}
    for level, layers in levels.items():
        known = [(layer, nodes) for layer in layers if (nodes := truth.nodes[layer]) is not None]
        if not known:
            continue
        predicted = torch.cat([reach[layer].flatten() for layer, _ in known])
        wanted = torch.cat([nodes.flatten() for _, nodes in known])
        result[f"{level}_tpr"], result[f"{level}_fpr"] = _rates(predicted, wanted)
    if truth.edges is not None:
        edge_tpr, edge_fpr = _rates(graph.flatten(mask), graph.flatten(truth.edges))
        result |= {"edge_tpr": edge_tpr, "edge_fpr": edge_fpr}
    return result


def roc_auc(fpr: Sequence[float], tpr: Sequence[float]) -> float:
    """Area under the ROC curve through the given points plus (0, 0) and (1, 1).

    Points are sorted by FPR, then TPR, and joined by straight lines (trapezoids).
    """
    if len(fpr) != len(tpr):
        raise ValueError(f"got {len(fpr)} FPR values but {len(tpr)} TPR values")
    points = sorted([(0.0, 0.0), *zip(fpr, tpr, strict=True), (1.0, 1.0)])
    return sum(
        (x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False)
    )


def aucs_of_points(points: Sequence[dict[str, float]]) -> dict[str, float]:
    """``<level>_auc`` for every ``<level>_tpr``/``<level>_fpr`` pair the points of a tau sweep
    share (e.g. node, input_node, hidden_node, edge), from :func:`recovery`'s rates.

    A level whose rates are NaN somewhere (no positives or no negatives) gets no AUC.
    """
    if not points:
        return {}
    result = {}
    for key in points[0]:
        if not key.endswith("_tpr"):
            continue
        level = key[: -len("_tpr")]
        tpr = [p[f"{level}_tpr"] for p in points]
        fpr = [p[f"{level}_fpr"] for p in points]
        if all(math.isfinite(v) for v in tpr + fpr):
            result[f"{level}_auc"] = roc_auc(fpr, tpr)
    return result


def sweep_auc(truth: GroundTruth, graph: EdgeGraph, masks: Sequence[EdgeMask]) -> dict[str, float]:
    """``<level>_auc`` (see :func:`aucs_of_points`) of the circuits of a tau sweep."""
    return aucs_of_points([recovery(truth, graph, m) for m in masks])


def load_truth_file(path: str, graph: EdgeGraph) -> GroundTruth:
    """The true circuit saved with ``torch.save``: its edge masks, one (d_out, d_in) bool tensor
    per weight layer (a list, or a dict with key ``edges``).

    Raises:
        ValueError: one line, when the file is missing, unreadable or does not fit ``graph``.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except Exception as err:  # any unreadable file (garbage, foreign pickle) is one case
        raise ValueError(f"it does not load ({err.__class__.__name__})") from None
    edges = payload.get("edges") if isinstance(payload, dict) else payload
    if not isinstance(edges, list | tuple) or not all(isinstance(e, torch.Tensor) for e in edges):
        raise ValueError("it holds no list of edge masks (one bool tensor per weight layer)")
    truth = GroundTruth.from_edges(list(edges), graph)
    truth.check(graph)
    return truth
