import itertools

import pytest
import torch

from subnetlab.methods.gw.assignment import min_cost_assignments, rank_one_max_assignment


def _brute_force(cost: torch.Tensor) -> float:
    n = cost.shape[0]
    return min(
        float(cost[torch.arange(n), list(p)].sum()) for p in itertools.permutations(range(n))
    )


def test_min_cost_assignments_matches_brute_force():
    cost = torch.rand(3, 6, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    perm = min_cost_assignments(cost)
    for b in range(3):
        assert sorted(perm[b].tolist()) == list(range(6))
        assert float(cost[b, torch.arange(6), perm[b]].sum()) == pytest.approx(
            _brute_force(cost[b])
        )


def test_large_column_offsets_do_not_change_the_optimum():
    # a column offset adds the same amount to every permutation's total
    gen = torch.Generator().manual_seed(1)
    cost = torch.rand(2, 6, 6, generator=gen, dtype=torch.float64)
    offsets = 1e3 * torch.randn(2, 1, 6, generator=gen, dtype=torch.float64)
    perm = min_cost_assignments(cost + offsets)
    for b in range(2):
        assert float(cost[b, torch.arange(6), perm[b]].sum()) == pytest.approx(
            _brute_force(cost[b]), rel=1e-12
        )


def test_rank_one_assignment_sorts():
    row = torch.tensor([[3.0, 1.0, 2.0]])
    col = torch.tensor([[10.0, 30.0, 20.0]])
    # largest row entry (index 0) takes the largest column entry (index 1), and so on
    assert rank_one_max_assignment(row, col).tolist() == [[1, 0, 2]]


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"\(B, N, N\)"):
        min_cost_assignments(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="NaN"):
        min_cost_assignments(torch.full((1, 2, 2), float("nan")))


def test_an_infinite_cost_is_refused():
    cost = torch.zeros(1, 3, 3, dtype=torch.float64)
    cost[0, 1, 2] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        min_cost_assignments(cost)
