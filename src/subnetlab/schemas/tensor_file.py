"""Schema of ``dataset=tensors``: input tensors (and optionally targets) from a user's file."""

from __future__ import annotations

from pydantic import Field, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register


@register("dataset", "tensors")
@schema
class TensorFileSchema:
    """A ``.pt`` file written with ``torch.save``, holding an (n, n_inputs) tensor of inputs, or a
    dict ``{"inputs": (n, n_inputs), "targets": (n,) int64 class labels or (n, n_outputs)
    floats}`` (targets optional); analysis methods take their probe inputs from its rows, in
    order."""

    name: StrictStr = Field("tensors", description="the dataset option")
    path: StrictStr | None = Field(
        None, description="required: the .pt file with the input tensors (checked when it is read)"
    )
