"""What each subcomponent of a language-model decomposition responds to: its firing frequency, its
top activating contexts and its mean causal importance per token.

Inputs are plain tensors: the evaluation token windows and, per decomposed module, the causal
importances of its subcomponents at every position (SPD, arXiv:2506.20790). A subcomponent is
*alive* when its causal importance exceeds ``alive_threshold`` at some position, and *fires* at the
positions where it does. Everything is vectorised over positions; the only Python loops run over
blocks of subcomponents and over the few contexts kept per alive subcomponent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# Elements of one block of alive subcomponents' CI: bounds the few (block, N, T) copies made per
# block to tens of MB whatever the number of positions, while keeping each topk/index_add large.
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class ContextWindow:
    """One activating position with the tokens around it.

    ``token_ids`` and ``ci`` cover the same window (at most ``2·window + 1`` positions, fewer at
    a sequence edge); ``position`` indexes the activating token inside them; ``sequence`` and
    ``offset`` locate it in the evaluation windows (row, column of ``tokens``).
    """

    token_ids: tuple[int, ...]
    ci: tuple[float, ...]
    position: int
    sequence: int
    offset: int


@dataclass(frozen=True)
class TokenStat:
    """A subcomponent's causal importance on one token id: ``mean_ci`` over the ``count``
    occurrences of the token, ``fires`` of which have CI above the threshold."""

    token_id: int
    mean_ci: float
    count: int
    fires: int


@dataclass(frozen=True)
class ComponentContexts:
    """One alive subcomponent: ``index`` in its module, ``firing_frequency`` (fraction of all
    positions with CI above the threshold), ``mean_ci`` and ``max_ci`` over all positions,
    its activating ``contexts`` (highest CI first) and ``top_tokens`` (highest mean CI first)."""

    index: int
    firing_frequency: float
    mean_ci: float
    max_ci: float
    contexts: tuple[ContextWindow, ...]
    top_tokens: tuple[TokenStat, ...]


@dataclass(frozen=True)
class ModuleContexts:
    """The alive subcomponents of one module, most frequently firing first.

    ``mean_l0`` is the mean number of its subcomponents with CI above ``alive_threshold`` per
    position (the sum of the firing frequencies); ``n_components`` counts dead ones too.
    """

    name: str
    n_components: int
    n_positions: int
    alive_threshold: float
    mean_l0: float
    components: tuple[ComponentContexts, ...]


def _check_inputs(
    tokens: torch.Tensor,
    ci: Mapping[str, torch.Tensor],
    alive_threshold: float,
    top_k: int,
    window: int,
    n_top_tokens: int,
    min_token_count: int,
) -> None:
    if tokens.dim() != 2 or tokens.dtype not in (torch.int64, torch.int32):
        raise ValueError(
            f"tokens must be an (N, T) integer tensor; got {tuple(tokens.shape)} {tokens.dtype}"
        )
    if tokens.numel() == 0:
        raise ValueError(f"tokens must hold at least one position; got shape {tuple(tokens.shape)}")
    if not ci:
        raise ValueError("ci must name at least one module; got an empty mapping")
    for name, values in ci.items():
        if values.dim() != 3 or tuple(values.shape[:2]) != tuple(tokens.shape):
            raise ValueError(
                f"ci[{name!r}] must be (N, T, C) = ({tokens.shape[0]}, {tokens.shape[1]}, C); "
                f"got {tuple(values.shape)}"
            )
        if not values.is_floating_point():
            raise ValueError(f"ci[{name!r}] must be a floating tensor; got {values.dtype}")
        # min and max propagate NaN, so one pass without a bool copy finds any non-finite entry
        if values.numel() and not bool(torch.isfinite(torch.stack(torch.aminmax(values))).all()):
            raise ValueError(f"ci[{name!r}] contains NaN or infinite entries")
    if not 0.0 <= alive_threshold < 1.0:
        raise ValueError(f"alive_threshold must be in [0, 1); got {alive_threshold}")
    for key, value, least in (
        ("top_k", top_k, 1),
        ("window", window, 0),
        ("n_top_tokens", n_top_tokens, 1),
        ("min_token_count", min_token_count, 1),
    ):
        if value < least:
            raise ValueError(f"{key} must be >= {least}; got {value}")


def _peaks(ci: torch.Tensor, window: int) -> torch.Tensor:
    """(b, N, T) bool: the position holds the largest CI within ``window`` tokens on each side in
    its own sequence (strictly larger than those to its left, so of equal neighbours only the
    leftmost counts). Keeping only peaks stops one burst of firing from filling all top contexts
    with shifted copies of the same text."""
    if window == 0:
        return torch.ones_like(ci, dtype=torch.bool)
    left = F.max_pool1d(F.pad(ci, (window, 0), value=-torch.inf), window, stride=1)[..., :-1]
    right = F.max_pool1d(F.pad(ci, (0, window), value=-torch.inf), window, stride=1)[..., 1:]
    return (ci > left) & (ci >= right)


def _block_contexts(
    tokens: torch.Tensor, block: torch.Tensor, fires: torch.Tensor, top_k: int, window: int
) -> list[tuple[ContextWindow, ...]]:
    """Top activating contexts of each subcomponent of ``block`` (b, N, T), highest CI first;
    ``fires`` is ``block`` above the threshold."""
    b, n_seq, seq_len = block.shape
    score = torch.where(_peaks(block, window) & fires, block, -torch.inf).view(b, -1)
    top_values, top_flat = score.topk(min(top_k, n_seq * seq_len), dim=1)  # (b, k)
    seq, col = top_flat // seq_len, top_flat % seq_len
    offsets = torch.arange(-window, window + 1, device=block.device)
    cols = (col.unsqueeze(-1) + offsets).clamp(0, seq_len - 1)  # (b, k, 2·window + 1)
    rows = seq.unsqueeze(-1).expand_as(cols)
    which = torch.arange(b, device=block.device).view(b, 1, 1).expand_as(cols)
    window_tokens = tokens[rows, cols].tolist()
    window_ci = block[which, rows, cols].tolist()
    per_component = []
    for values, seqs, columns, ids, cis in zip(
        top_values.tolist(), seq.tolist(), col.tolist(), window_tokens, window_ci, strict=True
    ):
        contexts = []
        for value, s, t, context_ids, context_ci in zip(
            values, seqs, columns, ids, cis, strict=True
        ):
            if value == -torch.inf:
                break  # topk put every firing peak first; the rest is padding
            lo = max(0, window - t)  # window slots before the sequence start
            hi = 2 * window + 1 - max(0, t + window + 1 - seq_len)  # ... and after its end
            contexts.append(
                ContextWindow(
                    token_ids=tuple(context_ids[lo:hi]),
                    ci=tuple(context_ci[lo:hi]),
                    position=window - lo,
                    sequence=s,
                    offset=t,
                )
            )
        # topk leaves ties (CI saturated at 1) in no set order; make the page reproducible
        contexts.sort(key=lambda c: (-c.ci[c.position], c.sequence, c.offset))
        per_component.append(tuple(contexts))
    return per_component


def _block_top_tokens(
    block: torch.Tensor,
    fires: torch.Tensor,
    token_index: torch.Tensor,
    token_ids: list[int],
    token_counts: torch.Tensor,
    n_top_tokens: int,
    min_token_count: int,
) -> list[tuple[TokenStat, ...]]:
    """Tokens of highest mean CI for each subcomponent of ``block`` (b, P), among those
    occurring at least ``min_token_count`` times on which it fires at least once."""
    b = block.shape[0]
    n_tokens = token_counts.numel()
    ci_sums = torch.zeros(b, n_tokens, device=block.device)
    ci_sums.index_add_(1, token_index, block)
    fire_counts = torch.zeros(b, n_tokens, device=block.device)
    fire_counts.index_add_(1, token_index, fires.float())
    means = ci_sums / token_counts.float()
    ranked = torch.where((token_counts >= min_token_count) & (fire_counts > 0), means, -torch.inf)
    values, rows = ranked.topk(min(n_top_tokens, n_tokens), dim=1)  # (b, n)
    counts = token_counts.tolist()
    return [
        tuple(
            TokenStat(token_id=token_ids[row], mean_ci=value, count=counts[row], fires=fired)
            for value, row, fired in zip(
                component_values, component_rows, fired_counts, strict=True
            )
            if value != -torch.inf
        )
        for component_values, component_rows, fired_counts in zip(
            values.tolist(), rows.tolist(), fire_counts.gather(1, rows).long().tolist(), strict=True
        )
    ]


def _module_contexts(
    name: str,
    tokens: torch.Tensor,
    token_index: torch.Tensor,
    token_ids: list[int],
    token_counts: torch.Tensor,
    ci: torch.Tensor,
    alive_threshold: float,
    top_k: int,
    window: int,
    n_top_tokens: int,
    min_token_count: int,
) -> ModuleContexts:
    n_seq, seq_len, n_components = ci.shape
    n_positions = n_seq * seq_len
    by_position = ci.detach().reshape(n_positions, n_components)
    alive = (
        torch.nonzero(by_position.amax(0) > alive_threshold).squeeze(1)
        if n_components
        else torch.zeros(0, dtype=torch.long)
    )
    components: list[ComponentContexts] = []
    block_size = max(1, _BLOCK_ELEMENTS // n_positions)
    for start in range(0, alive.numel(), block_size):
        indices = alive[start : start + block_size]
        # one subcomponent per row: every later pass reads contiguous memory
        block = torch.index_select(by_position, 1, indices).T.contiguous().float()  # (b, P)
        fires = block > alive_threshold
        n_fires = fires.sum(1)
        contexts = _block_contexts(
            tokens,
            block.view(-1, n_seq, seq_len),
            fires.view(-1, n_seq, seq_len),
            top_k,
            window,
        )
        top_tokens = _block_top_tokens(
            block, fires, token_index, token_ids, token_counts, n_top_tokens, min_token_count
        )
        for index, frequency, mean_ci, max_ci, found_contexts, found_tokens in zip(
            indices.tolist(),
            (n_fires.double() / n_positions).tolist(),
            (block.sum(1).double() / n_positions).tolist(),
            block.amax(1).tolist(),
            contexts,
            top_tokens,
            strict=True,
        ):
            components.append(
                ComponentContexts(
                    index=index,
                    firing_frequency=frequency,
                    mean_ci=mean_ci,
                    max_ci=max_ci,
                    contexts=found_contexts,
                    top_tokens=found_tokens,
                )
            )
    components.sort(key=lambda c: (-c.firing_frequency, c.index))
    return ModuleContexts(
        name=name,
        n_components=n_components,
        n_positions=n_positions,
        alive_threshold=alive_threshold,
        mean_l0=sum(c.firing_frequency for c in components),
        components=tuple(components),
    )


def component_contexts(
    tokens: torch.Tensor,
    ci: Mapping[str, torch.Tensor],
    *,
    alive_threshold: float,
    top_k: int,
    window: int,
    n_top_tokens: int,
    min_token_count: int,
) -> list[ModuleContexts]:
    """Read every alive subcomponent of every module off its causal importances.

    Args:
        tokens: (N, T) token ids of the evaluation windows (each row one sequence; contexts never
            cross rows).
        ci: module name → (N, T, C) causal importances at those positions, any float dtype/device.
        alive_threshold: a subcomponent fires where its CI exceeds this; alive if it fires anywhere.
        top_k: activating contexts kept per subcomponent: the positions of highest CI among its
            firing positions, each the largest within ``window`` tokens on both sides (so one
            burst gives one context); fewer when it has fewer such positions.
        window: tokens shown on each side of the activating token.
        n_top_tokens: tokens kept per subcomponent, ranked by mean CI over their occurrences,
            among tokens it fires on at least once.
        min_token_count: tokens occurring fewer times than this are not ranked (a token seen
            once with high CI says little).

    Returns:
        One ``ModuleContexts`` per module, in the order of ``ci``; dead subcomponents are left
        out (``n_components`` still counts them).

    Raises:
        ValueError: ``tokens`` not a non-empty (N, T) integer tensor; ``ci`` empty, not (N, T, C)
            floats or not finite; ``alive_threshold`` outside [0, 1); ``top_k``, ``n_top_tokens``
            or ``min_token_count`` below 1, or ``window`` below 0.
    """
    _check_inputs(tokens, ci, alive_threshold, top_k, window, n_top_tokens, min_token_count)
    with torch.no_grad():
        distinct, token_index = torch.unique(tokens.reshape(-1), return_inverse=True)
        token_counts = torch.bincount(token_index, minlength=distinct.numel())
        token_ids = distinct.tolist()
        return [
            _module_contexts(
                name,
                tokens.long().to(values.device),
                token_index.to(values.device),
                token_ids,
                token_counts.to(values.device),
                values,
                alive_threshold,
                top_k,
                window,
                n_top_tokens,
                min_token_count,
            )
            for name, values in ci.items()
        ]
