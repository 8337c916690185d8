"""Schema of ``method=train``: train the model with its recipe; non-null fields override the
recipe."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register


@register("method", "train")
@schema
class TrainSchema:
    """Plain supervised training of ``model`` on ``dataset``, saved as the run's target.pt."""

    name: StrictStr = Field("train", description="the method option")
    steps: StrictInt | None = Field(None, ge=1, description="null: the recipe's steps")
    lr: StrictFloat | None = Field(None, gt=0, description="null: the recipe's learning rate")
    batch_size: StrictInt | None = Field(None, ge=1, description="null: the recipe's batch size")
