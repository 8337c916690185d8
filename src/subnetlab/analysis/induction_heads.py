"""Finding previous-token and induction heads from attention patterns.

An induction head at position t attends to the position right after the earlier occurrence of
the current token and copies what it finds there; it reads "which token came before that
position" from a previous-token head in an earlier layer, which attends from every position to
the one before it (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits",
§"Induction heads"; Olsson et al. 2022, arXiv:2209.11895, §2, whose "prefix matching" score is
``induction_score`` here). A duplicate-token head, attending from a token to its own earlier
occurrence (Wang et al. 2022, arXiv:2211.00593, §3.1), marks a position as a repeat; trained on
``dataset=repeated_tokens`` the default ``model=attn_only`` grows one beside its previous-token
head. The scores are mean attention probabilities, so they lie in [0, 1]: 1 for a head that puts
all its attention on the position the mechanism needs.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class HasAttentionPatterns(Protocol):
    """A model that reports each layer's attention probabilities (e.g.
    ``models.attention_only.AttentionOnlyTransformer``)."""

    def attention_patterns(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """tokens (B, T) → one (B, H, T_query, T_key) tensor per layer."""
        ...


def most_recent_occurrence(tokens: torch.Tensor) -> torch.Tensor:
    """(B, T) long: for every position t the largest s < t with ``tokens[s] == tokens[t]``, and
    −1 where the token has not occurred before."""
    length = tokens.shape[1]
    earlier = torch.ones(length, length, dtype=torch.bool, device=tokens.device).tril(-1)
    same = (tokens[:, :, None] == tokens[:, None, :]) & earlier  # (B, t, s)
    index = torch.arange(length, device=tokens.device).expand_as(same)
    return torch.where(same, index, -1).amax(dim=-1)


def induction_positions(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(B, T) bool: the positions where induction predicts the next token, i.e. the current
    token occurred before and the token after its most recent occurrence is ``targets[t]``.

    inputs, targets: (B, T) long, ``targets[:, t]`` the token after ``inputs[:, t]``. Defined by
    content alone, so it applies to any token data; on ``dataset=repeated_tokens`` it is exactly
    the second copy but its last token (inputs p + L … p + 2L − 2).

    Raises:
        ValueError: ``inputs`` and ``targets`` differ in shape.
    """
    if inputs.shape != targets.shape:
        raise ValueError(
            f"inputs {tuple(inputs.shape)} and targets {tuple(targets.shape)} must have one shape"
        )
    earlier = most_recent_occurrence(inputs)
    seen = earlier >= 0
    # the token after position s is inputs[s + 1] (s + 1 ≤ t, so inside the inputs; a position
    # without an earlier occurrence reads inputs[0], masked by ``seen``)
    following = inputs.gather(1, earlier + 1)
    return seen & (following == targets)


def previous_token_score(pattern: torch.Tensor) -> torch.Tensor:
    """(H,) per head: attention from position t to t − 1, averaged over the batch and t ≥ 1.

    pattern: (B, H, T, T) attention probabilities of one layer (query, key).

    Raises:
        ValueError: not a (B, H, T, T) tensor with T ≥ 2.
    """
    _check_pattern(pattern)
    length = pattern.shape[-1]
    query = torch.arange(1, length, device=pattern.device)
    return pattern[:, :, query, query - 1].mean(dim=(0, 2))


def induction_score(pattern: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """(H,) per head: attention from position t to s + 1, s the most recent earlier occurrence
    of ``tokens[t]``, averaged over the (batch, position) pairs that have one.

    pattern: (B, H, T, T) attention probabilities of one layer; tokens: (B, T) its inputs.

    Raises:
        ValueError: shapes that do not match, or tokens without any repeated token.
    """
    return _attention_to_earlier_occurrence(pattern, tokens, offset=1)


def duplicate_token_score(pattern: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """(H,) per head: attention from position t to s, the most recent earlier occurrence of
    ``tokens[t]`` itself, averaged over the (batch, position) pairs that have one. A head that
    scores high tells later layers "this token is a repeat" (a duplicate-token head).

    pattern: (B, H, T, T) attention probabilities of one layer; tokens: (B, T) its inputs.

    Raises:
        ValueError: shapes that do not match, or tokens without any repeated token.
    """
    return _attention_to_earlier_occurrence(pattern, tokens, offset=0)


def previous_token_scores(model: HasAttentionPatterns, tokens: torch.Tensor) -> torch.Tensor:
    """(n_layers, H): ``previous_token_score`` of every head of ``model`` on ``tokens`` (B, T)."""
    return torch.stack([previous_token_score(p) for p in model.attention_patterns(tokens)])


def induction_scores(model: HasAttentionPatterns, tokens: torch.Tensor) -> torch.Tensor:
    """(n_layers, H): ``induction_score`` of every head of ``model`` on ``tokens`` (B, T)."""
    return torch.stack([induction_score(p, tokens) for p in model.attention_patterns(tokens)])


def duplicate_token_scores(model: HasAttentionPatterns, tokens: torch.Tensor) -> torch.Tensor:
    """(n_layers, H): ``duplicate_token_score`` of every head of ``model`` on ``tokens``."""
    patterns = model.attention_patterns(tokens)
    return torch.stack([duplicate_token_score(p, tokens) for p in patterns])


def _attention_to_earlier_occurrence(
    pattern: torch.Tensor, tokens: torch.Tensor, offset: int
) -> torch.Tensor:
    """(H,): mean attention from t to s + ``offset`` (s the most recent earlier occurrence of
    ``tokens[t]``; offset ≤ 1 keeps the key at or before t) over the positions that have one."""
    _check_pattern(pattern)
    if tokens.shape != (pattern.shape[0], pattern.shape[-1]):
        raise ValueError(
            f"tokens {tuple(tokens.shape)} must be (batch, seq) of pattern {tuple(pattern.shape)}"
        )
    earlier = most_recent_occurrence(tokens)
    repeated = earlier >= 0
    if not repeated.any():
        raise ValueError("tokens repeat no token: the score needs earlier occurrences")
    # a position without an earlier occurrence reads key offset − 1 (clamped to 0), masked below
    key = (earlier + offset).clamp(min=0)
    heads = pattern.shape[1]
    attended = pattern.gather(3, key[:, None, :, None].expand(-1, heads, -1, 1))[..., 0]
    return (attended * repeated[:, None, :]).sum(dim=(0, 2)) / repeated.sum()


def _check_pattern(pattern: torch.Tensor) -> None:
    if pattern.dim() != 4 or pattern.shape[-1] != pattern.shape[-2] or pattern.shape[-1] < 2:
        raise ValueError(
            f"pattern must be (batch, heads, T, T) with T ≥ 2; got {tuple(pattern.shape)}"
        )
