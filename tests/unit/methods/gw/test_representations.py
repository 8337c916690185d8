import pytest
import torch
from torch import nn

from subnetlab.methods.gw.representations import collect_representations, pool_output


class _TupleBlock(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        return 2.0 * x, None


def test_pooling_rules():
    seq = torch.arange(12.0).reshape(1, 3, 4)  # (B, T, D)
    assert pool_output(seq, "last").tolist() == [[8.0, 9.0, 10.0, 11.0]]
    assert pool_output(seq, "mean").tolist() == [[4.0, 5.0, 6.0, 7.0]]
    image = torch.arange(8.0).reshape(1, 2, 2, 2)  # (B, C, H, W) -> channel means
    assert pool_output(image).tolist() == [[1.5, 5.5]]
    with pytest.raises(ValueError, match="pooling"):
        pool_output(seq, "max")  # type: ignore[arg-type]


def test_hooks_collect_every_named_module_in_batches():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), _TupleBlock())
    model.train()
    x = torch.randn(10, 3)
    reps = collect_representations(model, ["0", "2", "3"], x, batch_size=4)
    assert list(reps) == ["0", "2", "3"]
    expected = model[0](x).double()
    assert torch.allclose(reps["0"], expected)
    assert torch.allclose(reps["2"], torch.relu(expected))  # eval mode: dropout is off
    assert torch.allclose(reps["3"], 2.0 * reps["2"])  # first element of a tuple output
    assert model.training  # restored afterwards
    assert all(not m._forward_hooks for m in model.modules())


def test_sequence_model_with_an_iterable_of_batches():
    model = nn.Sequential(nn.Embedding(5, 3))
    batches = [torch.tensor([[1, 2], [3, 4]]), torch.tensor([[0, 1]])]
    reps = collect_representations(model, ["0"], batches, pooling="last")
    weight = model[0].weight.double()
    assert torch.allclose(reps["0"], weight[[2, 4, 1]])


def test_unknown_module_raises():
    with pytest.raises(ValueError, match="not found"):
        collect_representations(nn.Sequential(nn.Linear(2, 2)), ["9"], torch.zeros(1, 2))


def test_applied_outputs_of_a_decomposable_target():
    from subnetlab.methods.gw.representations import collect_applied_outputs
    from subnetlab.models.tms import TMS

    torch.manual_seed(0)
    model = TMS(5, 2, 1)
    x = torch.rand(7, 5)
    reps = collect_applied_outputs(model, ["linear1", "hidden_layers.0"], x, batch_size=3)
    hidden = x @ model.linear1.weight.T
    assert torch.allclose(reps["linear1"], hidden.double(), atol=1e-6)
    assert reps["hidden_layers.0"].shape == (7, 2)
    with pytest.raises(ValueError, match="not linear maps"):
        collect_applied_outputs(model, ["nope"], x)


def test_module_never_called_is_reported():
    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x @ self.lin.weight.T  # the submodule itself never runs

    with pytest.raises(ValueError, match="never called"):
        collect_representations(Functional(), ["lin"], torch.zeros(3, 2))
