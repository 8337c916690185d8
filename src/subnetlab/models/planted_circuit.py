"""A random layered net with a planted circuit, so circuit discovery can be scored against the
truth (``model=planted_circuit``).

Output ``o`` is computed by its own module: a few randomly placed neurons per layer, densely wired
to each other with weights of magnitude 0.5-1.5. The other neurons are distractors of two kinds:

- leak-only: every neuron feeds them with weights just as large (so weight magnitude alone cannot
  find the circuit), but they reach the modules, and one module reaches another, only through
  "leak" weights ``leak`` times smaller, which makes the truth approximate rather than exact;
- constant: no input weights and a bias of 1, so their output never changes, yet they feed the
  next layer's module neurons with full-scale weights. They carry no information about the input:
  under corrupted or mean ablation (what a circuit's faithfulness is measured under) removing them
  changes nothing, so they are not in the circuit — but their weights are as large as the
  circuit's.

The true circuit is the modules' own edges; its nodes are the neurons on true input→output paths.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from subnetlab.registry import register_model
from subnetlab.schemas.planted_circuit import PlantedCircuitSchema

from .layered import ACTIVATION_MODULES

_ACTIVATION_MODULE = {name: module for module, name in ACTIVATION_MODULES.items()}
#: bias of a constant unit: its activation is a clearly non-zero constant (silu(1) = 0.73)
CONSTANT_BIAS = 1.0


class PlantedCircuitNet(nn.Sequential):
    """``Linear, activation, …, Linear`` with the planted circuit's edges as buffers
    ``truth_edges_<i>`` ((d_out, d_in) bool per Linear layer), saved with its state dict."""

    def __init__(
        self, linears: Sequence[nn.Linear], activation: str, truth: Sequence[torch.Tensor]
    ):
        layers: list[nn.Module] = []
        for i, linear in enumerate(linears):
            layers.append(linear)
            if i < len(linears) - 1:
                layers.append(_ACTIVATION_MODULE[activation]())
        super().__init__(*layers)
        for i, edges in enumerate(truth):
            self.register_buffer(f"truth_edges_{i}", edges.clone())

    @property
    def truth_edges(self) -> list[torch.Tensor]:
        """The planted circuit: per Linear layer, a (d_out, d_in) bool edge mask."""
        n_linear = sum(isinstance(m, nn.Linear) for m in self)
        return [getattr(self, f"truth_edges_{i}").clone() for i in range(n_linear)]


def _signed_uniform(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Weights with random sign and magnitude in [0.5, 1.5]."""
    magnitude = 0.5 + torch.rand(shape, generator=generator)
    sign = torch.randint(0, 2, shape, generator=generator) * 2 - 1
    return magnitude * sign


def _roles(
    widths: Sequence[int], module_widths: Sequence[int], constant_units: int, g: torch.Generator
) -> list[torch.Tensor]:
    """Per node layer, each neuron's role: its module 0..n_modules-1, -1 leak-only distractor,
    -2 constant unit (hidden layers only). Outputs are their own modules."""
    n_modules = widths[-1]
    roles = []
    for layer, (per_module, width) in enumerate(zip(module_widths, widths, strict=False)):
        labels = torch.full((width,), -1)
        order = torch.randperm(width, generator=g)
        n_placed = per_module * n_modules
        labels[order[:n_placed]] = torch.arange(n_modules).repeat_interleave(per_module)
        if layer > 0:
            labels[order[n_placed : n_placed + constant_units]] = -2
        roles.append(labels)
    roles.append(torch.arange(n_modules))
    return roles


def plant_circuit(
    widths: Sequence[int] = (8, 16, 16, 2),
    module_widths: Sequence[int] = (2, 3, 3),
    *,
    activation: str = "silu",
    leak: float = 0.02,
    distractor_scale: float = 1.0,
    constant_units: int = 0,
    output_scales: Sequence[float] | None = None,
    seed: int = 0,
    generator: torch.Generator | None = None,
) -> PlantedCircuitNet:
    """Build a net whose output ``o`` is computed by module ``o`` (see the module docstring).

    Args:
        widths: node-layer widths, inputs first; the number of outputs is the number of modules.
        module_widths: neurons each module has in every node layer but the outputs.
        leak: scale of weights from distractors into modules and between modules (0 = none).
        distractor_scale: scale of the weights into leak-only distractors.
        constant_units: constant distractors per hidden layer.
        output_scales: per output, a factor on the weights into it (None: all 1).
        seed: the only source of randomness, unless ``generator`` is given (then used instead,
            and left advanced past the draws).
    Raises:
        ValueError: modules and constant units do not fit the widths, negative scales.
    """
    widths = list(widths)
    n_modules = widths[-1]
    if len(widths) < 2 or len(module_widths) != len(widths) - 1:
        raise ValueError(
            f"module_widths={list(module_widths)} needs one entry per node layer but the outputs "
            f"({len(widths) - 1})"
        )
    for layer, (per_module, width) in enumerate(zip(module_widths, widths, strict=False)):
        constants = constant_units if layer > 0 else 0
        if per_module < 1 or per_module * n_modules + constants > width:
            raise ValueError(
                f"layer {layer}: {n_modules} modules of {per_module} neurons"
                f"{f' and {constants} constant units' if constants else ''} do not fit in width "
                f"{width}; allowed 1 <= module width <= {(width - constants) // n_modules}"
            )
    if leak < 0 or distractor_scale < 0 or constant_units < 0:
        raise ValueError(
            f"leak={leak}, distractor_scale={distractor_scale} and constant_units="
            f"{constant_units} must be >= 0"
        )
    scales = [1.0] * n_modules if output_scales is None else [float(s) for s in output_scales]
    if len(scales) != n_modules or min(scales) <= 0:
        raise ValueError(f"output_scales={output_scales}: one positive factor per output")
    if activation not in _ACTIVATION_MODULE:
        raise ValueError(f"activation={activation!r}; allowed: {sorted(_ACTIVATION_MODULE)}")
    if generator is None:
        generator = torch.Generator().manual_seed(seed)
    roles = _roles(widths, module_widths, constant_units, generator)

    linears, truth = [], []
    for i in range(len(widths) - 1):
        src, dst = roles[i], roles[i + 1]
        same_module = (dst[:, None] == src[None, :]) & (dst[:, None] >= 0)
        scale = torch.full(same_module.shape, leak)
        scale[(dst[:, None] == -1).expand_as(scale)] = distractor_scale
        scale[((src[None, :] == -2) & (dst[:, None] >= 0))] = 1.0
        scale[same_module] = 1.0
        scale[(dst[:, None] == -2).expand_as(scale)] = 0.0
        if i == len(widths) - 2:
            scale *= torch.tensor(scales)[:, None]
        weight = _signed_uniform(tuple(same_module.shape), generator) * scale
        bias = (torch.rand(widths[i + 1], generator=generator) - 0.5) * 0.4
        bias[dst == -2] = CONSTANT_BIAS
        linear = nn.Linear(widths[i], widths[i + 1])
        with torch.no_grad():
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        linears.append(linear)
        truth.append(same_module)
    return PlantedCircuitNet(linears, activation, truth)


@register_model("planted_circuit", PlantedCircuitSchema, recipe=None, weights_from_config=True)
def build_planted_circuit(cfg: PlantedCircuitSchema) -> PlantedCircuitNet:
    """The planted net a ``model=planted_circuit`` config describes."""
    return plant_circuit(
        cfg.widths,
        cfg.module_widths,
        activation=cfg.activation,
        leak=cfg.leak,
        distractor_scale=cfg.distractor_scale,
        constant_units=cfg.constant_units,
        output_scales=cfg.output_scales,
        seed=cfg.seed,
    )
