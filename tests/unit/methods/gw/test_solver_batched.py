import numpy as np
import pytest
import torch

from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.solver_batched import (
    _updated_vertex_product,
    _vertex_product,
    batched_gromov_wasserstein,
)
from subnetlab.methods.gw.solver_pot import identity_coupling_loss, pot_exact_gw

PAIR = torch.tensor([[0, 1]])


def _gw(c1: torch.Tensor, c2: torch.Tensor, init: str = "identity", **kw) -> float:
    return float(batched_gromov_wasserstein(torch.stack([c1, c2]), PAIR, init, **kw).value[0])


def _transforms(points: torch.Tensor) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    d = points.shape[1]
    rotation, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    return {
        "rotation": points @ rotation,
        "translation": points + 5.0 * torch.randn(1, d, generator=gen, dtype=torch.float64),
        "neuron_permutation": points[:, torch.randperm(d, generator=gen)],
        "scale_x10": 10.0 * points,
    }


@pytest.mark.parametrize("init", ["identity", "product"])
@pytest.mark.parametrize("name", ["rotation", "translation", "neuron_permutation", "scale_x10"])
def test_invariances_give_zero(points, name, init):
    transformed = _transforms(points)[name]
    c = layer_distances([points, transformed])
    assert 0.0 <= _gw(c[0], c[1], init) <= 1e-8
    assert abs(pot_exact_gw(c[0], c[1], init=init)[0]) <= 1e-8  # the reference agrees


def test_scale_without_normalisation_is_not_invariant(points):
    c = layer_distances([points, 10.0 * points], normalize="none")
    assert _gw(c[0], c[1]) > 1.0


def test_general_linear_map_is_clearly_nonzero(points):
    gen = torch.Generator().manual_seed(8)
    linear = torch.randn(6, 6, generator=gen, dtype=torch.float64) @ torch.diag(
        torch.tensor([4.0, 2.0, 1.0, 0.5, 0.25, 0.1], dtype=torch.float64)
    )
    c = layer_distances([points, points @ linear])
    assert _gw(c[0], c[1]) > 1e-3


def test_self_distance_symmetry_and_identity_bound(two_layers):
    c1, c2 = two_layers
    assert _gw(c1, c1, "product") == pytest.approx(0.0, abs=1e-12)
    forward = min(_gw(c1, c2, "identity"), _gw(c1, c2, "product"))
    backward = min(_gw(c2, c1, "identity"), _gw(c2, c1, "product"))
    assert forward == pytest.approx(backward, rel=0.02)
    assert _gw(c1, c2, "identity") <= identity_coupling_loss(c1, c2)


@pytest.fixture
def five_layers(points) -> torch.Tensor:
    """(5, 40, 40): maps of ``points`` different enough to take 2-8 Frank-Wolfe iterations."""
    gen = torch.Generator().manual_seed(9)
    weight = torch.randn(6, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    return layer_distances(
        [
            points,
            torch.tanh(2.0 * points @ weight),
            points**2,
            points @ torch.randn(6, 3, generator=gen, dtype=torch.float64),
            torch.relu(points @ torch.randn(6, 8, generator=gen, dtype=torch.float64)),
        ]
    )


@pytest.mark.parametrize("init", ["identity", "product"])
def test_matches_pot_exact_from_the_same_start(five_layers, init):
    # the same algorithm, start and stopping rule: the same vertices, so the same value up to
    # rounding, on pairs whose vertices change by rank-|S| updates as well as full products
    pairs = torch.combinations(torch.arange(5), r=2)
    result = batched_gromov_wasserstein(five_layers, pairs, init)
    assert int(result.n_iter.max()) >= 4
    for value, (a, b) in zip(result.value.tolist(), pairs.tolist(), strict=True):
        theirs, _ = pot_exact_gw(five_layers[a], five_layers[b], init=init)
        assert value == pytest.approx(theirs, rel=1e-9, abs=0.0)


def test_vertex_product_update_equals_the_full_product(two_layers):
    c1, c2 = two_layers
    n = c1.shape[0]
    gen = torch.Generator().manual_seed(5)
    known_perm = torch.randperm(n, generator=gen)
    known = (known_perm, _vertex_product(c1, c2, known_perm))
    few = known_perm.clone()
    few[[3, 7, 11]] = few[[7, 11, 3]]  # a 3-cycle: 3 rows differ
    updated = _updated_vertex_product(c1, c2, few, known)
    assert updated is not None
    torch.testing.assert_close(updated, _vertex_product(c1, c2, few), rtol=0.0, atol=1e-14)
    assert _updated_vertex_product(c1, c2, known_perm, known) is known[1]
    many = known_perm.roll(1)  # every row differs: a full product is cheaper
    assert _updated_vertex_product(c1, c2, many, known) is None
    assert _updated_vertex_product(c1, c2, few, None) is None


def test_coupling_has_uniform_marginals_and_reproduces_the_value(two_layers):
    result = batched_gromov_wasserstein(two_layers, PAIR, "product")
    plan = result.coupling(0)
    n = plan.shape[0]
    assert torch.allclose(
        plan.sum(dim=0), torch.full((n,), 1.0 / n, dtype=torch.float64), atol=1e-12
    )
    assert torch.allclose(
        plan.sum(dim=1), torch.full((n,), 1.0 / n, dtype=torch.float64), atol=1e-12
    )
    c1, c2 = two_layers
    dense = (c1**2).mean() + (c2**2).mean() - 2.0 * (plan * (c1 @ plan @ c2)).sum()
    assert float(result.value[0]) == pytest.approx(float(dense), rel=1e-9)


def test_reversed_order_gives_the_anti_diagonal_plan():
    # points on a line: reversing their order is an isometry; from the product start (as in
    # POT's own test) the solver finds it as the anti-diagonal plan
    x = torch.linspace(0.0, 1.0, 8, dtype=torch.float64).unsqueeze(1) ** 1.5
    c = layer_distances([x, x.flip(0)])
    result = batched_gromov_wasserstein(c, PAIR, "product")
    assert float(result.value[0]) == pytest.approx(0.0, abs=1e-12)
    plan = result.coupling(0)
    assert torch.allclose(plan, torch.eye(8, dtype=torch.float64).flip(1) / 8, atol=1e-12)


def test_all_pairs_in_one_call_equal_separate_calls(two_layers, points):
    c = torch.cat([two_layers, layer_distances([points**2])])
    pairs = torch.tensor([[0, 1], [0, 2], [1, 2]])
    together = batched_gromov_wasserstein(c, pairs, "product", max_batch=2).value
    alone = [
        float(batched_gromov_wasserstein(c, pairs[i : i + 1], "product").value[0]) for i in range(3)
    ]
    np.testing.assert_allclose(together.numpy(), alone, rtol=1e-12)


def test_float32_is_close_to_float64(two_layers):
    v64 = _gw(*two_layers, "identity")
    v32 = _gw(*two_layers, "identity", dtype=torch.float32)
    assert v32 == pytest.approx(v64, rel=1e-3)


def test_stop_above_abandons_a_start_that_is_behind(two_layers):
    result = batched_gromov_wasserstein(
        two_layers, PAIR, "product", stop_above=torch.tensor([0.0], dtype=torch.float64)
    )
    assert result.abandoned.tolist() == [True]
    assert result.n_iter.tolist() == [1]


def test_bad_inputs_raise(two_layers):
    with pytest.raises(ValueError, match="symmetric"):
        batched_gromov_wasserstein(two_layers + torch.triu(torch.ones(40, 40)), PAIR)
    with pytest.raises(ValueError, match="init"):
        batched_gromov_wasserstein(two_layers, PAIR, "random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="index"):
        batched_gromov_wasserstein(two_layers, torch.tensor([[0, 2]]))
