import pytest
import torch

from subnetlab import registry
from subnetlab.data.sequence_task import SequenceTask
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.models.tms import TMS
from subnetlab.models.transformer import Transformer
from subnetlab.registry import (
    UnknownEntryError,
    build_dataset,
    build_model,
    datasets,
    datasets_producing,
    model_families,
    model_family,
    recipe_class,
)
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.datasets import DigitsSchema, ModularAdditionSeqSchema
from subnetlab.schemas.models import ResidMLPSchema, TMSSchema, TransformerSchema
from subnetlab.schemas.registry import schemas
from subnetlab.training.recipe import TrainingRecipe


def test_every_model_option_has_a_family_with_its_schema_and_a_registered_recipe() -> None:
    families = model_families()
    options = schemas("model")
    expected = {
        "tms",
        "resid_mlp",
        "mlp",
        "transformer",
        "convnet",
        "attn_only",
        "planted_circuit",
        "planted_families",
    }
    assert set(families) == set(options) == expected
    for name, family in families.items():
        assert family.name == name and family.schema is options[name]
        if family.weights_from_config:  # built whole from its config: nothing to train
            assert family.recipe is None and name in {"planted_circuit", "planted_families"}
            continue
        assert family.recipe is not None
        assert issubclass(recipe_class(family.recipe), TrainingRecipe)


def test_every_registered_dataset_validates_with_its_options_schema() -> None:
    options = schemas("dataset")
    for name, entry in datasets().items():
        assert options[name] is entry.schema
    assert datasets_producing(SequenceTask) == [
        "char_lm",
        "modular_addition_seq",
        "repeated_tokens",
    ]


def test_builders_make_the_configured_architectures() -> None:
    tms = build_model(TMSSchema(n_features=7, n_hidden=3, n_hidden_layers=1))
    assert isinstance(tms, TMS) and tms.linear1.weight.shape == (3, 7) and tms.n_hidden_layers == 1
    resid = build_model(ResidMLPSchema(n_features=4, d_embed=6, d_mlp=2, n_layers=2))
    assert isinstance(resid, ResidMLP) and resid.W_E.shape == (4, 6) and len(resid.layers) == 2
    transformer = build_model(TransformerSchema(vocab_size=9, n_ctx=4, n_layers=2))
    assert isinstance(transformer, Transformer) and transformer.n_layers == 2
    assert transformer(torch.zeros(1, 4, dtype=torch.long)).shape == (1, 4, 9)
    task = build_dataset(ModularAdditionSeqSchema(p=5), SequenceTask)
    assert task.vocab_size == 6 and task.split.n_train + task.split.n_test == 25


def test_unknown_names_are_one_line_config_errors_naming_the_registered_ones() -> None:
    with pytest.raises(UnknownEntryError) as err:
        model_family("resnet")
    message = str(err.value)
    assert isinstance(err.value, ConfigError) and "\n" not in message
    assert message == (
        "invalid config value model.name='resnet': allowed a registered model family: "
        "['attn_only', 'convnet', 'mlp', 'planted_circuit', 'planted_families', 'resid_mlp', "
        "'tms', 'transformer']"
    )
    with pytest.raises(UnknownEntryError, match="recipe='nope'.*'image_classifier', 'resid_mlp'"):
        recipe_class("nope")
    with pytest.raises(UnknownEntryError, match="dataset.name='nope'.*'char_lm', 'digits'"):
        registry.dataset_entry("nope")
    with pytest.raises(UnknownEntryError, match="dataset.name='digits'.*SequenceTask datasets"):
        build_dataset(DigitsSchema(), SequenceTask)


def test_a_second_registration_under_a_taken_name_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(registry, "_MODELS", dict(model_families()))
    with pytest.raises(RuntimeError, match="model family 'tms' is registered twice"):
        registry.register_model("tms", TMSSchema, recipe="tms")(lambda cfg: TMS(2, 1))
    monkeypatch.setattr(registry, "_RECIPES", {})
    registry.register_recipe("mine")(TrainingRecipe)
    registry.register_recipe("mine")(TrainingRecipe)  # the same class again (a re-import) is fine
    with pytest.raises(RuntimeError, match="training recipe 'mine' is registered twice"):
        registry.register_recipe("mine")(object)
