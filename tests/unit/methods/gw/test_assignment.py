import itertools

import pytest
import torch

from subnetlab.methods.gw.assignment import (
    certify_optimal,
    min_cost_assignments,
    rank_one_max_assignment,
)


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


def test_candidate_kept_when_optimal_and_replaced_when_not():
    # the anti-diagonal is the unique optimum of this cost
    cost = torch.tensor([[5.0, 4.0, 0.0], [5.0, 0.0, 4.0], [0.0, 5.0, 5.0]]).unsqueeze(0)
    optimal = torch.tensor([[2, 1, 0]])
    identity = torch.tensor([[0, 1, 2]])
    assert certify_optimal(cost, optimal).tolist() == [True]
    assert certify_optimal(cost, identity).tolist() == [False]
    assert min_cost_assignments(cost, candidate=identity).tolist() == [[2, 1, 0]]


def test_certificate_needs_several_sweeps_for_a_chain():
    # identity (total 6) is optimal: any use of a cheap chain edge i -> i+1 (0.5 instead of 1)
    # must be closed by a back edge costing 10. Its dual prices fall by 0.5 per chain link, so
    # the certificate needs 5 relaxation sweeps.
    n = 6
    cost = torch.full((n, n), 10.0, dtype=torch.float64)
    cost.fill_diagonal_(1.0)
    for i in range(n - 1):
        cost[i, i + 1] = 0.5
    cost = cost.unsqueeze(0)
    identity = torch.arange(n).unsqueeze(0)
    assert certify_optimal(cost, identity, max_sweeps=3).tolist() == [False]
    assert certify_optimal(cost, identity, max_sweeps=6).tolist() == [True]
    assert min_cost_assignments(cost, candidate=identity, max_sweeps=3).tolist() == [list(range(n))]


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


def test_a_nan_cost_is_refused_before_the_candidate_is_certified():
    cost = torch.zeros(1, 3, 3)
    cost[0, 1, 2] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        min_cost_assignments(cost, candidate=torch.arange(3).unsqueeze(0))
