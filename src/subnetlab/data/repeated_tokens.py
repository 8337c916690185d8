"""The induction-head task (``dataset=repeated_tokens``): sequences of distinct random tokens in
which one segment is repeated right after itself, the next token predicted at every position.

Each sequence of ``seq_len + 1`` tokens (inputs: the first ``seq_len``, targets: the last
``seq_len``) holds a segment ``a`` of L tokens, L uniform in [min_repeat, max_repeat], at a
uniform start p, then the same segment again at p + L; every other token is new, so the only
repeated tokens are the second copy's. Inside the copy (inputs p + L … p + 2L − 2) the next token
is the one that followed the current token's earlier occurrence: predictable by induction only
(Olsson et al. 2022, arXiv:2209.11895, §2 "repeated random tokens"), and elsewhere not
predictable at all beyond "a token not seen yet".

Why the repeat starts anywhere and varies in length, not "the second half repeats the first":
with a fixed layout, position t of the copy can find its answer at the fixed offset t − L + 1 by
position alone, and a one-layer positional head solves the task; the default model trained on
fixed halves did exactly that (induction accuracy 1.0 with previous-token scores of 0.06 and 0.14
in layer 0, against 0.93 for the previous-token head trained on this layout). With
``min_repeat = max_repeat = (seq_len + 1) / 2`` (``seq_len`` odd) this dataset is the classic
fixed-halves one.
"""

from __future__ import annotations

import torch

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.data.split import Split
from subnetlab.registry import register_dataset
from subnetlab.schemas.repeated_tokens import RepeatedTokensSchema


def repeated_token_sequences(
    n: int,
    vocab_size: int,
    seq_len: int,
    min_repeat: int,
    max_repeat: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences as (inputs (n, seq_len), next-token targets (n, seq_len)), long.

    Raises:
        ValueError: ``2 ≤ min_repeat ≤ max_repeat ≤ (seq_len + 1) / 2`` fails, or ``vocab_size``
            is below ``seq_len + 1 − min_repeat`` (the distinct tokens outside a repeat).
    """
    total = seq_len + 1
    if not 2 <= min_repeat <= max_repeat <= total // 2:
        raise ValueError(
            f"min_repeat={min_repeat}, max_repeat={max_repeat} must satisfy "
            f"2 ≤ min_repeat ≤ max_repeat ≤ (seq_len + 1) / 2 = {total // 2}"
        )
    if vocab_size < total - min_repeat:
        raise ValueError(
            f"vocab_size={vocab_size} is below seq_len + 1 − min_repeat = {total - min_repeat}"
        )
    length = torch.randint(min_repeat, max_repeat + 1, (n, 1), generator=generator)
    # uniform start in 0 … total − 2L (the float draw keeps one call for every row's own range)
    start = (torch.rand(n, 1, generator=generator) * (total - 2 * length + 1)).long()
    fresh = torch.rand(n, vocab_size, generator=generator).argsort(dim=1)  # a permutation per row
    position = torch.arange(total)
    # position j reads fresh token j before the copy and j − L from the copy on: the copy
    # re-reads the segment, everything after it continues the fresh tokens
    source = torch.where(position < start + length, position, position - length)
    tokens = fresh.gather(1, source)
    return tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()


def repeated_tokens_task(
    *,
    vocab_size: int,
    seq_len: int,
    min_repeat: int,
    max_repeat: int,
    n_train: int,
    n_test: int,
    data_seed: int,
) -> SequenceTask:
    """Train then test sequences drawn from one generator seeded with ``data_seed``; next-token
    targets at every position (``predict="all"``). Raises ValueError as
    ``repeated_token_sequences``."""
    generator = torch.Generator().manual_seed(data_seed)
    draw = (vocab_size, seq_len, min_repeat, max_repeat, generator)
    x_train, y_train = repeated_token_sequences(n_train, *draw)
    x_test, y_test = repeated_token_sequences(n_test, *draw)
    return SequenceTask(Split(x_train, y_train, x_test, y_test), vocab_size, "all")


@register_dataset("repeated_tokens", RepeatedTokensSchema, produces=SequenceTask)
def build_repeated_tokens(cfg: RepeatedTokensSchema) -> SequenceTask:
    """The task a ``dataset=repeated_tokens`` config describes."""
    return repeated_tokens_task(
        vocab_size=cfg.vocab_size,
        seq_len=cfg.seq_len,
        min_repeat=cfg.min_repeat,
        max_repeat=cfg.max_repeat,
        n_train=cfg.n_train,
        n_test=cfg.n_test,
        data_seed=cfg.data_seed,
    )
