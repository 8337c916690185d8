"""The symmetric group S4: predict the composition of two permutations of four elements."""

from __future__ import annotations

import itertools

import torch

from subnetlab.data.tasks import TaskData, TaskSource, TaskSpec
from subnetlab.registry import register_dataset
from subnetlab.schemas.bimt import PermutationS4DatasetSchema


def s4_elements() -> torch.Tensor:
    """The 24 permutations of (0, 1, 2, 3) in lexicographic order: (24, 4) long."""
    return torch.tensor(list(itertools.permutations(range(4))))


def parity(perms: torch.Tensor) -> torch.Tensor:
    """+1 for even and -1 for odd permutations: (n,) long, ``perms`` (n, k)."""
    inversions = (perms.unsqueeze(2) > perms.unsqueeze(1)).triu(diagonal=1).sum((1, 2))
    return 1 - 2 * (inversions % 2)


def composition_table() -> torch.Tensor:
    """table[i, j] = index of element_i o element_j, i.e. (s o t)(x) = s[t[x]]: (24, 24) long."""
    elements = s4_elements()
    index = {tuple(p.tolist()): k for k, p in enumerate(elements)}
    table = torch.empty(24, 24, dtype=torch.long)
    for i, s in enumerate(elements):
        for j, t in enumerate(elements):
            table[i, j] = index[tuple(s[t].tolist())]
    return table


def permutation_s4(
    train_fraction: float = 0.8, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """All 576 ordered pairs of S4 elements labelled with their composition's index.

    Returns (train_tokens (n_train, 2) long, train_labels (n_train,), test_tokens, test_labels).
    """
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction={train_fraction} must be in (0, 1)")
    a, b = torch.meshgrid(torch.arange(24), torch.arange(24), indexing="ij")
    tokens = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
    labels = composition_table()[tokens[:, 0], tokens[:, 1]]
    order = torch.randperm(576, generator=torch.Generator().manual_seed(seed))
    n_train = int(train_fraction * 576)
    return (
        tokens[order[:n_train]],
        labels[order[:n_train]],
        tokens[order[n_train:]],
        labels[order[n_train:]],
    )


@register_dataset("permutation_s4", PermutationS4DatasetSchema, produces=TaskSource)
def build_permutation_s4(cfg: PermutationS4DatasetSchema) -> TaskSource:
    """``dataset=permutation_s4``: pairs of S4 elements → their composition, split with the seed."""

    def draw(seed: int) -> TaskSpec:
        tensors = permutation_s4(cfg.train_fraction, seed)
        return TaskSpec(TaskData(*tensors), "cross_entropy", 2, 24, vocab_size=24)

    return TaskSource(draw)
