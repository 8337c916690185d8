import torch

from subnetlab.models.decomposable import residual_readout


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
