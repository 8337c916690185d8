import math

import pytest
import torch
from torch import nn

from subnetlab.models.attention_only import (
    AttentionOnlyTransformer,
    AttnOnlySchema,
    sinusoidal_positions,
)
from subnetlab.registry import build_model
from subnetlab.schemas.base import ConfigError


def _tiny(n_layers: int = 2, layer_norm: bool = False) -> AttentionOnlyTransformer:
    torch.manual_seed(0)
    return AttentionOnlyTransformer(
        vocab_size=11, n_ctx=6, d_model=8, n_heads=2, n_layers=n_layers, layer_norm=layer_norm
    )


def _tokens(batch: int = 3, length: int = 6) -> torch.Tensor:
    return torch.randint(11, (batch, length), generator=torch.Generator().manual_seed(1))


def test_every_attention_matrix_is_its_own_bias_free_linear_module() -> None:
    model = _tiny(n_layers=2)
    names = model.attention_matrix_names()
    assert names == [f"blocks.{i}.attn.{m}" for i in (0, 1) for m in "qkvo"]
    modules = dict(model.named_modules())
    for name in names:
        assert isinstance(modules[name], nn.Linear) and modules[name].bias is None
        assert modules[name].weight.shape == (8, 8)
    assert isinstance(modules["token_embed"], nn.Embedding)
    # no MLPs: the attention matrices, the embedding and the unembedding are all the weights
    matrices = {n for n, m in modules.items() if isinstance(m, (nn.Linear, nn.Embedding))}
    assert matrices == {*names, "token_embed", "unembed"}


def test_logits_have_one_row_per_position_and_attention_is_causal() -> None:
    model = _tiny().eval()
    tokens = _tokens(batch=1)
    assert model(tokens).shape == (1, 6, 11) and model(tokens[:, :2]).shape == (1, 2, 11)
    changed = tokens.clone()
    changed[0, 3] = (changed[0, 3] + 1) % 11
    a, b = model(tokens), model(changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert (a[:, 3:] - b[:, 3:]).abs().min() > 0


@pytest.mark.parametrize("layer_norm", [False, True])
def test_patterns_are_causal_distributions_and_the_output_is_the_sum_over_heads(
    layer_norm: bool,
) -> None:
    model = _tiny(layer_norm=layer_norm)
    tokens = _tokens()
    patterns = model.attention_patterns(tokens)
    assert [p.shape for p in patterns] == [(3, 2, 6, 6)] * 2
    for pattern in patterns:
        torch.testing.assert_close(pattern.sum(-1), torch.ones(3, 2, 6))
        assert (pattern.triu(1) == 0).all()
        assert pattern[:, :, 0, 0].eq(1).all()  # the first position sees only itself
    # head h reads rows slice_h of q/k/v and writes through columns slice_h of o
    block = model.blocks[0]
    x = block.ln(model.embed(tokens))
    attn = block.attn
    by_head = sum(
        (patterns[0][:, h] @ (x @ attn.v.weight[s].T)) @ attn.o.weight[:, s].T
        for h, s in enumerate(attn.head_slices())
    )
    torch.testing.assert_close(attn(x), by_head)


def test_positions_are_the_fixed_sinusoids() -> None:
    positions = sinusoidal_positions(n_ctx=5, d_model=4)
    assert positions.shape == (5, 4)
    torch.testing.assert_close(positions[0], torch.tensor([0.0, 1.0, 0.0, 1.0]))
    torch.testing.assert_close(
        positions[1], torch.tensor([math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)])
    )
    assert sinusoidal_positions(3, 5).shape == (3, 5)  # odd width: the last cosine dropped
    # the encoding of t − 1 is a fixed rotation of that of t, one per (sin, cos) pair: the
    # previous-token head's query/key map works at every position
    wide = sinusoidal_positions(n_ctx=32, d_model=8)
    back = torch.zeros(8, 8)
    for i in range(4):
        omega = 10000.0 ** (-2 * i / 8)
        c, s = math.cos(omega), math.sin(omega)
        back[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = torch.tensor([[c, -s], [s, c]])
    torch.testing.assert_close(wide[1:] @ back.T, wide[:-1], atol=1e-5, rtol=0)
    model = _tiny()
    assert not any(name == "positions" for name, _ in model.named_parameters())
    assert "positions" not in model.state_dict()
    torch.testing.assert_close(model.positions, sinusoidal_positions(6, 8))


def test_the_schema_builds_the_configured_network() -> None:
    cfg = AttnOnlySchema(vocab_size=9, n_ctx=5, d_model=12, n_heads=3, n_layers=3)
    model = build_model(cfg)
    assert isinstance(model, AttentionOnlyTransformer)
    assert (model.n_layers, model.n_heads) == (3, 3) and model.blocks[0].attn.d_head == 4
    assert model.block_names() == ["blocks.0", "blocks.1", "blocks.2"]
    assert isinstance(model.blocks[0].ln, nn.Identity)
    assert isinstance(build_model(AttnOnlySchema(layer_norm=True)).blocks[1].ln, nn.LayerNorm)
    assert AttnOnlySchema().recipe.lr == 2e-2


def test_bad_shapes_are_named() -> None:
    with pytest.raises(ConfigError, match="n_heads=3: allowed a divisor of d_model=32"):
        AttnOnlySchema(n_heads=3)
    with pytest.raises(ValueError, match="divisible by n_heads"):
        AttentionOnlyTransformer(10, 4, d_model=10, n_heads=3, n_layers=1)
    with pytest.raises(ValueError, match="n_layers=0"):
        AttentionOnlyTransformer(10, 4, d_model=8, n_heads=2, n_layers=0)
    with pytest.raises(ValueError, match="exceeds n_ctx=6"):
        _tiny()(torch.zeros(1, 7, dtype=torch.long))
    with pytest.raises(ValueError, match="must be \\(batch, seq\\)"):
        _tiny()(torch.zeros(7, dtype=torch.long))
