import torch

from subnetlab.data.sequential_batches import SequentialBatches


def _draw(generator: torch.Generator) -> torch.Tensor:
    return torch.rand(3, generator=generator)


def _first(batches: SequentialBatches, n: int) -> list[torch.Tensor]:
    stream = iter(batches)
    return [next(stream) for _ in range(n)]


def test_batches_are_the_generators_draws_in_turn_and_a_late_start_replays_them() -> None:
    state = torch.Generator().manual_seed(7).get_state()
    by_hand = torch.Generator().manual_seed(7)
    expected = [torch.rand(3, generator=by_hand) for _ in range(6)]
    from_zero = _first(SequentialBatches(_draw, state, lambda: 0), 6)
    assert all(torch.equal(a, b) for a, b in zip(from_zero, expected, strict=True))
    resumed = _first(SequentialBatches(_draw, state, lambda: 4), 2)  # a run resumed at step 4
    assert torch.equal(resumed[0], expected[4]) and torch.equal(resumed[1], expected[5])


def test_generator_after_n_draws_matches_whether_remembered_or_replayed() -> None:
    state = torch.Generator().manual_seed(3).get_state()
    batches = SequentialBatches(_draw, state, lambda: 0)
    _first(batches, 5)  # the iteration remembers the states after draws 0..5
    remembered = batches.generator_after(5)
    replayed = SequentialBatches(_draw, state, lambda: 0).generator_after(5)
    by_hand = torch.Generator().manual_seed(3)
    for _ in range(5):
        _draw(by_hand)
    after = torch.rand(4, generator=by_hand)
    assert torch.equal(torch.rand(4, generator=remembered), after)
    assert torch.equal(torch.rand(4, generator=replayed), after)
