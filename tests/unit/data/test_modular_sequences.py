import torch

from subnetlab.data.modular_sequences import equals_token, modular_addition_sequences


def test_sequences_are_a_b_equals_with_the_sum_as_target() -> None:
    task = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=3)
    assert task.vocab_size == 8 and task.predict == "last" and task.seq_len == 3
    split = task.split
    for inputs, targets in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
        assert (inputs[:, 2] == equals_token(7)).all()
        assert torch.equal(targets, (inputs[:, 0] + inputs[:, 1]) % 7)
    assert split.n_train == int(0.6 * 49) and split.n_test == 49 - 29


def test_split_is_disjoint_complete_and_set_by_split_seed() -> None:
    task = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=3)
    train = {tuple(r) for r in task.split.x_train[:, :2].tolist()}
    test = {tuple(r) for r in task.split.x_test[:, :2].tolist()}
    assert not train & test and len(train | test) == 49
    again = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=3)
    other = modular_addition_sequences(p=7, train_fraction=0.6, split_seed=4)
    assert torch.equal(task.split.x_test, again.split.x_test)
    assert not torch.equal(task.split.x_test, other.split.x_test)


def test_shifted_task_moves_every_class() -> None:
    task = modular_addition_sequences(p=5, train_fraction=0.8)
    shifted = task.shifted(2)
    assert torch.equal(shifted.split.y_train, (task.split.y_train + 2) % 6)
    assert torch.equal(shifted.split.x_test, task.split.x_test)
