"""Schema of ``method=apd`` (Attribution-based Parameter Decomposition, arXiv:2501.14926).

Defaults: the APD paper's TMS 5-2 settings with fewer steps (5000 instead of 20000);
``experiment=apd_*`` holds the paper's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register
from subnetlab.schemas.spd import LR_SCHEDULES


@schema
class APDCoefficients:
    """Weights of APD's three losses (arXiv:2501.14926 §2)."""

    faithfulness: StrictFloat = Field(
        1.0, ge=0, description="MSE of Σ_c P_c against the target's parameters"
    )
    minimality: StrictFloat = Field(
        1.0, ge=0, description="output MSE of the forward pass with only the top-k components"
    )
    simplicity: StrictFloat = Field(
        0.7, ge=0, description="Schatten-p of the active components, / (batch · entries)"
    )


@register("method", "apd")
@schema
class APDSchema:
    """APD of a trained target: C parameter components spanning all decomposed modules, the
    batch top-k of them (by attribution) active per input."""

    name: StrictStr = Field("apd", description="the method option")
    modules: list[StrictStr] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description="decomposed modules (fnmatch patterns); every component spans all of them",
    )
    C: StrictInt = Field(5, ge=1, description="parameter components")
    rank: StrictInt | None = Field(
        None, ge=1, description="rank m of each component's A B per matrix; null = full rank"
    )
    topk: StrictFloat = Field(
        0.211, gt=0, description="batch top-k: mean number of active components per datapoint"
    )
    coeffs: APDCoefficients = Field(
        default_factory=APDCoefficients, description="loss coefficients"
    )
    schatten_pnorm: StrictFloat = Field(1.0, gt=0, description="p of the simplicity loss")
    schatten_form: Literal["factor_norms", "exact"] = Field(
        "factor_norms",
        description="APD paper Σ_m (‖A_:m‖²‖B_m:‖²)^{p/2}; exact = singular values",
    )
    attribution_source: Literal["target", "components"] = Field(
        "target", description="gradients in the target, or in the network Σ_c P_c"
    )
    attribution_chunk: StrictInt | None = Field(
        None, ge=1, description="output dimensions per batched backward; null = all at once"
    )
    steps: StrictInt = Field(5000, ge=1, description="optimisation steps")
    lr: StrictFloat = Field(0.03, gt=0, description="Adam learning rate (peak, after warm-up)")
    lr_schedule: LR_SCHEDULES = Field("constant", description="lr decay after the warm-up")
    lr_warmup_steps: StrictInt = Field(0, ge=0, description="linear warm-up steps")
    importance_threshold: StrictFloat = Field(
        0.1, ge=0, le=1, description="attribution share above this counts for ci_l0 / alive"
    )
    min_norm_fraction: StrictFloat = Field(
        0.1,
        ge=0,
        le=1,
        description="a component is present in a module above this × the largest norm there",
    )
    eval_every: StrictInt = Field(1000, ge=1, description="steps between logged evaluations")
    tolerance: StrictFloat = Field(
        0.1,
        gt=0,
        lt=0.5,
        description="attribution pattern tolerance of the target-solution error",
    )
