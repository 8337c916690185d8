"""Schema of ``dataset=gaussian_inputs``: standard Gaussian probe inputs."""

from __future__ import annotations

from pydantic import Field, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register


@register("dataset", "gaussian_inputs")
@schema
class GaussianInputsSchema:
    """``size`` standard Gaussian inputs of the target's input width (``model.d_in``), drawn from
    the run's seed; no targets (e.g. for planted layer families)."""

    name: StrictStr = Field("gaussian_inputs", description="the dataset option")
    size: StrictInt = Field(1000, ge=2, description="how many inputs")
