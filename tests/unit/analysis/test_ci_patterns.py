import pytest
import torch

from subnetlab.analysis.ci_patterns import (
    dense_pattern_error,
    identity_pattern_error,
    pattern_error,
)


def test_identity_pattern_is_permutation_invariant() -> None:
    ci = torch.zeros(5, 20)
    for feature, component in enumerate([7, 2, 19, 0, 11]):
        ci[feature, component] = 1.0
    assert identity_pattern_error(ci) == 0


def test_identity_pattern_counts_each_broken_entry() -> None:
    ci = torch.zeros(3, 6)
    ci[0, 4] = 1.0
    ci[1, 1] = 0.85  # diagonal too weak (< 0.9)
    ci[2, 0] = 1.0
    ci[2, 5] = 0.3  # a second component for feature 2 (> 0.1)
    assert identity_pattern_error(ci) == 2
    assert identity_pattern_error(ci, tolerance=0.2) == 1  # 0.85 passes at 0.2


def test_dense_pattern() -> None:
    ci = torch.zeros(4, 10)
    ci[:, 3] = 1.0
    ci[:, 8] = 0.95
    assert dense_pattern_error(ci, k=2) == 0
    assert dense_pattern_error(ci, k=3) == 1  # a third strong column is missing
    ci[1, 0] = 0.5
    assert dense_pattern_error(ci, k=2) == 1  # a stray entry in an unused column


def test_pattern_dispatch_and_errors() -> None:
    assert pattern_error(torch.eye(3), ("identity", 3)) == 0
    with pytest.raises(ValueError, match="unknown CI pattern"):
        pattern_error(torch.eye(3), ("diagonal", 3))
    with pytest.raises(ValueError, match="at least 5"):
        identity_pattern_error(torch.eye(5)[:, :4])


def test_a_nan_ci_is_an_error_not_a_perfect_solution() -> None:
    ci = torch.full((3, 5), float("nan"))
    # NaN fails every threshold test, so the dense count was 0: "perfect"
    with pytest.raises(ValueError, match="NaN or infinite"):
        dense_pattern_error(ci, 1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        identity_pattern_error(ci)
    with pytest.raises(ValueError, match="tolerance must be in"):
        identity_pattern_error(torch.eye(3), tolerance=0.5)
    with pytest.raises(ValueError, match=r"\(n_features, C\)"):
        pattern_error(torch.ones(3), ("identity", 0))
    with pytest.raises(ValueError, match="k >= 1"):
        dense_pattern_error(torch.eye(3), 0)
