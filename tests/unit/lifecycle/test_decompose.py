"""``subnetlab.spd.decompose``: SPD of a caller's own nn.Module from Python."""

from pathlib import Path

import pytest
import torch
from torch import nn

from subnetlab.analysis.figure_files import footer_text
from subnetlab.schemas.base import ConfigError
from subnetlab.spd import decompose
from tests.unit.models.test_module_matrices import TinyLM


def test_a_plain_mlp_decomposes_and_the_warm_up_makes_the_components_faithful() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 5))
    x = torch.randn(256, 5)
    result = decompose(
        model,
        x,
        {"0": 8, "2": 6},
        steps=2,
        faithfulness_warmup_steps=400,
        faithfulness_warmup_lr=0.02,
        progress=False,
    )
    m = result.metrics
    assert set(m) >= {"mse/unmasked", "mse/stochastic", "mse/ci_rounded", "alive/0", "ci_l0/2"}
    # C ≥ rank: after the warm-up Σ U V ≈ W, so the unmasked components reproduce the model
    assert m["loss/faithfulness"] < 1e-5
    assert m["mse/unmasked"] < 1e-2 * float(model(x).pow(2).mean())
    ci = result.causal_importance(x[:3])
    assert ci["0"].shape == (3, 8) and ci["2"].shape == (3, 6)
    assert all(((v >= 0) & (v <= 1)).all() for v in ci.values())
    assert not any(p.requires_grad for p in model.parameters())  # the target is frozen
    figures = result.figures()
    assert set(figures) == {"ci_l0_and_alive", "reconstruction_by_mask", "subcomponent_norms"}
    assert all(
        footer_text(f) == "subnetlab.spd.decompose · 2 steps · seed 0" for f in figures.values()
    )


def test_token_inputs_are_decomposed_by_kl_with_next_token_cross_entropy() -> None:
    torch.manual_seed(0)
    model = TinyLM()
    tokens = torch.randint(0, 7, (40, 6))
    result = decompose(
        model, tokens, {"mlp.*": 4}, steps=3, batch_size=8, ci_fn="shared_mlp", progress=False
    )
    m = result.metrics
    with torch.no_grad():
        logits = model(tokens)
    ce = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, 7), tokens[:, 1:].reshape(-1))
    assert m["ce/target"] == pytest.approx(float(ce), rel=1e-5)
    assert {"kl/unmasked", "kl/stochastic", "kl/ci_rounded", "ce/ci_rounded"} <= set(m)
    assert m["alive/mlp.0"] <= 4 and "alive/embed" not in m


def test_a_list_of_batches_is_cycled_and_output_dir_gets_tensorboard_events(
    tmp_path: Path,
) -> None:
    model = nn.Sequential(nn.Linear(3, 3))
    batches = [torch.randn(4, 3), torch.randn(4, 3)]
    result = decompose(model, batches, {"*": 3}, steps=5, progress=False, output_dir=tmp_path)
    assert "mse/unmasked" in result.metrics
    assert list((tmp_path / "tb" / "spd_decompose").glob("events.out.tfevents.*"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"modules": {"nothing.*": 4}}, "method.modules"),
        ({"modules": {}}, "modules"),
        ({"modules": {"*": 4}, "pnorm": -1.0}, "pnorm"),
        ({"modules": {"*": 4}, "no_such_knob": 1}, "no_such_knob"),
    ],
)
def test_bad_options_are_one_line_config_errors(kwargs: dict, match: str) -> None:
    model = nn.Sequential(nn.Linear(3, 3))
    with pytest.raises(ConfigError, match=match):
        decompose(model, torch.randn(8, 3), steps=1, progress=False, **kwargs)


def test_bad_models_and_data_are_refused_before_work() -> None:
    with pytest.raises(ConfigError, match="no nn.Linear"):
        decompose(nn.Sequential(nn.ReLU()), torch.randn(8, 3), {"*": 2}, progress=False)
    with pytest.raises(ValueError, match="at least one row"):
        decompose(nn.Sequential(nn.Linear(3, 3)), torch.empty(0, 3), {"*": 2}, progress=False)
    with pytest.raises(ValueError, match="one-shot iterator"):
        batches = (torch.randn(4, 3) for _ in range(3))
        decompose(nn.Sequential(nn.Linear(3, 3)), batches, {"*": 2}, progress=False)
