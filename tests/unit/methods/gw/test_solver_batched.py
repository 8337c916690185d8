import numpy as np
import pytest
import torch

from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.solver_batched import batched_gromov_wasserstein
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


@pytest.mark.parametrize("init", ["identity", "product"])
def test_matches_pot_exact_from_the_same_start(two_layers, init):
    c1, c2 = two_layers
    ours = _gw(c1, c2, init, tol_rel=1e-9)
    theirs, _ = pot_exact_gw(c1, c2, init=init)
    assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-12)


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
