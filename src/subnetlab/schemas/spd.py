"""Schema of ``method=spd`` (Stochastic Parameter Decomposition, arXiv:2506.20790).

Defaults: a quick TMS 5-2 run with the paper's coefficients, 11k steps at a constant lr instead of
the paper's 40k on the quarter cosine (with the sparse_features default batch of 1024 instead of
4096: per step it converges the same); ``experiment=spd_*`` holds the paper's settings. Two
defaults go beyond the paper for seed robustness: the faithfulness warm-up of the later SPD code
(200 steps) and two initialisation candidates (``methods/spd/init_candidates.py``); the paper's
behaviour is ``faithfulness_warmup_steps=0``, ``init_candidates=1``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register

LR_SCHEDULES = Literal["constant", "linear", "cosine", "half_cosine"]


@schema
class ModuleC:
    """How many subcomponents the modules matching ``pattern`` (fnmatch) get."""

    pattern: StrictStr = Field("*", description="fnmatch pattern over the target's module names")
    C: StrictInt = Field(20, ge=1, description="subcomponents of each matching module")

    if TYPE_CHECKING:  # the signature @schema builds at runtime, for the type checker

        def __init__(self, pattern: str = ..., C: int = ...) -> None: ...


@schema
class SPDCoefficients:
    """Weights of SPD's four losses (arXiv:2506.20790 §2)."""

    faithfulness: StrictFloat = Field(
        1.0, ge=0, description="MSE between the summed subcomponents and the target's weights"
    )
    stochastic_recon: StrictFloat = Field(
        1.0, ge=0, description="output error with all modules masked by stochastic CI masks"
    )
    stochastic_recon_layerwise: StrictFloat = Field(
        1.0, ge=0, description="output error with one module at a time masked"
    )
    importance_minimality: StrictFloat = Field(
        3e-3, ge=0, description="Σ CI^p: pushes causal importances towards 0 (β3 in the paper)"
    )
    pgd_recon: StrictFloat = Field(
        0.0, ge=0, description="output error under adversarial (PGD) masks; 0 = off (paper)"
    )


@schema
class PAnnealing:
    """p of the importance-minimality loss moving linearly from ``method.pnorm`` to ``final_p``
    between fractions ``start_frac`` and ``end_frac`` of training (off in the paper's toys)."""

    final_p: StrictFloat | None = Field(
        None, gt=0, description="p at the end of annealing; null = no annealing (paper)"
    )
    start_frac: StrictFloat = Field(
        0.0, ge=0, le=1, description="training fraction where it starts"
    )
    end_frac: StrictFloat = Field(1.0, ge=0, le=1, description="training fraction where it ends")

    if TYPE_CHECKING:

        def __init__(
            self, final_p: float | None = ..., start_frac: float = ..., end_frac: float = ...
        ) -> None: ...


@schema
class PGDMasks:
    """Adversarial masks: sign-gradient ascent on the mask sources r ∈ [0, 1] (from uniform)."""

    steps: StrictInt = Field(1, ge=1, description="ascent steps of the training term pgd_recon")
    step_size: StrictFloat = Field(0.1, gt=0, le=1, description="size of each ascent step")
    eval_steps: StrictInt = Field(
        0, ge=0, description="ascent steps of the kl/pgd evaluation; 0 = no PGD evaluation"
    )

    if TYPE_CHECKING:

        def __init__(
            self, steps: int = ..., step_size: float = ..., eval_steps: int = ...
        ) -> None: ...


@schema
class ComponentPage:
    """``components.html`` of a language-model decomposition: every alive subcomponent's top
    activating contexts and its mean CI by token (the threshold is ``method.ci_threshold``)."""

    contexts: StrictInt = Field(10, ge=1, description="top activating contexts per subcomponent")
    window: StrictInt = Field(12, ge=0, description="tokens shown on each side of a context")
    top_tokens: StrictInt = Field(10, ge=1, description="tokens listed by mean CI")
    min_token_count: StrictInt = Field(
        3, ge=1, description="tokens seen fewer times are not ranked by mean CI"
    )
    tensorboard_components: StrictInt = Field(
        20, ge=1, description="subcomponents per matrix in the TensorBoard text summary"
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            contexts: int = ...,
            window: int = ...,
            top_tokens: int = ...,
            min_token_count: int = ...,
            tensorboard_components: int = ...,
        ) -> None: ...


@register("method", "spd")
@schema
class SPDSchema:
    """SPD of a trained target: each matched weight matrix as C rank-one subcomponents with a
    learned causal importance per input."""

    name: StrictStr = Field("spd", description="the method option")
    modules: list[ModuleC] = Field(
        default_factory=lambda: [ModuleC("*", 20)],
        min_length=1,
        description="decomposed modules (fnmatch patterns) and their number of subcomponents C",
    )
    ci_fn: Literal["mlp", "shared_mlp"] = Field(
        "mlp",
        description="CI function: mlp = a scalar MLP per subcomponent (paper); shared_mlp = "
        "one MLP per matrix",
    )
    d_gate: StrictInt = Field(16, ge=1, description="hidden units of each subcomponent's CI MLP")
    ci_fn_hidden: StrictInt = Field(
        256, ge=1, description="hidden units of the shared_mlp CI function (ci_fn=shared_mlp)"
    )
    recon_loss: Literal["auto", "mse", "kl"] = Field(
        "auto",
        description="mse of outputs | kl of next-token distributions | auto (kl for token ids)",
    )
    delta_component: StrictBool = Field(
        False, description="add W − ΣUV to the masked passes under its own random mask (off: paper)"
    )
    faithfulness_warmup_steps: StrictInt = Field(
        200,
        ge=0,
        description="AdamW steps fitting ΣUV to W before training (0: paper; later SPD code: 200)",
    )
    faithfulness_warmup_lr: StrictFloat = Field(
        0.01, gt=0, description="lr of the faithfulness warm-up"
    )
    init_candidates: StrictInt = Field(
        2,
        ge=1,
        description="initialisations compared after init_candidate_frac of the steps; the "
        "lowest loss continues (1: paper)",
    )
    init_candidate_frac: StrictFloat = Field(
        0.3, gt=0, lt=1, description="fraction of the steps after which the candidates compare"
    )
    p_anneal: PAnnealing = Field(default_factory=PAnnealing, description="p-annealing")
    pgd: PGDMasks = Field(default_factory=PGDMasks, description="adversarial masks")
    component_page: ComponentPage = Field(
        default_factory=ComponentPage, description="the components.html page (token inputs)"
    )
    pnorm: StrictFloat = Field(1.0, gt=0, description="p of the importance-minimality loss")
    coeffs: SPDCoefficients = Field(
        default_factory=SPDCoefficients, description="loss coefficients"
    )
    steps: StrictInt = Field(11_000, ge=1, description="optimisation steps")
    lr: StrictFloat = Field(1e-3, gt=0, description="Adam learning rate (peak, after warm-up)")
    lr_schedule: LR_SCHEDULES = Field(
        "constant",
        description="lr decay; cosine is the paper branch's quarter cosine lr·cos(½π t/(T−1))",
    )
    lr_warmup_steps: StrictInt = Field(0, ge=0, description="linear warm-up steps")
    batched_passes: StrictBool = Field(
        True, description="all masked passes of a step in one stacked forward"
    )
    ci_threshold: StrictFloat = Field(
        0.1, ge=0, le=1, description="CI above this counts for CI-L0 and alive subcomponents"
    )
    eval_every: StrictInt = Field(1000, ge=1, description="steps between logged evaluations")
    tolerance: StrictFloat = Field(
        0.1,
        gt=0,
        lt=0.5,
        description="CI pattern tolerance of the target-solution error (on one-hot probes)",
    )
