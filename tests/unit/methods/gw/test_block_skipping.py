import torch

from subnetlab.methods.gw.block_skipping import skipped_blocks
from subnetlab.models.transformer import Transformer


def _tiny() -> Transformer:
    torch.manual_seed(0)
    return Transformer(vocab_size=7, n_ctx=4, d_model=8, n_heads=2, d_mlp=16, n_layers=3).eval()


def test_skipping_every_block_leaves_embed_norm_unembed() -> None:
    model = _tiny()
    tokens = torch.tensor([[1, 2, 3, 6], [0, 5, 4, 2]])
    with torch.no_grad():
        by_hand = model.unembed(model.ln_final(model.token_embed(tokens) + model.pos_embed))
        with skipped_blocks(model, model.block_names()):
            skipped = model(tokens)
    torch.testing.assert_close(skipped, by_hand)


def test_skipping_one_block_equals_running_the_other_two_and_hooks_go_away() -> None:
    model = _tiny()
    tokens = torch.tensor([[1, 2, 3, 6]])
    with torch.no_grad():
        h = model.embed(tokens)
        by_hand = model.unembed(model.ln_final(model.blocks[2](model.blocks[0](h))))
        full = model(tokens)
        with skipped_blocks(model, ["blocks.1"]):
            skipped = model(tokens)
        after = model(tokens)
    torch.testing.assert_close(skipped, by_hand)
    assert (skipped - full).abs().max() > 1e-4
    torch.testing.assert_close(after, full)
