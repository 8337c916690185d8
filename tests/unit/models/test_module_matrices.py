"""Any nn.Module as a decomposition target: its Linear / Embedding / Conv1D modules by name."""

from pathlib import Path

import pytest
import torch
from torch import nn

from subnetlab.models.decomposable import plain_apply
from subnetlab.models.hf_causal_lm import load_hf_model
from subnetlab.models.module_matrices import ModuleMatrices, as_decomposable
from subnetlab.models.tms import TMS


class TinyLM(nn.Module):
    """Embedding → Linear → GELU → Linear (bias) → unembedding tied to the embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(7, 4)
        self.mlp = nn.Sequential(nn.Linear(4, 6, bias=False), nn.GELU(), nn.Linear(6, 4))
        self.unembed = nn.Linear(4, 7, bias=False)
        self.unembed.weight = self.embed.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens)
        return self.unembed(h + self.mlp(h))


def test_names_kinds_layouts_and_the_embedding_tie() -> None:
    model = TinyLM()
    target = ModuleMatrices(model)
    assert target.module_names() == ["embed", "mlp.0", "mlp.2", "unembed"]
    assert target.kinds == {
        "embed": "embedding",
        "mlp.0": "linear",
        "mlp.2": "linear",
        "unembed": "linear",
    }
    weights = target.weights()
    assert weights["embed"].shape == (4, 7)  # (d_out, d_in): a token is a one-hot of 7
    assert weights["mlp.0"].shape == (6, 4)
    assert target.tied == {"unembed": "embed"}
    assert torch.equal(weights["unembed"], weights["embed"].T)


def test_forward_with_plain_weights_is_the_model_and_hooks_are_removed() -> None:
    torch.manual_seed(0)
    model = TinyLM()
    target = ModuleMatrices(model)
    tokens = torch.randint(0, 7, (3, 5))
    expected = model(tokens)
    seen: list[str] = []
    weights = target.weights()
    plain = plain_apply(weights)

    def apply(name: str, a: torch.Tensor) -> torch.Tensor:
        seen.append(name)
        return plain(name, a)

    torch.testing.assert_close(target.forward_with(tokens, apply), expected)
    assert seen == ["embed", "mlp.0", "mlp.2", "unembed"]
    assert "forward" not in model.mlp[0].__dict__  # the class's forward is back
    torch.testing.assert_close(model(tokens), expected)


def test_forward_with_replaces_a_matrix_and_keeps_its_bias() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    target = ModuleMatrices(model)
    x = torch.tensor([[1.0, 2.0, 3.0]])
    out = target.forward_with(x, lambda name, a: torch.zeros(a.shape[0], 2))
    torch.testing.assert_close(out, model[0].bias.detach().expand(1, 2))


def test_the_hooks_are_removed_when_the_forward_raises() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    target = ModuleMatrices(model)

    def failing(name: str, a: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        target.forward_with(torch.ones(1, 3), failing)
    assert "forward" not in model[0].__dict__


def test_a_model_without_matrices_is_refused() -> None:
    with pytest.raises(ValueError, match="no nn.Linear, nn.Embedding or Conv1D"):
        ModuleMatrices(nn.Sequential(nn.ReLU()))


def test_toys_keep_their_own_matrices() -> None:
    tms = TMS(5, 2)
    assert as_decomposable(tms) is tms
    assert isinstance(as_decomposable(nn.Sequential(nn.Linear(2, 2))), ModuleMatrices)


def test_gpt2_conv1d_and_the_tied_unembedding(tiny_gpt2: Path) -> None:
    model = load_hf_model(str(tiny_gpt2))
    target = ModuleMatrices(model)
    assert target.kinds["transformer.h.0.mlp.c_fc"] == "conv1d"
    assert target.kinds["transformer.wte"] == "embedding"
    weights = target.weights()
    assert weights["transformer.h.0.mlp.c_fc"].shape == (64, 16)  # (d_out, d_in) = (4·16, 16)
    assert target.tied["lm_head"] == "transformer.wte"
    tokens = torch.randint(0, 50, (2, 6))
    with torch.no_grad():
        expected = model(tokens)
        torch.testing.assert_close(target.forward_with(tokens, plain_apply(weights)), expected)


def test_llama_linear_projections(tiny_llama: Path) -> None:
    model = load_hf_model(str(tiny_llama))
    target = ModuleMatrices(model)
    assert target.kinds["model.layers.1.mlp.down_proj"] == "linear"
    assert target.weights()["model.layers.0.mlp.up_proj"].shape == (32, 16)
    tokens = torch.randint(0, 40, (2, 6))
    with torch.no_grad():
        expected = model(tokens)
        got = target.forward_with(tokens, plain_apply(target.weights()))
    torch.testing.assert_close(got, expected)
