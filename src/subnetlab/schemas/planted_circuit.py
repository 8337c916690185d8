"""Schema of ``model=planted_circuit``: a layered net with a planted circuit and its truth."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import MAX_SEED, require, schema
from subnetlab.schemas.registry import register


@register("model", "planted_circuit")
@schema
class PlantedCircuitSchema:
    """A random layered MLP whose output ``o`` is computed by its own module of neurons, among
    distractor neurons; its weights come from this config and ``seed`` (nothing is trained), and
    it carries the true circuit's edges, which ``method=circuit`` scores against."""

    name: StrictStr = Field("planted_circuit", description="the model family")
    widths: list[Annotated[StrictInt, Field(ge=1)]] = Field(
        default_factory=lambda: [8, 16, 16, 2],
        min_length=3,
        description="neurons per layer, inputs first; one module per output",
    )
    module_widths: list[Annotated[StrictInt, Field(ge=1)]] = Field(
        default_factory=lambda: [2, 3, 3],
        description="neurons of each module per layer, every layer but the outputs",
    )
    activation: Literal["silu", "relu", "gelu", "tanh"] = Field(
        "tanh",
        description="hidden-layer nonlinearity (tanh keeps every planted neuron graded; under "
        "relu/silu some are near-dead)",
    )
    leak: StrictFloat = Field(
        0.02,
        ge=0,
        description="scale of the weights from distractors into modules and between modules "
        "(0: none)",
    )
    distractor_scale: StrictFloat = Field(
        1.0, ge=0, description="scale of the weights into leak-only distractor neurons"
    )
    constant_units: StrictInt = Field(
        1,
        ge=0,
        description="per hidden layer, constant distractors (no input weights) with full-scale "
        "weights into modules",
    )
    output_scales: list[Annotated[StrictFloat, Field(gt=0)]] | None = Field(
        None,
        description="per output, a factor on its module's last-layer weights (unequal output "
        "spreads); null: all 1",
    )
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description="the planted weights' seed")

    @model_validator(mode="after")
    def _modules_fit_the_layers(self) -> PlantedCircuitSchema:
        n_modules = self.widths[-1]
        require(
            len(self.module_widths) == len(self.widths) - 1,
            "module_widths",
            self.module_widths,
            f"one entry per layer but the outputs ({len(self.widths) - 1} for widths "
            f"{self.widths})",
        )
        for layer, (per_module, width) in enumerate(
            zip(self.module_widths, self.widths, strict=False)
        ):
            constants = self.constant_units if layer > 0 else 0
            require(
                per_module * n_modules + constants <= width,
                f"module_widths[{layer}]",
                per_module,
                f"at most {(width - constants) // n_modules}: {n_modules} modules"
                + (f" and {constants} constant units" if constants else "")
                + f" must fit in width {width}",
            )
        if self.output_scales is not None:
            require(
                len(self.output_scales) == n_modules,
                "output_scales",
                self.output_scales,
                f"one factor per output ({n_modules}) or null",
            )
        return self
