import pytest
import torch

from subnetlab.data.repeated_tokens import repeated_token_sequences, repeated_tokens_task
from subnetlab.data.sequence_task import SequenceTask
from subnetlab.registry import build_dataset
from subnetlab.schemas.repeated_tokens import RepeatedTokensSchema


def _layout(sequence: list[int]) -> tuple[int, int]:
    """(start p, length L) of the one repeated segment of a full sequence (inputs + last
    target), checking that every other token occurs once."""
    seen: dict[int, int] = {}
    repeats = []
    for j, token in enumerate(sequence):
        if token in seen:
            repeats.append((seen[token], j))
        else:
            seen[token] = j
    first, second = zip(*repeats, strict=True)
    start, length = first[0], len(repeats)
    assert list(first) == list(range(start, start + length))
    assert list(second) == list(range(start + length, start + 2 * length))
    return start, length


def test_each_sequence_holds_one_segment_repeated_right_after_itself() -> None:
    generator = torch.Generator().manual_seed(0)
    inputs, targets = repeated_token_sequences(500, 40, 20, 3, 10, generator)
    assert inputs.shape == targets.shape == (500, 20) and inputs.dtype == torch.long
    assert torch.equal(inputs[:, 1:], targets[:, :-1])
    assert 0 <= int(inputs.min()) and int(targets.max()) < 40
    full = torch.cat([inputs, targets[:, -1:]], dim=1)
    layouts = [_layout(row) for row in full.tolist()]
    starts = {p for p, _ in layouts}
    lengths = {L for _, L in layouts}
    assert lengths == set(range(3, 11))  # every allowed length occurs in 500 draws
    assert min(starts) == 0 and max(starts) == 21 - 2 * 3  # the copy ends at the last token
    assert all(p + 2 * L <= 21 for p, L in layouts)


def test_fixed_halves_are_the_classic_layout() -> None:
    generator = torch.Generator().manual_seed(1)
    inputs, targets = repeated_token_sequences(50, 16, 15, 8, 8, generator)
    full = torch.cat([inputs, targets[:, -1:]], dim=1)
    assert torch.equal(full[:, :8], full[:, 8:])


def test_the_task_is_a_seeded_next_token_split() -> None:
    knobs = dict(vocab_size=30, seq_len=12, min_repeat=2, max_repeat=6, n_train=40, n_test=10)
    task = repeated_tokens_task(**knobs, data_seed=3)
    assert task.predict == "all" and task.vocab_size == 30 and task.seq_len == 12
    assert (task.split.n_train, task.split.n_test) == (40, 10)
    again = repeated_tokens_task(**knobs, data_seed=3)
    other = repeated_tokens_task(**knobs, data_seed=4)
    assert torch.equal(task.split.x_test, again.split.x_test)
    assert not torch.equal(task.split.x_train, other.split.x_train)
    built = build_dataset(RepeatedTokensSchema(**knobs, data_seed=3), SequenceTask)
    assert torch.equal(built.split.y_train, task.split.y_train)


def test_impossible_layouts_are_named() -> None:
    generator = torch.Generator()
    with pytest.raises(ValueError, match="max_repeat=9 must satisfy"):
        repeated_token_sequences(1, 64, 16, 4, 9, generator)
    with pytest.raises(ValueError, match="min_repeat=1"):
        repeated_token_sequences(1, 64, 16, 1, 4, generator)
    with pytest.raises(ValueError, match="vocab_size=12 is below seq_len \\+ 1 − min_repeat = 13"):
        repeated_token_sequences(1, 12, 16, 4, 8, generator)
