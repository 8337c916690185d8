"""Every tensor BIMT makes for a training step lives on the network's device.

No accelerator is needed: the network is moved to ``meta`` (shapes without data), where a tensor
made on the CPU by mistake would fail to combine with the parameters, or show up by its device.
"""

from __future__ import annotations

import torch

from subnetlab.methods.base import RunContext
from subnetlab.methods.bimt.connection_cost import ConnectionCost, CostSettings
from subnetlab.methods.bimt.module import BimtModule
from subnetlab.methods.bimt.swaps import _unit_weights_and_lengths, swap_units, unit_importance
from subnetlab.models.mlp import MLP
from subnetlab.schemas.run import validate_run_config
from tests.conftest import compose_raw

META = torch.device("meta")


def test_the_penalty_and_its_gradient_follow_the_network():
    model = MLP([4, 6, 5, 2]).to(META)
    penalty = ConnectionCost(model, CostSettings(reduction="mean", exempt_last_layer=True))
    prices = [price for _, price in penalty.priced_parameters(model, include_bias=True)]
    assert all(p.device == META for p in prices if isinstance(p, torch.Tensor))
    penalty.add_gradient_(model, scale=0.1)
    assert all(p.grad is not None and p.grad.device == META for p in model.parameters())


def test_swap_bookkeeping_follows_the_network_and_its_optimizer_state():
    model = MLP([8, 6, 3], vocab_size=5, embed_dim=4).to(META)
    optimizer = torch.optim.AdamW(model.parameters())
    for param in model.parameters():
        optimizer.state[param] = {"exp_avg": torch.zeros_like(param)}
    for layer in range(model.n_layers + 1):
        assert unit_importance(model, layer).device == META
        weights, lengths = _unit_weights_and_lengths(model, layer, CostSettings())
        assert weights.device == META and lengths.device == META
        swap_units(model, layer, 0, 1, optimizer)  # index tensors made on the network's device


def test_the_module_builds_its_penalty_on_the_training_device(tmp_path):
    raw = compose_raw(["experiment=bimt_independence"], tmp_path)
    cfg = validate_run_config(raw)
    ctx = RunContext(seed=0, run_dir=tmp_path, model_cfg=cfg.model, dataset_cfg=cfg.dataset)
    module = BimtModule(cfg.method, ctx).to(META)  # what Lightning does before on_fit_start
    module.on_fit_start()
    assert module.penalty is not None
    assert all(price.device == META for price in module.penalty.weight_prices)
