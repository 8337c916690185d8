"""Schema of ``dataset=tensors``: input tensors (and optionally targets) from a user's file."""

from __future__ import annotations

from dataclasses import dataclass

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@register("dataset", "tensors")
@dataclass
class TensorFileSchema:
    """path: a ``.pt`` file written with ``torch.save``, holding an (n, n_inputs) tensor of
    inputs, or a dict ``{"inputs": (n, n_inputs), "targets": (n,) int64 class labels or
    (n, n_outputs) floats}`` (targets optional); analysis methods take their probe inputs from
    its rows, in order."""

    name: str = "tensors"
    path: str | None = None

    def __post_init__(self) -> None:
        require(
            self.path is not None and self.path != "",
            "path",
            self.path,
            "the path of a .pt file with the input tensors (dataset.path=...)",
        )
