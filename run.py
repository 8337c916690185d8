"""Entry point: ``python run.py method=spd model=tms`` (see README.md and ``--help``)."""

import sys

import hydra
from omegaconf import DictConfig

from subnetlab.cli.main import entry
from subnetlab.cli.output_folders import check_command_line_folders
from subnetlab.cli.run_dir import register_resolvers

register_resolvers()


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    return entry(cfg)


if __name__ == "__main__":
    check_command_line_folders(sys.argv[1:])  # Hydra creates them before any of our code runs
    main()
