import pytest

from subnetlab.models.mlp import MLP
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.datasets import DigitsSchema, ModularAdditionSeqSchema
from subnetlab.schemas.mlp import MLPSchema
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.training.recipe import build_recipe
from tests.unit.training.plain_loop import train_plainly

RECIPE = SupervisedRecipe(steps=300, batch_size=64, lr=1e-2, weight_decay=0.0, warmup_steps=20)


def test_a_small_mlp_learns_the_digits() -> None:
    cfg = MLPSchema(widths=[64, 32, 10], activation="tanh", recipe=RECIPE)
    model, report = train_plainly(build_recipe(cfg, DigitsSchema(), seed=0))
    assert report["train_accuracy"] >= 0.95 and report["test_accuracy"] >= 0.9, report
    assert isinstance(model, MLP) and model.block_names() == ["hidden.0"]


def test_mismatched_widths_a_missing_recipe_and_a_wrong_dataset_are_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"model=mlp cannot read dataset=digits's images \(64 "):
        build_recipe(MLPSchema(widths=[63, 8, 10], recipe=RECIPE), DigitsSchema(), seed=0)
    with pytest.raises(ValueError, match=r"logits of shape \(1, 9\).*at least 10 classes"):
        build_recipe(MLPSchema(widths=[64, 8, 9], recipe=RECIPE), DigitsSchema(), seed=0)
    with pytest.raises(ConfigError, match="model.recipe=None.*model=mlp has none.*mlp_digits"):
        build_recipe(MLPSchema(widths=[64, 8, 10]), DigitsSchema(), seed=0)
    with pytest.raises(
        ConfigError, match=r"modular_addition_seq'.*ImageTask datasets: \['digits'\]"
    ):
        build_recipe(MLPSchema(widths=[64, 8, 10], recipe=RECIPE), ModularAdditionSeqSchema(), 0)
