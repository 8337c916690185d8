"""Model families, training recipes and datasets, each registered beside its own code.

A model file registers its family (``@register_model``: name, schema, builder, the name of its
training recipe), a training file its recipe (``@register_recipe``), a dataset file its builder
(``@register_dataset``) — the pattern of SAELens's ``register_sae_class``. Lookups import the
packages that hold the registrations (``subnetlab.models``, ``subnetlab.training``,
``subnetlab.data``) on first use, so nothing else names a family, recipe or dataset: a new model is
its file plus its config. This module imports nothing of subnetlab's but ``schemas``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from torch import nn

from subnetlab.schemas.base import ConfigError

T = TypeVar("T")
ModelBuilder = Callable[[Any], nn.Module]
DatasetBuilder = Callable[[Any], Any]

#: the packages whose modules register each kind of entry (imported on the first lookup)
_PACKAGES = {
    "model": "subnetlab.models",
    "recipe": "subnetlab.training",
    "dataset": "subnetlab.data",
}


@dataclass(frozen=True)
class ModelFamily:
    """One model family: ``build(cfg)`` turns a validated ``schema`` instance into an untrained
    network; ``recipe`` names the training recipe (``register_recipe``) that trains it. A family
    with ``weights_from_config`` (a planted ground-truth net) is built whole from its config: it
    is a target as built, with no recipe."""

    name: str
    schema: type
    build: ModelBuilder
    recipe: str | None
    weights_from_config: bool = False


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset: ``build(cfg)`` turns a validated ``schema`` instance into the data, an
    instance of ``produces`` (e.g. a task holding a ``data.split.Split``, or a sampler)."""

    name: str
    schema: type
    build: DatasetBuilder
    produces: type


_MODELS: dict[str, ModelFamily] = {}
_RECIPES: dict[str, type] = {}
_DATASETS: dict[str, DatasetEntry] = {}
_LOADED: set[str] = set()


class UnknownEntryError(ConfigError):
    """A config names a model family, recipe or dataset that nothing registered."""


def _add(table: dict[str, Any], kind: str, name: str, entry: Any, same: Callable[[Any], bool]):
    if name in table and not same(table[name]):
        raise RuntimeError(f"{kind} {name!r} is registered twice, by two different objects")
    table[name] = entry


def register_model(
    name: str, schema: type, recipe: str | None, *, weights_from_config: bool = False
) -> Callable[[T], T]:
    """Decorator of a builder ``(validated schema instance) -> nn.Module``: registers the model
    family ``name`` (the ``name`` field of its configs) trained by the recipe named ``recipe``
    (None with ``weights_from_config``: the builder's network is the target)."""

    def wrap(build: T) -> T:
        family = ModelFamily(name, schema, build, recipe, weights_from_config)  # type: ignore[arg-type]
        _add(_MODELS, "model family", name, family, lambda old: old.build is build)
        return build

    return wrap


def register_recipe(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: registers a training recipe (a ``training.recipe.TrainingRecipe``)."""

    def wrap(cls: type[T]) -> type[T]:
        _add(_RECIPES, "training recipe", name, cls, lambda old: old is cls)
        return cls

    return wrap


def register_dataset(name: str, schema: type, produces: type) -> Callable[[T], T]:
    """Decorator of a builder ``(validated schema instance) -> produces``: registers the dataset
    ``name`` (the ``name`` field of its configs)."""

    def wrap(build: T) -> T:
        entry = DatasetEntry(name, schema, build, produces)  # type: ignore[arg-type]
        _add(_DATASETS, "dataset", name, entry, lambda old: old.build is build)
        return build

    return wrap


def _load(kind: str) -> None:
    """Import every module of the package that registers ``kind`` entries (once)."""
    if kind in _LOADED:
        return
    package = importlib.import_module(_PACKAGES[kind])
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)
    _LOADED.add(kind)


def model_families() -> dict[str, ModelFamily]:
    """Every registered model family by name."""
    _load("model")
    return dict(_MODELS)


def model_family(name: str) -> ModelFamily:
    """The family registered as ``name``; raises UnknownEntryError (a ConfigError on
    ``model.name``) naming the registered ones."""
    families = model_families()
    if name not in families:
        raise UnknownEntryError(
            "model.name", name, f"a registered model family: {sorted(families)}"
        )
    return families[name]


def build_model(model_cfg: Any) -> nn.Module:
    """An untrained network of the architecture ``model_cfg`` describes (its family's builder)."""
    return model_family(model_cfg.name).build(model_cfg)


def recipe_class(name: str) -> type:
    """The training recipe registered as ``name``; raises UnknownEntryError."""
    _load("recipe")
    if name not in _RECIPES:
        raise UnknownEntryError("recipe", name, f"a registered training recipe: {sorted(_RECIPES)}")
    return _RECIPES[name]


def datasets() -> dict[str, DatasetEntry]:
    """Every registered dataset by name."""
    _load("dataset")
    return dict(_DATASETS)


def dataset_entry(name: str) -> DatasetEntry:
    """The dataset registered as ``name``; raises UnknownEntryError naming the registered ones."""
    entries = datasets()
    if name not in entries:
        raise UnknownEntryError("dataset.name", name, f"a registered dataset: {sorted(entries)}")
    return entries[name]


def build_dataset(dataset_cfg: Any, kind: type[T]) -> T:
    """The data ``dataset_cfg`` describes (its dataset's builder), which must be a ``kind``;
    raises UnknownEntryError naming the datasets that produce one before building anything."""
    entry = datasets().get(dataset_cfg.name)
    if entry is None or not issubclass(entry.produces, kind):
        raise UnknownEntryError(
            "dataset.name",
            dataset_cfg.name,
            f"one of the {kind.__name__} datasets: {datasets_producing(kind)}",
        )
    return entry.build(dataset_cfg)


def datasets_producing(kind: type) -> list[str]:
    """Names of the registered datasets whose builders produce a ``kind``, sorted."""
    return sorted(name for name, entry in datasets().items() if issubclass(entry.produces, kind))
