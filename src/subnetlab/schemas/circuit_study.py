"""Schema of ``study=circuit``: train a target with BIMT settings, then find its circuit."""

from __future__ import annotations

from pydantic import Field, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.bimt import BimtSchema
from subnetlab.schemas.registry import register


@register("study", "circuit")
@schema
class CircuitStudySchema:
    """The circuit study (Nainani 2024, arXiv:2401.03646): stage ``train`` trains the target with
    the ``method=bimt`` settings of ``train``, stage ``circuit`` runs the run's ``method=circuit``
    on it."""

    name: StrictStr = Field("circuit", description="the study option")
    train: BimtSchema = Field(
        default_factory=BimtSchema,
        description="the method=bimt settings of the training stage (train_type: the regime)",
    )
    latency_repeats: StrictInt = Field(
        50, ge=1, description="timed forward passes of the trained net (median: latency_ms)"
    )
