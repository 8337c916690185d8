"""Schema of ``method=finetune`` (fine-tune a trained target, some of its modules or all)."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register


@register("method", "finetune")
@schema
class FinetuneSchema:
    """AdamW (β = 0.9, 0.98) for ``steps`` steps, lr decaying along a cosine to 0, on minibatches
    of the sequence dataset's train split whose labels are shifted by ``label_shift``; only the
    parameters of the modules matching ``trainable`` (fnmatch patterns over ``named_modules``;
    null: every parameter) change."""

    name: StrictStr = Field("finetune", description="the method option")
    steps: StrictInt = Field(300, ge=1, description="optimiser steps")
    lr: StrictFloat = Field(1e-3, gt=0, description="peak learning rate (cosine decay to 0)")
    weight_decay: StrictFloat = Field(0.0, ge=0, description="AdamW weight decay")
    batch_size: StrictInt | None = Field(None, ge=1, description="null: dataset.batch_size")
    trainable: list[StrictStr] | None = Field(
        None,
        min_length=1,
        description="fnmatch patterns over module names, e.g. [blocks.0]; null: every parameter",
    )
    label_shift: StrictInt = Field(
        0, ge=0, description="train and score on targets (c + shift) mod vocab"
    )
