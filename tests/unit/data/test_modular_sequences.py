import torch

from subnetlab.data.modular_sequences import equals_token, modular_addition_sequences


def test_sequences_are_a_b_equals_with_the_sum_as_target() -> None:
    task = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=3)
    assert task.vocab_size == 8 and task.predict == "last" and task.seq_len == 3
    for inputs, targets in (
        (task.train_inputs, task.train_targets),
        (task.test_inputs, task.test_targets),
    ):
        assert (inputs[:, 2] == equals_token(7)).all()
        assert torch.equal(targets, (inputs[:, 0] + inputs[:, 1]) % 7)
    assert task.train_inputs.shape[0] == int(0.6 * 49) and task.test_inputs.shape[0] == 49 - 29


def test_split_is_disjoint_complete_and_set_by_split_seed() -> None:
    task = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=3)
    train = {tuple(r) for r in task.train_inputs[:, :2].tolist()}
    test = {tuple(r) for r in task.test_inputs[:, :2].tolist()}
    assert not train & test and len(train | test) == 49
    again = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=3)
    other = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=4)
    assert torch.equal(task.test_inputs, again.test_inputs)
    assert not torch.equal(task.test_inputs, other.test_inputs)


def test_shifted_task_moves_every_class() -> None:
    task = modular_addition_sequences(p=5, train_fraction=0.8)
    shifted = task.shifted(2)
    assert torch.equal(shifted.train_targets, (task.train_targets + 2) % 6)
    assert torch.equal(shifted.test_inputs, task.test_inputs)
