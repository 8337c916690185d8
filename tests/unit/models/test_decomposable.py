import torch

from subnetlab.models.decomposable import EmbeddedInput, embed, read_input, residual_readout
from subnetlab.models.resid_mlp import ResidMLP


def test_residual_readout_folds_the_readout_only_for_appliers_that_ask_for_it() -> None:
    weight = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])  # (d_out 3, d_in 2)
    readout = torch.tensor([[1.0], [0.0], [2.0]])  # (3, 1)
    a, resid = torch.tensor([[1.0, 1.0]]), torch.tensor([[0.5, 0.0, -1.0]])
    # by hand: a Wᵀ = [3, -1, 4]; (resid + a Wᵀ) readout = 3.5·1 + 3·2 = 9.5
    calls: list[bool] = []

    def plain(name: str, x: torch.Tensor) -> torch.Tensor:
        calls.append(False)
        return x @ weight.T

    def folding(name: str, x: torch.Tensor, then: torch.Tensor | None = None) -> torch.Tensor:
        calls.append(then is not None)
        return x @ (weight.T @ then)

    folding.folds_then = True  # type: ignore[attr-defined]
    assert residual_readout(plain, "m", a, resid, readout).item() == 9.5
    assert residual_readout(folding, "m", a, resid, readout).item() == 9.5
    assert calls == [False, True]


def test_an_embedding_stays_factored_only_for_appliers_that_ask_for_it() -> None:
    x = torch.tensor([[0.0, 2.0], [1.0, 0.0]])
    embedding = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])  # (2, 3)
    matrix = torch.tensor([[1.0], [2.0], [0.5]])  # (3, 1)

    def folding(name: str, a: torch.Tensor) -> torch.Tensor:
        return a

    folding.folds_embedding = True  # type: ignore[attr-defined]
    formed = embed(lambda name, a: a, x, embedding)
    factored = embed(folding, x, embedding)
    assert isinstance(factored, EmbeddedInput) and not isinstance(formed, EmbeddedInput)
    # by hand: x·embedding = [[0, 2, -2], [1, 0, 2]]; times matrix = [[3], [2]]
    assert read_input(factored, matrix).tolist() == [[3.0], [2.0]]
    assert (factored + formed).tolist() == [[0.0, 4.0, -4.0], [2.0, 0.0, 4.0]]
    assert factored.dim() == 2


def test_resid_mlp_output_is_the_same_with_its_embedding_factored() -> None:
    model = ResidMLP(6, 12, 3, n_layers=2)
    x = torch.randn(5, 6)
    weights = model.weights()

    def folding(name: str, a: torch.Tensor) -> torch.Tensor:
        return read_input(a, weights[name].T)

    folding.folds_embedding = True  # type: ignore[attr-defined]
    torch.testing.assert_close(model.forward_with(x, folding), model(x))
