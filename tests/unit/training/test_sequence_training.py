import math

import torch
from torch import nn

from subnetlab.data.modular_sequences import modular_addition_sequences
from subnetlab.models.transformer import Transformer
from subnetlab.schemas.datasets import ModularAdditionSeqSchema
from subnetlab.schemas.models import SupervisedRecipe, TransformerSchema
from subnetlab.training.recipes import build_model, train_with_recipe
from subnetlab.training.sequence_training import evaluate, train_sequence_model


class _FixedLogits(nn.Module):
    """Logits (B, T, 3) = log([2, 1, 1]) everywhere: p(class 0) = 1/2, p(other) = 1/4."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        row = torch.log(torch.tensor([2.0, 1.0, 1.0]))
        return row.expand(tokens.shape[0], tokens.shape[1], 3)


def test_evaluate_by_hand() -> None:
    inputs = torch.zeros(4, 2, dtype=torch.long)
    last = evaluate(_FixedLogits(), inputs, torch.tensor([0, 0, 1, 2]), "last", batch=3)
    assert math.isclose(last["loss"], (2 * math.log(2) + 2 * math.log(4)) / 4, rel_tol=1e-6)
    assert last["accuracy"] == 0.5
    every = evaluate(_FixedLogits(), inputs, torch.tensor([[0, 1]] * 4), "all")
    assert math.isclose(every["loss"], (math.log(2) + math.log(4)) / 2, rel_tol=1e-6)
    assert every["accuracy"] == 0.5


def test_training_learns_a_tiny_modular_task_and_respects_frozen_parameters() -> None:
    task = modular_addition_sequences(p=5, train_fraction=0.8)
    torch.manual_seed(0)
    model = Transformer(6, 3, d_model=16, n_heads=2, d_mlp=32, n_layers=2)
    frozen = model.blocks[0].mlp[0].weight.detach().clone()
    before = evaluate(model, task.train_inputs, task.train_targets, "last")["loss"]
    trainable = [p for n, p in model.named_parameters() if not n.startswith("blocks.0.")]
    recipe = SupervisedRecipe(steps=150, batch_size=20, lr=1e-2, weight_decay=0.0, warmup_steps=5)
    report = train_sequence_model(model, task, recipe, seed=0, parameters=trainable)
    assert report.train_loss < 0.5 * before
    assert torch.equal(model.blocks[0].mlp[0].weight, frozen)


def test_recipe_builds_and_trains_the_transformer() -> None:
    cfg = TransformerSchema(
        vocab_size=8,
        n_ctx=3,
        d_model=8,
        n_heads=2,
        d_mlp=16,
        n_layers=2,
        recipe=SupervisedRecipe(steps=5, batch_size=8, warmup_steps=1),
    )
    model, report = train_with_recipe(cfg, ModularAdditionSeqSchema(p=7), seed=1)
    assert isinstance(model, Transformer) and model.n_layers == 2
    assert set(report) == {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}
    fresh = build_model(cfg)
    fresh.load_state_dict(model.state_dict())
    tokens = torch.tensor([[1, 2, 7]])
    torch.testing.assert_close(fresh(tokens), model(tokens))
