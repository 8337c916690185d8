"""A random layered net with a planted circuit, so discovery can be scored against the truth.

Output ``o`` is computed by its own module: a few randomly placed neurons per layer, densely wired
to each other with weights of magnitude 0.5-1.5. All other neurons are distractors: every neuron
feeds them with weights just as large (so weight magnitude alone cannot find the circuit), but
they reach the modules, and one module reaches another, only through "leak" weights ``leak``
times smaller, which makes the truth approximate rather than exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from subnetlab.models.layered import LayeredNet

from .edge_graph import EdgeMask
from .ground_truth import GroundTruth


@dataclass
class PlantedCircuit:
    net: LayeredNet
    truth: GroundTruth
    inputs: torch.Tensor
    """(n_samples, n_in) inputs drawn uniformly from [-1, 1]."""


def _signed_uniform(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Weights with random sign and magnitude in [0.5, 1.5]."""
    magnitude = 0.5 + torch.rand(shape, generator=generator)
    sign = torch.randint(0, 2, shape, generator=generator) * 2 - 1
    return magnitude * sign


def planted_circuit(
    widths: Sequence[int] = (8, 16, 16, 2),
    module_widths: Sequence[int] = (2, 3, 3),
    *,
    leak: float = 0.02,
    distractor_scale: float = 1.0,
    n_samples: int = 200,
    activation: str = "silu",
    seed: int = 0,
) -> PlantedCircuit:
    """Build a net whose output ``o`` is computed by module ``o``.

    Args:
        widths: node-layer widths; the number of outputs is the number of modules.
        module_widths: neurons each module has in every node layer but the outputs.
        leak: scale of weights from distractors into modules and between modules (0 = none).
        distractor_scale: scale of the weights into distractor neurons.
    """
    widths = list(widths)
    n_modules = widths[-1]
    if len(module_widths) != len(widths) - 1:
        raise ValueError(
            f"module_widths={list(module_widths)} needs one entry per node layer but the outputs "
            f"({len(widths) - 1})"
        )
    for layer, (per_module, width) in enumerate(zip(module_widths, widths, strict=False)):
        if per_module < 1 or per_module * n_modules > width:
            raise ValueError(
                f"layer {layer}: {n_modules} modules of {per_module} neurons do not fit in width "
                f"{width}; allowed 1 <= module width <= {width // n_modules}"
            )
    if leak < 0 or distractor_scale < 0:
        raise ValueError(f"leak={leak} and distractor_scale={distractor_scale} must be >= 0")
    generator = torch.Generator().manual_seed(seed)

    # module[l][n] = module of neuron n in layer l, or -1 for a distractor
    modules: list[torch.Tensor] = []
    for per_module, width in zip(module_widths, widths, strict=False):
        labels = torch.full((width,), -1)
        placed = torch.randperm(width, generator=generator)[: per_module * n_modules]
        labels[placed] = torch.arange(n_modules).repeat_interleave(per_module)
        modules.append(labels)
    modules.append(torch.arange(n_modules))

    weights, biases, true_edges = [], [], []
    for i in range(len(widths) - 1):
        src, dst = modules[i], modules[i + 1]
        same_module = (dst[:, None] == src[None, :]) & (dst[:, None] >= 0)
        into_distractor = (dst[:, None] < 0).expand_as(same_module)
        scale = torch.full(same_module.shape, leak)
        scale[into_distractor] = distractor_scale
        scale[same_module] = 1.0
        weights.append(_signed_uniform(tuple(same_module.shape), generator) * scale)
        biases.append((torch.rand(widths[i + 1], generator=generator) - 0.5) * 0.4)
        true_edges.append(same_module)
    true_nodes = [labels[None, :] == torch.arange(n_modules)[:, None] for labels in modules[:-1]]
    inputs = torch.rand(n_samples, widths[0], generator=generator) * 2 - 1
    net = LayeredNet(weights=weights, biases=biases, activation=activation)
    truth = GroundTruth(nodes=list(true_nodes), edges=true_edges)
    return PlantedCircuit(net=net, truth=truth, inputs=inputs)


def planted_edge_mask(planted: PlantedCircuit) -> EdgeMask:
    """The planted circuit's edges."""
    assert planted.truth.edges is not None
    return [m.clone() for m in planted.truth.edges]
