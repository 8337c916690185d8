import math

import torch

from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.schemas.datasets import ResidFeaturesSchema
from subnetlab.schemas.models import ResidMLPRecipe, ResidMLPSchema
from subnetlab.training.recipe import build_recipe
from subnetlab.training.resid_mlp_training import cosine_lr
from tests.unit.training.plain_loop import train_plainly


def test_cosine_lr_by_hand() -> None:
    assert cosine_lr(2.0, 0, 11) == 2.0
    assert math.isclose(cosine_lr(2.0, 5, 11), 1.0, abs_tol=1e-12)  # half-way: cos(π/2) = 0
    assert math.isclose(cosine_lr(2.0, 10, 11), 0.0, abs_tol=1e-12)
    assert cosine_lr(2.0, 0, 1) == 2.0  # one step: no division by zero


def test_short_training_beats_predicting_the_residual_and_keeps_its_seeds_embedding() -> None:
    cfg = ResidMLPSchema(
        n_features=20, d_embed=100, d_mlp=10, recipe=ResidMLPRecipe(steps=300, batch_size=1024)
    )
    model, report = train_plainly(
        build_recipe(cfg, ResidFeaturesSchema(feature_probability=0.05), 3)
    )
    assert isinstance(model, ResidMLP)
    assert report["loss"] < 0.7 * report["zero_model_loss"], report
    assert torch.equal(model.W_E, ResidMLP(20, 100, 10, 1, embed_seed=3).W_E)
