"""ACDC: greedy edge pruning in reverse topological order (Conmy et al. 2023).

Receivers are visited outputs first; each incoming edge of a receiver is removed when removing it
changes the metric (measured against the circuit pruned so far) by less than ``tau``.

The result is the same as testing one edge per forward pass, but far fewer passes are needed:

- removing an edge of one receiver only changes that receiver's pre-activation, so a candidate is
  a single (B,) vector and its outputs follow from a rank-one update (``single_neuron_outputs``);
- candidates are scored many per pass, speculatively: a cheap model (each example's metric term as
  a quadratic in the receiver's pre-activation) predicts every decision, then a chain of
  candidates, each assuming the predicted decisions of the edges before it, is scored in one pass.
  The chain is exact up to the first wrong prediction, where the walk commits that edge and
  restarts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from .edge_graph import EdgeMask
from .metrics import CircuitMetric
from .patching import (
    PatchingCache,
    circuit_state,
    edge_removal_shift,
    single_neuron_outputs,
)
from .result import DiscoveryResult

_MIN_CHAIN = 8


def probe_around(preact: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """(B,), (B,) → (3, B): the pre-activation and one step below and above it."""
    return torch.stack([preact, preact - step, preact + step])


@dataclass
class _QuadraticModel:
    """Each example's metric term as a quadratic in the receiver's pre-activation.

    The metric is an average over examples and a receiver's pre-activation on one example only
    moves that example's term, so three probes fit every example at once; the model only predicts
    decisions, every decision is then measured exactly.
    """

    centre: torch.Tensor
    slope: torch.Tensor
    curvature: torch.Tensor

    @classmethod
    def fit(cls, centre: torch.Tensor, step: torch.Tensor, terms: torch.Tensor) -> _QuadraticModel:
        """terms: (3, B) at centre, centre - step, centre + step (central differences)."""
        slope = (terms[2] - terms[1]) / (2 * step)
        curvature = (terms[2] - 2 * terms[0] + terms[1]) / step.pow(2)
        return cls(centre, slope, curvature)

    def change(self, preact: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
        """Predicted metric change of moving ``preact`` (B,) by each row of ``shifts`` (n, B)."""
        gradient = self.slope + self.curvature * (preact - self.centre)
        return (shifts * gradient + 0.5 * self.curvature * shifts.pow(2)).mean(dim=-1)


def acdc(
    cache: PatchingCache,
    metric: CircuitMetric,
    tau: float,
    *,
    candidates_per_pass: int = 256,
    start_mask: EdgeMask | None = None,
    abs_value: bool = False,
) -> DiscoveryResult:
    """Prune edges greedily; return the circuit and each tested edge's metric change.

    Args:
        tau: an edge is removed when the metric rises by less than ``tau`` without it (>= 0).
        candidates_per_pass: candidate circuits scored together in one forward pass.
        start_mask: edges outside it count as removed before the search (e.g. an EAP pre-filter).
        abs_value: compare ``|change|`` instead of the signed change with ``tau``.
    """
    if not (tau >= 0.0 and math.isfinite(tau)):
        raise ValueError(f"tau={tau} invalid: allowed a finite number >= 0")
    if candidates_per_pass < 1:
        raise ValueError(f"candidates_per_pass={candidates_per_pass} invalid: allowed >= 1")
    graph = cache.graph
    start = time.perf_counter()
    mask = [m.clone() for m in (graph.full_mask() if start_mask is None else start_mask)]
    graph.check_mask(mask)
    dtype = cache.net.weights[0].dtype
    effects = [torch.full(shape, math.nan, dtype=dtype) for shape in graph.layer_shapes]
    counts = {"passes": 0, "circuits": 0}

    def removable(change: torch.Tensor) -> torch.Tensor:
        return (change.abs() if abs_value else change) < tau

    def score(layer: int, receiver: int, preacts: torch.Tensor) -> torch.Tensor:
        """(K, B) pre-activations of the receiver → (K, B) per-example metric terms."""
        counts["passes"] += 1
        counts["circuits"] += preacts.shape[0]
        outputs = single_neuron_outputs(cache, state, layer, receiver, preacts)
        return metric.per_example(outputs)

    n_layers = graph.num_weight_layers
    with torch.no_grad():
        state = circuit_state(cache, mask)
        counts["passes"] += 1
        counts["circuits"] += 1
        for layer, receiver in graph.receivers_reverse_topological():
            incoming = mask[layer - 1][receiver]
            sources = incoming.nonzero().flatten()
            if len(sources) == 0:
                continue
            if tau > 0 and layer < n_layers and not mask[layer][:, receiver].any():
                # the receiver feeds nothing, so none of its inputs can change the metric
                incoming[sources] = False
                effects[layer - 1][receiver, sources] = 0.0
                continue
            shifts = edge_removal_shift(cache, state, layer, receiver)[:, sources].T  # (S, B)
            preact = state.preactivations[layer][:, receiver].clone()  # (B,)
            step = shifts.pow(2).mean(dim=0).sqrt().clamp_min(1e-6)
            probe = probe_around(preact, step)
            model = _QuadraticModel.fit(preact, step, score(layer, receiver, probe))
            position, chain_length = 0, candidates_per_pass
            while position < len(sources):
                chunk = slice(position, min(position + chain_length, len(sources)))
                chunk_shifts = shifts[chunk]
                predicted = removable(model.change(preact, chunk_shifts))
                assumed = chunk_shifts * predicted[:, None]
                before = assumed.cumsum(dim=0) - assumed  # shifts of the predicted removals so far
                chain = torch.cat(
                    [probe_around(preact, step), preact[None] + before + chunk_shifts]
                )
                terms = score(layer, receiver, chain)
                model = _QuadraticModel.fit(preact, step, terms[:3])
                values = terms[3:].mean(dim=-1)
                # metric of the circuit each candidate was built on: the last predicted removal
                built_on = torch.cummax(torch.arange(1, len(values) + 1) * predicted, dim=0).values
                bases = torch.cat([terms[:1].mean(dim=-1), values])[
                    torch.cat([torch.zeros(1, dtype=torch.long), built_on[:-1]])
                ]
                changes = values - bases
                decided = removable(changes)
                wrong = (decided != predicted).nonzero().flatten()
                stop = int(wrong[0]) + 1 if len(wrong) else len(values)
                committed = sources[chunk][:stop]
                effects[layer - 1][receiver, committed] = changes[:stop]
                incoming[committed[decided[:stop]]] = False
                preact = preact + (chunk_shifts[:stop] * decided[:stop, None]).sum(dim=0)
                position = chunk.start + stop
                # a chain is worth about twice the run of right predictions seen
                chain_length = max(2 * stop, _MIN_CHAIN) if len(wrong) else 2 * chain_length
                chain_length = min(chain_length, candidates_per_pass)
            if not incoming[sources].all():
                state = circuit_state(cache, mask)
                counts["passes"] += 1
                counts["circuits"] += 1
    return DiscoveryResult(
        algorithm="acdc",
        tau=tau,
        mask=mask,
        scores=effects,
        forward_passes=counts["passes"],
        circuits_evaluated=counts["circuits"],
        backward_passes=0,
        wall_time_s=time.perf_counter() - start,
    )
