"""A planted circuit with its inputs and ground truth, for tests and benchmarks of discovery: the
net of :func:`subnetlab.models.planted_circuit.plant_circuit` (what ``model=planted_circuit``
builds) read as a layered net, with inputs drawn uniformly from [-1, 1]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from subnetlab.models.layered import LayeredNet, sequential_to_layered
from subnetlab.models.planted_circuit import plant_circuit

from .edge_graph import EdgeGraph, EdgeMask
from .ground_truth import GroundTruth


@dataclass
class PlantedCircuit:
    net: LayeredNet
    truth: GroundTruth
    inputs: torch.Tensor
    """(n_samples, n_in) inputs drawn uniformly from [-1, 1]."""


def planted_circuit(
    widths: Sequence[int] = (8, 16, 16, 2),
    module_widths: Sequence[int] = (2, 3, 3),
    *,
    leak: float = 0.02,
    distractor_scale: float = 1.0,
    constant_units: int = 0,
    output_scales: Sequence[float] | None = None,
    n_samples: int = 200,
    activation: str = "silu",
    seed: int = 0,
) -> PlantedCircuit:
    """The planted net of ``plant_circuit`` (same arguments), its truth and ``n_samples`` inputs
    (drawn after the weights, from the same stream).

    Raises:
        ValueError: see ``plant_circuit``.
    """
    generator = torch.Generator().manual_seed(seed)
    model = plant_circuit(
        widths,
        module_widths,
        activation=activation,
        leak=leak,
        distractor_scale=distractor_scale,
        constant_units=constant_units,
        output_scales=output_scales,
        generator=generator,
    )
    net = sequential_to_layered(model)
    truth = GroundTruth.from_edges(model.truth_edges, EdgeGraph(tuple(net.widths)))
    inputs = torch.rand(n_samples, net.widths[0], generator=generator) * 2 - 1
    return PlantedCircuit(net=net, truth=truth, inputs=inputs)


def planted_edge_mask(planted: PlantedCircuit) -> EdgeMask:
    """The planted circuit's edges."""
    assert planted.truth.edges is not None
    return [m.clone() for m in planted.truth.edges]
