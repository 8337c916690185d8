"""The schemas' defaults as Hydra configs, so that they are written once (in the schema) and
still reach the composed config: every option file of ``conf/`` starts from its schema's node,

    defaults:
      - /schema/method/spd@_here_     # every SPDSchema field at its default
      - _self_                        # then what this option sets differently

which keeps ``method.lr=…`` overridable without ``+``, interpolations such as
``${method.train_type}`` resolvable, and ``.hydra/config.yaml`` / ``--cfg job`` complete.

Nodes: ``schema/<group>/<option>`` for the registered options of method, model and dataset;
``schema/<group>`` for trainer, logger, callbacks and paths; ``schema/run`` for the top-level
keys (seed, target, ...); ``schema/recipe/supervised`` for a model option that adds a recipe."""

from __future__ import annotations

from typing import Any

from hydra.core.config_store import ConfigStore

from subnetlab.schemas.base import defaults_of
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.schemas.registry import schemas
from subnetlab.schemas.run import FIXED_GROUPS, GROUPS, OPTIONAL_GROUPS, RunConfig


def option_defaults(cls: type, option: str) -> dict[str, Any]:
    """The defaults of schema ``cls`` for group option ``option`` (its ``name``)."""
    defaults = defaults_of(cls)
    if "name" in defaults:
        defaults["name"] = option
    return defaults


def run_defaults() -> dict[str, Any]:
    """The top-level keys of the run config (not the config groups) at their defaults."""
    groups = {*GROUPS, *OPTIONAL_GROUPS, *FIXED_GROUPS}
    return {k: v for k, v in defaults_of(RunConfig).items() if k not in groups}


def store_schema_defaults() -> None:
    """Put every schema's defaults into Hydra's ConfigStore (call before composing)."""
    store = ConfigStore.instance()
    for group in (*GROUPS, *OPTIONAL_GROUPS):
        for option, cls in schemas(group).items():
            store.store(group=f"schema/{group}", name=option, node=option_defaults(cls, option))
    for group, cls in FIXED_GROUPS.items():
        store.store(group="schema", name=group, node=defaults_of(cls))
    store.store(group="schema", name="run", node=run_defaults())
    # a recipe for a model whose schema has none by default (``model/mlp_digits.yaml``)
    store.store(group="schema/recipe", name="supervised", node=defaults_of(SupervisedRecipe))
