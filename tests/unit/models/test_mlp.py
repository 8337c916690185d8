import pytest
import torch

from subnetlab.methods.bimt.swaps import swap_units
from subnetlab.models.mlp import MLP


def test_forward_matches_layered_net_in_task_order_after_input_and_output_swaps():
    torch.manual_seed(0)
    model = MLP([4, 6, 3])
    x = torch.randn(10, 4)
    before = model(x)
    swap_units(model, 0, 0, 3)
    swap_units(model, 2, 1, 2)
    assert model.in_perm.tolist() == [3, 1, 2, 0]
    assert model.out_perm.tolist() == [0, 2, 1]
    torch.testing.assert_close(model(x), before, atol=1e-6, rtol=0)
    torch.testing.assert_close(model.to_layered_net().forward(x), before, atol=1e-6, rtol=0)


def test_internal_order_layered_net_sees_permuted_inputs_and_outputs():
    torch.manual_seed(1)
    model = MLP([3, 5, 2], activation="tanh")
    swap_units(model, 0, 0, 2)
    swap_units(model, 2, 0, 1)
    x = torch.randn(7, 3)
    internal = model.to_layered_net(task_order=False).forward(x[:, model.in_perm])
    torch.testing.assert_close(internal[:, torch.argsort(model.out_perm)], model(x))


def test_embedding_is_folded_into_a_one_hot_first_layer():
    torch.manual_seed(2)
    model = MLP([8, 5, 7], vocab_size=7, embed_dim=4)
    assert model.n_tokens == 2 and model.input_fold == 2 and model.unit_counts == [4, 5, 7]
    tokens = torch.tensor([[0, 6], [3, 3], [5, 1]])
    net = model.to_layered_net()
    assert net.widths == [14, 5, 7]
    torch.testing.assert_close(net.forward(model.embedded_inputs(tokens)), model(tokens))


def test_positions_are_buffers_with_one_row_per_unit():
    model = MLP([6, 4, 2], vocab_size=5, embed_dim=3)
    assert model.positions(0).shape == (3, 1)
    assert model.input_positions_full()[:, 0].tolist() == pytest.approx(
        [1 / 6, 1 / 2, 5 / 6, 1 / 6, 1 / 2, 5 / 6]
    )
    names = dict(model.named_buffers())
    assert {"positions_0", "positions_1", "positions_2", "in_perm", "out_perm"} <= set(names)
    grid = MLP([16, 9, 4], geometry="grid", image_shape=(4, 4))
    assert [grid.positions(i).shape for i in range(3)] == [(16, 2), (9, 2), (4, 2)]


def test_state_dict_round_trip_keeps_permutations():
    torch.manual_seed(3)
    model = MLP([3, 4, 2])
    swap_units(model, 0, 0, 1)
    clone = MLP([3, 4, 2])
    clone.load_state_dict(model.state_dict())
    x = torch.randn(5, 3)
    torch.testing.assert_close(clone(x), model(x))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"widths": [4]}, "at least two"),
        ({"widths": [4, 2], "activation": "swish"}, "activation"),
        ({"widths": [4, 2], "geometry": "sphere"}, "geometry"),
        ({"widths": [6, 2], "vocab_size": 5, "embed_dim": 4}, "embed_dim"),
        ({"widths": [6, 2], "embed_dim": 3}, "vocab_size"),
        ({"widths": [6, 2], "input_fold": 4}, "input_fold"),
        ({"widths": [6, 2], "vocab_size": 5, "embed_dim": 3, "input_fold": 1}, "n_tokens"),
        ({"widths": [10, 2], "geometry": "grid", "image_shape": (3, 3)}, "image_shape"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_hidden_layers_are_named_modules_whose_outputs_follow_the_activation() -> None:
    torch.manual_seed(3)
    model = MLP([4, 5, 6, 2], activation="tanh")
    assert model.block_names() == ["hidden.0", "hidden.1"]
    seen: dict[str, torch.Tensor] = {}
    for name in model.block_names():
        model.get_submodule(name).register_forward_hook(
            lambda _m, _i, out, name=name: seen.__setitem__(name, out)
        )
    x = torch.randn(3, 4)
    model(x)
    first = torch.tanh(model.linears[0](x))
    torch.testing.assert_close(seen["hidden.0"], first)
    torch.testing.assert_close(seen["hidden.1"], torch.tanh(model.linears[1](first)))
    assert set(model.state_dict()) == {  # parameter-free: checkpoints keep their keys
        *(f"linears.{i}.{p}" for i in range(3) for p in ("weight", "bias")),
        *(f"positions_{i}" for i in range(4)),
        "in_perm",
        "out_perm",
    }
