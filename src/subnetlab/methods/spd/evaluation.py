"""How well a decomposition reproduces its target under each kind of mask, and how sparse its
causal importances are (SPD, arXiv:2506.20790, §2–3): the numbers a language-model (or any
non-toy) decomposition reports."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from subnetlab.methods.spd.decomposition import (
    CausalImportance,
    PGDSettings,
    ReconLoss,
    SPDDecomposition,
    reconstruction,
)
from subnetlab.methods.spd.masks import draw_uniform, stochastic_masks

#: the masks each evaluation applies to every decomposed matrix at once
MASK_KINDS = ("unmasked", "stochastic", "ci_rounded")


def next_token_ce(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats per token) of predicting ``tokens[:, t+1]`` from
    ``logits[:, t]``; logits (B, T, V), tokens (B, T) long."""
    predicted = logits[:, :-1].reshape(-1, logits.shape[-1]).float()
    return F.cross_entropy(predicted, tokens[:, 1:].reshape(-1))


def mask_sets(
    dec: SPDDecomposition, x: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, dict[str, dict[str, torch.Tensor]], CausalImportance]:
    """The target's output, the masks of each kind in ``MASK_KINDS`` for every decomposed
    matrix, and the CI (rows..., C): ``unmasked`` all ones (Σ U V replaces W),
    ``stochastic`` g + (1 − g)·r, ``ci_rounded`` 1 where CI > 0 else 0."""
    target_out, inputs, _ = dec.target_forward(x)
    ci = dec.causal_importance(inputs)
    uniform = draw_uniform({n: tuple(g.shape) for n, g in ci.lower.items()}, generator, x.device)
    masks = {
        "unmasked": {n: torch.ones_like(v) for n, v in ci.value.items()},
        "stochastic": stochastic_masks(ci.lower, uniform),
        "ci_rounded": {n: (v > 0).to(v.dtype) for n, v in ci.value.items()},
    }
    return target_out, masks, ci


@torch.no_grad()
def masked_reconstruction(
    dec: SPDDecomposition,
    batches: list[torch.Tensor],
    recon: ReconLoss,
    generator: torch.Generator,
    ci_threshold: float,
    pgd: PGDSettings | None = None,
) -> dict[str, float]:
    """Evaluation of a decomposition on ``batches`` (each (B, ...); token ids (B, T) for a
    language model), averaged over batches.

    Keys: ``<recon>/<mask>`` for each mask kind (``kl`` or ``mse``; ``kl/pgd`` with ``pgd``),
    for token inputs also ``ce/target`` and ``ce/<mask>`` (nats per token; next-token
    cross-entropy on the batch itself), and per matrix ``ci_l0/<module>`` (mean number of
    subcomponents with CI > ``ci_threshold`` per datapoint or token) and ``alive/<module>``
    (subcomponents with CI > ``ci_threshold`` somewhere in the batches). The delta component,
    a training aid, is left out: these measure the subcomponents alone.
    """
    loss = reconstruction(recon)
    sums: dict[str, float] = {}
    alive: dict[str, torch.Tensor] = {}
    n_batches = len(batches)

    def add(key: str, value: torch.Tensor | float) -> None:
        sums[key] = sums.get(key, 0.0) + float(value) / n_batches

    for x in batches:
        target_out, masks, ci = mask_sets(dec, x, generator)
        tokens = not x.is_floating_point()
        if tokens:
            add("ce/target", next_token_ce(target_out, x))
        for kind in MASK_KINDS:
            out = dec.masked_forward(x, masks[kind])
            add(f"{recon}/{kind}", loss(out, target_out))
            if tokens:
                add(f"ce/{kind}", next_token_ce(out, x))
        if pgd is not None:  # the worst masks the CI allows (the delta component left out)
            attacked = dec.adversarial_recon(
                x, ci.lower, target_out, recon, pgd, generator, with_delta=False
            )
            add(f"{recon}/pgd", attacked)
        for name, value in ci.value.items():
            active = value > ci_threshold
            add(f"ci_l0/{name}", active.float().sum(-1).mean())
            fired = active.flatten(0, -2).any(0)
            alive[name] = fired if name not in alive else alive[name] | fired
    for name, fired in alive.items():
        sums[f"alive/{name}"] = float(fired.sum())
    return sums


def split_batches(x: torch.Tensor, size: int) -> list[torch.Tensor]:
    """``x`` in consecutive chunks of at most ``size`` rows (bounded memory for wide outputs)."""
    return list(torch.split(x, size))
