import math

import pytest
import torch
from torch import nn

from subnetlab.registry import build_model
from subnetlab.schemas.datasets import DigitsSchema
from subnetlab.schemas.mlp import MLPSchema
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.training.recipe import build_recipe
from subnetlab.training.supervised_training import (
    draw_minibatch,
    evaluate_logits,
    fit_minibatches,
    warmup_cosine_lr,
)
from tests.unit.training.plain_loop import train_plainly


def test_warmup_then_cosine_by_hand() -> None:
    assert warmup_cosine_lr(1.0, 0, 100, 10) == pytest.approx(0.1 * 0.5 * (1 + math.cos(0.0)))
    assert warmup_cosine_lr(1.0, 9, 100, 10) == pytest.approx(0.5 * (1 + math.cos(0.09 * math.pi)))
    assert warmup_cosine_lr(2.0, 50, 100, 10) == pytest.approx(1.0)  # half-way: cos(π/2) = 0
    assert warmup_cosine_lr(1.0, 0, 4, 0) == pytest.approx(1.0)  # no warm-up


def test_fit_separates_two_gaussian_blobs() -> None:
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(200) % 2
    inputs = torch.randn(200, 2, generator=gen) + 3.0 * (2 * labels[:, None] - 1)
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    before = evaluate_logits(model, inputs, labels)
    recipe = SupervisedRecipe(steps=200, batch_size=32, lr=0.05, weight_decay=0.0, warmup_steps=10)
    fit_minibatches(model, inputs, labels, recipe, seed=0)
    after = evaluate_logits(model, inputs, labels, batch=64)
    assert not model.training
    assert after["accuracy"] >= 0.99 and after["loss"] < 0.1 < before["loss"]


def test_minibatches_are_drawn_with_replacement_and_never_larger_than_the_split() -> None:
    inputs, targets = torch.arange(5.0).unsqueeze(1), torch.arange(5)
    x, y = draw_minibatch(inputs, targets, 8, torch.Generator().manual_seed(0))
    assert x.shape == (5, 1) and torch.equal(x[:, 0].long(), y)


def test_the_plain_loop_takes_the_steps_of_the_supervised_recipe() -> None:
    recipe_cfg = SupervisedRecipe(
        steps=25, batch_size=32, lr=1e-2, weight_decay=0.1, warmup_steps=5
    )
    cfg = MLPSchema(widths=[64, 16, 10], activation="tanh", recipe=recipe_cfg)
    recipe = build_recipe(cfg, DigitsSchema(), seed=4)
    torch.manual_seed(4)
    model = build_model(cfg)
    fit_minibatches(model, recipe.split.x_train, recipe.split.y_train, recipe_cfg, seed=4)
    trained, _ = train_plainly(recipe)
    ours, theirs = model.state_dict(), trained.state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
