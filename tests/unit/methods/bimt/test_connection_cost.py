import pytest
import torch

from subnetlab.methods.bimt.connection_cost import ConnectionCost, CostSettings, connection_cost
from subnetlab.models.mlp import MLP


def _tiny_net() -> MLP:
    """[2, 2, 1]: input slots at 1/4, 3/4; hidden at 1/4, 3/4; the output at 1/2."""
    model = MLP([2, 2, 1])
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.0]]))
        model.linears[0].bias.copy_(torch.tensor([0.3, -0.1]))
        model.linears[1].weight.copy_(torch.tensor([[4.0, -1.0]]))
        model.linears[1].bias.copy_(torch.tensor([2.0]))
    return model


def test_sum_cost_equals_hand_computation():
    # distances layer 0: [[0, .5], [.5, 0]]; layer 1: [[.25, .25]]; wf = 2, l0 = 0.1
    # weights: 1*(0+.1) + 2*(1+.1) + .5*(1+.1) + 0 = 2.85
    #          4*(.5+.1) + 1*(.5+.1) = 3.0 ; biases: .1*(.3+.1+2) = 0.24
    settings = CostSettings(layer_gap=0.1, distance_weight=2.0, reduction="sum")
    model = _tiny_net()
    assert connection_cost(model, settings).item() == pytest.approx(2.85 + 3.0 + 0.24)
    assert connection_cost(model, settings, include_bias=False).item() == pytest.approx(5.85)


def test_mean_reduction_and_exempt_last_layer():
    # mean: 2.85/4 + 0.1*2.4/2... per tensor: W0 2.85/4, b0 .1*.4/2, W1 (last, no distance)
    # 4*.1 + 1*.1 = .5 -> /2, b1 .1*2/1
    settings = CostSettings(
        layer_gap=0.1, distance_weight=2.0, reduction="mean", exempt_last_layer=True
    )
    expected = 2.85 / 4 + 0.1 * 0.4 / 2 + 0.5 / 2 + 0.1 * 2.0
    assert connection_cost(_tiny_net(), settings).item() == pytest.approx(expected)


def test_embedding_is_plain_l1_at_the_layer_gap():
    torch.manual_seed(0)
    model = MLP([4, 3, 5], vocab_size=5, embed_dim=2)
    settings = CostSettings(layer_gap=0.5, distance_weight=1.0)
    with_table = connection_cost(model, settings).item()
    with torch.no_grad():
        table_l1 = float(model.embedding.weight.abs().sum())
        model.embedding.weight.zero_()
    assert with_table - connection_cost(model, settings).item() == pytest.approx(0.5 * table_l1)


def test_folded_inputs_share_their_slot_position():
    # [4 (2 tokens x 2 dims), 1]: input columns 0 and 2 sit at 1/4, columns 1 and 3 at 3/4
    model = MLP([4, 1], vocab_size=3, embed_dim=2)
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 2.0]]))
        model.embedding.weight.zero_()
    settings = CostSettings(layer_gap=0.0, distance_weight=1.0)
    # output at 1/2: |1|*0.25 + |2|*0.25
    assert connection_cost(model, settings, include_bias=False).item() == pytest.approx(0.75)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("include_bias", [True, False])
def test_precomputed_cost_and_its_gradient_match_autograd(reduction, include_bias):
    torch.manual_seed(1)
    model = MLP([6, 5, 4, 7], vocab_size=7, embed_dim=3)
    settings = CostSettings(0.3, 1.5, reduction, exempt_last_layer=True)
    priced = ConnectionCost(model, settings)
    reference = connection_cost(model, settings, include_bias)
    assert priced.value(model, include_bias).item() == pytest.approx(reference.item())
    reference.backward()
    expected = {name: p.grad for name, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    priced.add_gradient_(model, 0.7, include_bias)
    for name, param in model.named_parameters():
        if expected[name] is None:  # biases left out of the cost get no gradient at all
            assert param.grad is None and not include_bias
        else:
            torch.testing.assert_close(param.grad, 0.7 * expected[name], msg=name)


def test_without_locality_is_plain_l1():
    model = _tiny_net()
    settings = CostSettings(layer_gap=1.0, distance_weight=3.0).without_locality()
    l1 = sum(p.detach().abs().sum().item() for p in model.parameters())
    assert connection_cost(model, settings).item() == pytest.approx(l1)


@pytest.mark.parametrize(
    "kwargs", [{"layer_gap": -1.0}, {"distance_weight": -0.5}, {"reduction": "max"}]
)
def test_bad_settings_raise(kwargs):
    with pytest.raises(ValueError):
        CostSettings(**kwargs)
