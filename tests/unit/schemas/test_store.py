"""The schemas' defaults as Hydra ConfigStore nodes: what every option file of conf/ starts from."""

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from subnetlab.schemas.base import from_dict, to_dict
from subnetlab.schemas.registry import schemas
from subnetlab.schemas.run import FIXED_GROUPS, GROUPS, RunConfig
from subnetlab.schemas.store import option_defaults, run_defaults, store_schema_defaults


def _node(path: str) -> dict:
    node = OmegaConf.to_container(ConfigStore.instance().load(f"{path}.yaml").node)
    assert isinstance(node, dict)
    return node


def test_every_registered_option_has_a_node_that_validates_to_itself() -> None:
    store_schema_defaults()
    for group in GROUPS:
        for option, cls in schemas(group).items():
            node = _node(f"schema/{group}/{option}")
            assert node == option_defaults(cls, option)
            assert node["name"] == option
            assert to_dict(from_dict(cls, node)) == node


def test_fixed_groups_and_the_top_level_have_nodes() -> None:
    store_schema_defaults()
    for group, cls in FIXED_GROUPS.items():
        assert to_dict(from_dict(cls, _node(f"schema/{group}"))) == _node(f"schema/{group}")
    run = _node("schema/run")
    assert run == run_defaults()
    assert set(run) == {
        "seed",
        "task_name",
        "optimized_metric",
        "resume",
        "tags",
        "target",
        "print_config",
        "model_option",
        "run_name",
    }
    assert to_dict(from_dict(RunConfig, run))["target"] == run["target"]
