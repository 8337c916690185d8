"""Loss terms shared by the parameter-decomposition methods: SPD (arXiv 2506.20790, §2) and APD
(arXiv 2501.14926, §2) use the same faithfulness and output-reconstruction definitions."""

from __future__ import annotations

import torch


def faithfulness_loss(
    target_weights: dict[str, torch.Tensor], component_weights: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Σ_l ‖W^l − Σ_c U^l_c V^l_c‖_F² divided by the number of entries of all decomposed
    matrices."""
    total = sum((target_weights[n] - component_weights[n]).pow(2).sum() for n in target_weights)
    n_entries = sum(w.numel() for w in target_weights.values())
    assert isinstance(total, torch.Tensor)  # sum() over at least one decomposed matrix
    return total / n_entries


def reconstruction_mse(
    output: torch.Tensor, target_output: torch.Tensor, row_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """MSE averaged over batch and output dimensions (and over any leading copy dimension).

    ``row_weights`` (batch,) summing to 1 replaces the plain mean over the batch.
    """
    per_row = (output - target_output).pow(2).mean(-1)
    if row_weights is None:
        return per_row.mean()
    return (per_row * row_weights).sum(-1).mean()


def reconstruction_kl(output_logits: torch.Tensor, target_logits: torch.Tensor) -> torch.Tensor:
    """KL(p_target ‖ p_output) of the next-token distributions, summed over the vocabulary (last
    dimension) and averaged over every other position (batch, tokens, any leading copy dimension),
    in nats per token: the language-model reconstruction loss of the public SPD code that
    followed arXiv:2506.20790 (the toys' MSE compares outputs instead of distributions)."""
    target_log_p = torch.log_softmax(target_logits.float(), dim=-1)
    output_log_p = torch.log_softmax(output_logits.float(), dim=-1)
    return (target_log_p.exp() * (target_log_p - output_log_p)).sum(-1).mean()
