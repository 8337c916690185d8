import pytest
import torch

from subnetlab.methods.gw.distances import (
    check_distance_matrices,
    layer_distances,
    normalize_distances,
    pairwise_distances,
)

TRIANGLE = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=torch.float64)


def test_euclidean_and_squared_on_a_3_4_5_triangle():
    expected = torch.tensor(
        [[0.0, 3.0, 4.0], [3.0, 0.0, 5.0], [4.0, 5.0, 0.0]], dtype=torch.float64
    )
    assert torch.allclose(pairwise_distances(TRIANGLE), expected, atol=1e-12)
    assert torch.allclose(pairwise_distances(TRIANGLE, "sqeuclidean"), expected**2, atol=1e-10)


def test_cosine_distance_by_hand():
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]], dtype=torch.float64)
    expected = torch.tensor(
        [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]], dtype=torch.float64
    )
    assert torch.allclose(pairwise_distances(x, "cosine"), expected, atol=1e-12)


def test_euclidean_is_accurate_under_a_large_translation():
    far = TRIANGLE + 1e6
    assert torch.allclose(pairwise_distances(far), pairwise_distances(TRIANGLE), atol=1e-9)


def test_normalisations():
    d = pairwise_distances(TRIANGLE)
    assert float(normalize_distances(d, "max").max()) == pytest.approx(1.0)
    # off-diagonal mean of (3, 4, 5) twice is 4
    assert torch.allclose(normalize_distances(d, "mean"), d / 4.0)
    assert normalize_distances(d, "none") is d


def test_layer_distances_stack_and_cache(tmp_path):
    reps = {"a": TRIANGLE, "b": 2.0 * TRIANGLE}
    path = tmp_path / "c.pt"
    first = layer_distances(reps, cache_path=path)
    assert first.shape == (2, 3, 3) and path.exists()
    assert torch.equal(first[0], first[1])  # scale removed by max-normalisation
    assert torch.equal(layer_distances(reps, cache_path=path), first)
    changed = layer_distances({"a": TRIANGLE, "b": TRIANGLE.flip(0)}, cache_path=path)
    assert not torch.equal(changed[1], first[1])  # different data is not served from the cache


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="metric"):
        pairwise_distances(TRIANGLE, "manhattan")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="normalize"):
        normalize_distances(pairwise_distances(TRIANGLE), "median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same N"):
        layer_distances([TRIANGLE, TRIANGLE[:2]])
    with pytest.raises(ValueError, match="coincide"):
        normalize_distances(pairwise_distances(torch.ones(3, 2)))
    with pytest.raises(ValueError, match="all-zero"):
        pairwise_distances(torch.zeros(3, 2), "cosine")


def test_distance_matrices_must_be_finite_square_and_symmetric():
    good = torch.stack([pairwise_distances(TRIANGLE), pairwise_distances(2.0 * TRIANGLE)])
    check_distance_matrices(good)
    with pytest.raises(ValueError, match=r"shape \(L, N, N\)"):
        check_distance_matrices(good[0])
    nan = good.clone()
    nan[1, 0, 2] = nan[1, 2, 0] = float("nan")
    with pytest.raises(ValueError, match=r"distance matrices \[1\] contain NaN"):
        check_distance_matrices(nan)
    skewed = good.clone()
    skewed[0, 0, 1] += 1e-3
    with pytest.raises(ValueError, match="distance matrix 0 is not symmetric"):
        check_distance_matrices(skewed)
    rounding = good.clone()
    rounding[0, 0, 1] += 1e-14  # rounding of a symmetric computation is tolerated
    check_distance_matrices(rounding)


def test_an_unreadable_or_non_finite_cache_is_recomputed_and_rewritten(tmp_path):
    reps = {"a": TRIANGLE, "b": 2.0 * TRIANGLE}
    path = tmp_path / "c.pt"
    path.write_text("a truncated or foreign file")
    first = layer_distances(reps, cache_path=path)
    assert torch.equal(torch.load(path, weights_only=True)["distances"], first)
    stored = torch.load(path, weights_only=True)
    stored["distances"] = torch.full_like(first, float("nan"))  # same key, poisoned values
    torch.save(stored, path)
    assert torch.equal(layer_distances(reps, cache_path=path), first)
