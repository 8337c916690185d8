"""Entry point: ``python run.py method=spd model=tms`` (see README.md and ``--help``)."""

import hydra
from omegaconf import DictConfig

from subnetlab.cli.main import entry
from subnetlab.cli.run_dir import register_resolvers

register_resolvers()


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    return entry(cfg)


if __name__ == "__main__":
    main()
