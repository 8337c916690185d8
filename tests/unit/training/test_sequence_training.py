import math

import pytest
import torch
from torch import nn

from subnetlab.data.modular_sequences import modular_addition_sequences
from subnetlab.models.transformer import Transformer
from subnetlab.registry import build_model
from subnetlab.schemas.datasets import CharLMSchema, ModularAdditionSeqSchema
from subnetlab.schemas.models import SupervisedRecipe, TransformerSchema
from subnetlab.training.recipe import build_recipe
from subnetlab.training.sequence_training import evaluate
from tests.unit.training.plain_loop import train_plainly


class _FixedLogits(nn.Module):
    """Logits (B, T, 3) = log([2, 1, 1]) everywhere: p(class 0) = 1/2, p(other) = 1/4."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        row = torch.log(torch.tensor([2.0, 1.0, 1.0]))
        return row.expand(tokens.shape[0], tokens.shape[1], 3)


def _tiny(steps: int) -> TransformerSchema:
    recipe = SupervisedRecipe(steps=steps, batch_size=20, lr=1e-2, weight_decay=0.0, warmup_steps=5)
    return TransformerSchema(
        vocab_size=8, n_ctx=3, d_model=16, n_heads=2, d_mlp=32, n_layers=2, recipe=recipe
    )


def test_evaluate_by_hand() -> None:
    inputs = torch.zeros(4, 2, dtype=torch.long)
    last = evaluate(_FixedLogits(), inputs, torch.tensor([0, 0, 1, 2]), "last", batch=3)
    assert math.isclose(last["loss"], (2 * math.log(2) + 2 * math.log(4)) / 4, rel_tol=1e-6)
    assert last["accuracy"] == 0.5
    every = evaluate(_FixedLogits(), inputs, torch.tensor([[0, 1]] * 4), "all")
    assert math.isclose(every["loss"], (math.log(2) + math.log(4)) / 2, rel_tol=1e-6)
    assert every["accuracy"] == 0.5


def test_the_recipe_trains_the_transformer_on_a_tiny_modular_task() -> None:
    recipe = build_recipe(_tiny(steps=150), ModularAdditionSeqSchema(p=5), seed=1)
    split = modular_addition_sequences(p=5).split
    before = evaluate(recipe.module, split.x_train, split.y_train, "last")["loss"]
    model, report = train_plainly(recipe)
    assert isinstance(model, Transformer) and model.n_layers == 2
    assert set(report) == {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}
    assert report["train_loss"] < 0.5 * before
    fresh = build_model(_tiny(steps=150))
    fresh.load_state_dict(model.state_dict())
    tokens = torch.tensor([[1, 2, 5]])
    torch.testing.assert_close(fresh(tokens), model(tokens))


def test_a_transformer_too_small_for_the_dataset_names_the_knobs() -> None:
    with pytest.raises(ValueError, match="vocabulary 96, sequence length 32.*model.vocab_size"):
        build_recipe(_tiny(steps=1), CharLMSchema(), seed=0)
