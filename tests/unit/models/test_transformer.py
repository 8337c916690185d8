import pytest
import torch

from subnetlab.methods.gw.representations import collect_representations
from subnetlab.models.transformer import Transformer


def _tiny(n_layers: int = 3) -> Transformer:
    torch.manual_seed(0)
    return Transformer(vocab_size=11, n_ctx=5, d_model=8, n_heads=2, d_mlp=16, n_layers=n_layers)


def test_logits_have_one_row_per_position_and_token() -> None:
    model = _tiny()
    tokens = torch.randint(11, (4, 5), generator=torch.Generator().manual_seed(1))
    assert model(tokens).shape == (4, 5, 11)
    assert model(tokens[:, :2]).shape == (4, 2, 11)


def test_attention_is_causal() -> None:
    model = _tiny().eval()
    tokens = torch.tensor([[1, 2, 3, 4, 5]])
    changed = tokens.clone()
    changed[0, 3] = 9
    a, b = model(tokens), model(changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])  # positions before the change agree
    assert (a[:, 3:] - b[:, 3:]).abs().max() > 1e-4  # the changed position and later ones differ


def test_block_outputs_are_hookable_layers() -> None:
    model = _tiny(n_layers=4)
    assert model.block_names() == ["blocks.0", "blocks.1", "blocks.2", "blocks.3"]
    tokens = torch.randint(11, (6, 5), generator=torch.Generator().manual_seed(2))
    reps = collect_representations(model, model.block_names(), tokens, pooling="last")
    assert list(reps) == model.block_names()
    assert all(r.shape == (6, 8) for r in reps.values())
    # the last block's output at the last position feeds the unembedding
    with torch.no_grad():
        logits = model.unembed(model.ln_final(reps["blocks.3"].float()))
    torch.testing.assert_close(logits, model(tokens)[:, -1], atol=1e-5, rtol=1e-5)


def test_bad_shapes_are_named() -> None:
    with pytest.raises(ValueError, match="divisible by n_heads"):
        Transformer(10, 4, d_model=10, n_heads=3, d_mlp=8, n_layers=1)
    with pytest.raises(ValueError, match="n_layers=0"):
        Transformer(10, 4, d_model=8, n_heads=2, d_mlp=8, n_layers=0)
    with pytest.raises(ValueError, match="exceeds n_ctx=5"):
        _tiny()(torch.zeros(1, 6, dtype=torch.long))
