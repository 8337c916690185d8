"""Entry point: ``python run.py method=spd model=tms`` (see README.md and ``--help``)."""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from subnetlab.cli.help import print_knob_help, wants_knob_help
from subnetlab.cli.run_dir import register_resolvers
from subnetlab.schemas.store import store_schema_defaults

CONF = Path(__file__).resolve().parent / "conf"

register_resolvers()
store_schema_defaults()


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from subnetlab.cli.main import entry  # torch and Lightning load only for a run

    return entry(cfg)


if __name__ == "__main__":
    if wants_knob_help(sys.argv[1:]):  # before Hydra: the knob listing, read from the schemas
        sys.exit(print_knob_help(sys.argv[1:], CONF))
    main()
