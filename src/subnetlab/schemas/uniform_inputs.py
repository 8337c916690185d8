"""Schema of ``dataset=uniform_inputs``: probe inputs drawn uniformly from a box."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import require, schema
from subnetlab.schemas.registry import register


@register("dataset", "uniform_inputs")
@schema
class UniformInputsSchema:
    """``size`` inputs of the target's input width (``model.widths[0]``), every coordinate drawn
    uniformly from [low, high) with the run's seed; no targets (e.g. for a planted circuit)."""

    name: StrictStr = Field("uniform_inputs", description="the dataset option")
    size: StrictInt = Field(1000, ge=2, description="how many inputs")
    low: StrictFloat = Field(-1.0, description="lower end of every coordinate")
    high: StrictFloat = Field(1.0, description="upper end of every coordinate")

    @model_validator(mode="after")
    def _a_box(self) -> UniformInputsSchema:
        require(self.high > self.low, "dataset.high", self.high, f"> dataset.low={self.low}")
        return self
